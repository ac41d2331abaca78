"""Comparisons and logic by name: ``eq``, ``lt``, ``isclose``, ``logical_and``..."""

import minigrad
from minigrad.tensor_methods._forwarding import pointwise_method as _pointwise_method


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

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return minigrad.ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return minigrad.ops.allclose(self, other, rtol, atol, equal_nan)
