"""Turning the arguments of a binary op into operands that share one dtype, without promotion.

Python scalars adopt the tensor's dtype (``x * 0.5`` stays float32); integer and bool tensors
join a float tensor's dtype (``mask * x``); two float tensors of different precision are
refused by ``Function.apply``. Array-likes (lists, NumPy arrays) become tensors first.
"""

from minigrad import dtypes
from minigrad.errors import DTypeError
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
    gradient. What is no tensor passes through, for the op to refuse."""
    if not isinstance(t, Tensor) or t.data.dtype.kind == "f":
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
    if not isinstance(like, Tensor):
        return a, b  # NOTE: no tensor at all: the Function refuses them, naming the op
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


_CONVERSIONS = {"float32": ".float()", "float64": ".double()", "float16": ".half()"}


def conversion(dtype):
    """The method that converts a tensor to ``dtype``: ``.float()``, ``.double()``, ..."""
    return _CONVERSIONS.get(dtype.name, f".to(mg.{dtype.name})")


def require_tensor(op, name, value):
    """``value``, checked to be a Tensor (PyTorch's ops take no lists or NumPy arrays)."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(value).__name__}; make one "
                        "with mg.tensor(data)")
    return value


def require_float(op, t):
    """``t`` when floating; otherwise DTypeError naming ``op`` and the conversion (the op has
    no integer form, as in PyTorch)."""
    require_tensor(op, "input", t)
    if t.data.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating point input, got {t.dtype.name} "
                         f"(shape {tuple(t.shape)}); convert it with "
                         f"{conversion(dtypes.default_float)}")
    return t


def refuse_bool(op, t):
    """``t`` unless it is a bool tensor: DTypeError naming ``op`` (PyTorch's clamping
    activations take integers, but no bools)."""
    if isinstance(t, Tensor) and t.data.dtype.kind == "b":
        raise DTypeError(f"{op}: bool inputs are not supported (input of shape "
                         f"{tuple(t.shape)}); convert with {conversion(dtypes.default_float)}")
    return t


def require_one_dtype(op, *tensors):
    """DTypeError naming the dtypes, the shapes and the conversion unless ``tensors`` share
    one dtype (PyTorch's products refuse mixed operands, integer with float included) and
    it is not bool (PyTorch has no bool products)."""
    first = tensors[0].data.dtype
    if any(t.data.dtype != first for t in tensors):
        names = ", ".join(t.dtype.name for t in tensors)
        shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
        floats = dict.fromkeys(conversion(t.dtype) for t in tensors if t.dtype.is_floating_point)
        fix = " or ".join(floats) or conversion(tensors[0].dtype)
        raise DTypeError(f"{op}: expected operands of one dtype, got {names} (shapes {shapes}); "
                         f"minigrad never promotes silently: convert with {fix}")
    if first.kind == "b":
        raise DTypeError(f"{op}: not implemented for bool operands; convert them with "
                         f"{conversion(dtypes.default_float)} or .long()")


def float_pair(op, a, b):
    """``a, b`` in one float dtype, an integer or bool tensor joining the other's (as
    PyTorch's pointwise losses); DTypeError when neither is floating."""
    a, b = binary_operands(a, b)
    return require_float(op, a), require_float(op, b)
