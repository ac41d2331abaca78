"""Comparisons and logic: eq, ne, lt, le, gt, ge (and PyTorch's long names for them), isclose,
allclose, equal, isnan, isinf, isfinite, isposinf, isneginf and logical_and/or/not/xor.

None of them has a gradient, so none is a ``Function``: each computes a bool array straight
from the backend arrays (``allclose`` and ``equal`` return a Python bool). Operands follow the
arithmetic ops' rules (``ops._operands``): a Python number takes the tensor's dtype and an
integer tensor joins a float one, as in PyTorch. A float32 tensor may be compared with a
float64 one: float32 widens to float64 exactly, so the answer is the exact one and no result
changes precision (the reason minigrad refuses to mix them elsewhere). ``isclose`` and
``allclose`` do arithmetic on their operands and need one dtype, as in PyTorch.
"""

import numbers

from minigrad import dtypes
from minigrad.errors import BackendError, DTypeError
from minigrad.ops._indices import broadcast_shape
from minigrad.ops.elementwise import compare
from minigrad.tensor import Tensor
from minigrad.tensor_queries import require_tensor

__all__ = [
    "allclose", "eq", "equal", "ge", "greater", "greater_equal", "gt", "isclose", "isfinite",
    "isinf", "isnan", "isneginf", "isposinf", "le", "less", "less_equal", "logical_and",
    "logical_not", "logical_or", "logical_xor", "lt", "ne", "not_equal",
]


def _check_pair(op, input, other, other_may_be_number):
    """Refuse what PyTorch refuses (a non-tensor ``input``; an ``other`` that is neither a
    tensor nor, where allowed, a number), tensors on two backends and shapes that do not
    broadcast (ShapeError naming the op and both shapes)."""
    require_tensor(op, "input", input)
    if not isinstance(other, Tensor):
        if other_may_be_number and isinstance(other, numbers.Number):
            return
        require_tensor(op, "other", other)
    if other._backend is not input._backend:
        raise BackendError(f"{op}: tensors on different backends ({input.backend} and "
                           f"{other.backend}); move one with .to({input.backend!r})")
    if other.shape != input.shape:
        broadcast_shape(input._backend.xp, op, input.shape, other.shape)


def _bool_tensor(array, like):
    return Tensor._make(like._backend.ensure_array(array), like._backend)


def _comparison(name, key, symbol):
    """The function ``torch.<name>``: ``input <symbol> other`` through ``compare(key)``."""
    def comparison(input, other):
        _check_pair(name, input, other, other_may_be_number=True)
        return compare(key, input, other)
    comparison.__name__ = comparison.__qualname__ = name
    comparison.__doc__ = (f"``input {symbol} other`` elementwise, as ``torch.{name}``: a bool "
                          "tensor (no gradient). ``other`` is a tensor that broadcasts with "
                          "``input`` or a Python number.")
    return comparison


eq, ne = _comparison("eq", "eq", "=="), _comparison("ne", "ne", "!=")
lt, le = _comparison("lt", "lt", "<"), _comparison("le", "le", "<=")
gt, ge = _comparison("gt", "gt", ">"), _comparison("ge", "ge", ">=")
not_equal = _comparison("not_equal", "ne", "!=")
less, less_equal = _comparison("less", "lt", "<"), _comparison("less_equal", "le", "<=")
greater, greater_equal = _comparison("greater", "gt", ">"), _comparison("greater_equal", "ge",
                                                                          ">=")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Where ``|input - other| <= atol + rtol * |other|`` (or both are equal, infinities
    included), as ``torch.isclose``: a bool tensor. NaN is close to NaN only with
    ``equal_nan``. Both must be tensors of one dtype; integer ones are compared through
    their difference, bool ones in the default float dtype, as PyTorch does."""
    _check_pair("isclose", input, other, other_may_be_number=False)
    if input.dtype != other.dtype:
        raise DTypeError(f"isclose: input and other must have one dtype, got "
                         f"{input.dtype.name} {tuple(input.shape)} and {other.dtype.name} "
                         f"{tuple(other.shape)}; convert one with .to(...)")
    for name, tolerance in (("rtol", rtol), ("atol", atol)):
        if tolerance < 0:
            raise RuntimeError(f"isclose: {name} must be greater than or equal to zero, but "
                               f"got {tolerance}")
    xp, a, b = input._backend.xp, input.data, other.data
    if a.dtype.kind == "b":
        a, b = a.astype(dtypes.default_float.name), b.astype(dtypes.default_float.name)
    close = a == b
    finite = True
    if a.dtype.kind == "f":
        if equal_nan:
            close = close | (xp.isnan(a) & xp.isnan(b))
        # NOTE: a NaN or an infinity is never within a tolerance (equal infinities are
        # caught by ==); zeroing them keeps inf - inf from warning about an invalid value
        finite = xp.isfinite(a) & xp.isfinite(b)
        a, b = xp.where(finite, a, 0), xp.where(finite, b, 0)
    work = a.dtype.name if a.dtype.kind == "f" else dtypes.default_float.name
    error = xp.abs(a - b).astype(work, copy=False)
    allowed = atol + xp.abs(rtol * b.astype(work, copy=False))
    return _bool_tensor(close | (finite & xp.isfinite(error) & (error <= allowed)), input)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether ``isclose`` holds everywhere, as ``torch.allclose``: a Python bool."""
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


def equal(input, other):
    """Whether both tensors have the same shape and the same values, as ``torch.equal``: a
    Python bool (False where a NaN is, since NaN equals nothing)."""
    require_tensor("equal", "input", input)
    require_tensor("equal", "other", other)
    if input.shape != other.shape:
        return False
    return bool(eq(input, other).data.all())


def _classify(name, input):
    """``xp.<name>`` (isnan, isinf, ...) of a float tensor; integer and bool tensors hold no
    NaN or infinity, so every element is finite."""
    require_tensor(name, "input", input)
    xp, data = input._backend.xp, input.data
    if data.dtype.kind == "f":
        return _bool_tensor(getattr(xp, name)(data), input)
    return _bool_tensor(xp.full(data.shape, name == "isfinite", dtype=bool), input)


def isnan(input):
    """Where ``input`` is NaN: a bool tensor."""
    return _classify("isnan", input)


def isinf(input):
    """Where ``input`` is plus or minus infinity: a bool tensor."""
    return _classify("isinf", input)


def isfinite(input):
    """Where ``input`` is neither NaN nor infinite: a bool tensor."""
    return _classify("isfinite", input)


def isposinf(input):
    """Where ``input`` is plus infinity: a bool tensor."""
    return _classify("isposinf", input)


def isneginf(input):
    """Where ``input`` is minus infinity: a bool tensor."""
    return _classify("isneginf", input)


def _logical(name, input, other):
    """``xp.<name>`` of two tensors of any dtypes, nonzero meaning True: a bool tensor."""
    _check_pair(name, input, other, other_may_be_number=False)
    return _bool_tensor(getattr(input._backend.xp, name)(input.data, other.data), input)


def logical_and(input, other):
    """Where both ``input`` and ``other`` are nonzero: a bool tensor."""
    return _logical("logical_and", input, other)


def logical_or(input, other):
    """Where ``input`` or ``other`` is nonzero: a bool tensor."""
    return _logical("logical_or", input, other)


def logical_xor(input, other):
    """Where exactly one of ``input`` and ``other`` is nonzero: a bool tensor."""
    return _logical("logical_xor", input, other)


def logical_not(input):
    """Where ``input`` is zero: a bool tensor."""
    require_tensor("logical_not", "input", input)
    return _bool_tensor(input._backend.xp.logical_not(input.data), input)
