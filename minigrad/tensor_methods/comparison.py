"""Comparisons and logic by name: ``eq``, ``lt``, ``isclose``, ``logical_and``...; the
bitwise ops by name and as the operators ``&``, ``|``, ``^``, ``~``."""

import numbers

import minigrad
from minigrad.tensor_methods._forwarding import pointwise_method as _pointwise_method


def takes_bitwise_operand(value):
    """Whether ``&``, ``|``, ``^`` (and their in-place forms) take ``value``: a tensor or a
    number; for anything else they return NotImplemented and Python raises its TypeError
    ("unsupported operand type(s)"), as with PyTorch."""
    return isinstance(value, (minigrad.Tensor, numbers.Number))


def _bitwise_operator(name):
    """``self <op> other`` as ``minigrad.ops.<name>(self, other)``; also the reflected form
    (``True & t``), since the bitwise ops are symmetric."""
    def operator(self, other):
        if not takes_bitwise_operand(other):
            return NotImplemented
        return getattr(minigrad.ops, name)(self, other)
    operator.__name__ = operator.__qualname__ = name
    return operator


class ComparisonMethods:
    """``x.eq(y)`` and friends, each ``minigrad.ops.<name>(x, ...)``; no gradient."""

    __slots__ = ()

    eq, ne, lt, le, gt, ge = (_pointwise_method(n) for n in ("eq", "ne", "lt", "le", "gt", "ge"))
    not_equal, less, less_equal = (_pointwise_method(n) for n in ("not_equal", "less",
                                                                  "less_equal"))
    greater, greater_equal = _pointwise_method("greater"), _pointwise_method("greater_equal")
    equal = _pointwise_method("equal")
    isnan, isinf, isfinite = (_pointwise_method(n) for n in ("isnan", "isinf", "isfinite"))
    isposinf, isneginf = _pointwise_method("isposinf"), _pointwise_method("isneginf")
    logical_and, logical_or = _pointwise_method("logical_and"), _pointwise_method("logical_or")
    logical_xor, logical_not = _pointwise_method("logical_xor"), _pointwise_method("logical_not")
    bitwise_and, bitwise_or = _pointwise_method("bitwise_and"), _pointwise_method("bitwise_or")
    bitwise_xor, bitwise_not = _pointwise_method("bitwise_xor"), _pointwise_method("bitwise_not")
    __and__ = __rand__ = _bitwise_operator("bitwise_and")
    __or__ = __ror__ = _bitwise_operator("bitwise_or")
    __xor__ = __rxor__ = _bitwise_operator("bitwise_xor")
    __invert__ = bitwise_not

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return minigrad.ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return minigrad.ops.allclose(self, other, rtol, atol, equal_nan)
