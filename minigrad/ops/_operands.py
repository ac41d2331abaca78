"""Turning the arguments of a binary op into operands that share one dtype, without promotion.

Python scalars adopt the tensor's dtype (``x * 0.5`` stays float32); integer and bool tensors
join a float tensor's dtype (``mask * x``); two float tensors of different precision are
refused by ``Function.apply``. Array-likes (lists, NumPy arrays) become tensors first.
"""

from minigrad import dtypes
from minigrad.tensor import Tensor

_PY_SCALARS = (int, float, bool)


def is_scalar(value):
    return type(value) in _PY_SCALARS


def _python_scalar(value):
    """NumPy scalars become Python ones (a NumPy float64 would promote float32 arrays)."""
    if is_scalar(value):
        return value
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", None) == 0 and not isinstance(value, Tensor):
        return item()
    return value


def as_float(t, dtype=None):
    """``t`` itself when floating, else a copy in ``dtype`` (by default the default float
    dtype, read now: ``set_default_dtype`` may have changed it); integer data carries no
    gradient."""
    if t.data.dtype.kind == "f":
        return t
    dtype = dtypes.default_float if dtype is None else dtype
    return Tensor._make(t.data.astype(dtype.name), t._backend)


def binary_operands(a, b, true_division=False):
    """``a, b`` ready for a binary Function (see the module docstring)."""
    if isinstance(a, Tensor) and a.data.dtype.kind == "f":  # the common cases, checked first
        if (isinstance(b, Tensor) and b.data.dtype.kind == "f") or type(b) in _PY_SCALARS:
            return a, b
    a, b = _python_scalar(a), _python_scalar(b)
    like = a if isinstance(a, Tensor) else b
    if not isinstance(a, Tensor) and not is_scalar(a):
        a = Tensor(a, backend=like._backend)
    if not isinstance(b, Tensor) and not is_scalar(b):
        b = Tensor(b, backend=like._backend)
    float_dtype = _float_dtype_of(a, b)
    if float_dtype is None and (true_division or isinstance(a, float) or isinstance(b, float)):
        float_dtype = dtypes.default_float
    if float_dtype is not None:
        a = as_float(a, float_dtype) if isinstance(a, Tensor) else a
        b = as_float(b, float_dtype) if isinstance(b, Tensor) else b
    return a, b


def _float_dtype_of(*values):
    for v in values:
        if isinstance(v, Tensor) and v.data.dtype.kind == "f":
            return v.dtype
    return None
