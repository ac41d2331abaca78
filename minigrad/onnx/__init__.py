"""``minigrad.onnx``: export a model to ONNX, as ``torch.onnx.export``, to serve it with
onnxruntime or any other ONNX runtime. Needs the ``onnx`` package (``pip install
'minigrad[onnx]'``, which brings onnxruntime too); importing this package does not.

How it works. ``export`` runs the model once in evaluation mode while ``Function.apply``
reports every op call (its ``op_name``, its tensor and non-tensor arguments such as dims and
eps, its results) and each module reports itself by a wrapper on its ``forward``
(``tracing.py``). Each recorded call is then translated into ONNX nodes; parameters and
buffers become initializers named as in ``state_dict``.

Where the translations live. One table, keyed by ``op_name`` (``translations.TRANSLATIONS``,
merged from the family files ``ops_*.py``), not a field of the op registry: the registry
is testing code, and the exporter must not import it at run time. ``tests/test_onnx_export.py``
keeps the two in step: it lists every op minigrad defines that has no translation against
a known list, so a new op fails it until it gets a translation or is listed on purpose,
and it fails if a translated name stops being an op. A few layers are exported whole
rather than op by op (``modules.py``): batch norm in evaluation becomes
``BatchNormalization`` with its running statistics, and the recurrent layers become
ONNX's ``RNN``, ``LSTM`` and ``GRU``. Dropout disappears: evaluation runs none.

What a trace cannot see. The graph holds what this one run computed: Python control flow
is fixed to the branch taken, and a tensor made outside the ops (a creation function, a
comparison, ``.detach()``) is exported as a constant, with an ``OnnxExporterWarning``.
Sizes the model passes as numbers (``x.view(x.shape[0], -1)``) are literal too. With
``dynamic_axes`` the model therefore runs a second time, those axes one longer, and the
two traces show which sizes follow them: a reshape infers that dim at run time, and an op
or a constant whose sizes follow them in any other way is refused with
``OnnxExporterError`` rather than exported fixed to this run's sizes.
"""

from minigrad.onnx import errors
from minigrad.onnx.errors import OnnxExporterError
from minigrad.onnx.export import export
from minigrad.onnx.tracing import is_in_onnx_export

__all__ = ["OnnxExporterError", "errors", "export", "is_in_onnx_export"]
