"""The exporter's errors, as ``torch.onnx.errors`` names them."""

__all__ = ["OnnxExporterError", "OnnxExporterWarning", "UnsupportedOperatorError"]


class OnnxExporterError(RuntimeError):
    """The model cannot be exported as asked (bad arguments, a graph ONNX cannot express)."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op the model ran has no ONNX translation; the message names it and its module."""


class OnnxExporterWarning(UserWarning):
    """The export went through, but the graph may not mean what the model does for every
    input (a tensor fixed to this run's values)."""
