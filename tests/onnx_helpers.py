"""What the ONNX export tests share: onnxruntime sessions of exported models, and the
comparison of their outputs with minigrad's own. Without onnx and onnxruntime the tests
that need them skip with the install hint."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.onnx  # noqa: F401 - mg.onnx
from minigrad import nn

try:
    import onnx
    import onnxruntime as ort
except ImportError:
    onnx = ort = None
needs_onnx = pytest.mark.skipif(ort is None, reason="ONNX export and its checks need "
                                "pip install 'minigrad[onnx]' (onnx, onnxruntime)")

RTOL, ATOL = 1e-5, 1e-6
BATCH = {"input": {0: "batch"}}


def ort_session(proto):
    """An onnxruntime session of a ModelProto, on one thread (the tests share 2 cores)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(proto.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def run(session, tensors):
    """The session's outputs for the given input tensors, in its inputs' order."""
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, (t.numpy() for t in tensors))))


def outputs(result):
    """A model's result as a flat list of arrays."""
    if isinstance(result, mg.Tensor):
        return [result.numpy()]
    return [a for item in result for a in outputs(item)]


def assert_same(got, model, args, rtol=RTOL, atol=ATOL):
    """onnxruntime's outputs ``got`` equal the model's on ``args``: dtype, shape, values."""
    with mg.no_grad():
        want = outputs(model(*args))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def exported(model, args, **kwargs):
    """Export (in evaluation mode), check and return an onnxruntime session of the model."""
    model.eval()
    proto = mg.onnx.export(model, args, **kwargs)
    onnx.checker.check_model(proto, full_check=True)
    return ort_session(proto)


def dynamic(names):
    """dynamic_axes with dim 0 of each name dynamic."""
    return {name: {0: "batch"} for name in names}


class Lambda(nn.Module):
    """A model that applies a function to its input."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x):
        return self.function(x)
