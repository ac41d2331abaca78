"""Pointwise rounding: sign, floor, ceil, round, trunc, and rounded division (``//``).
Their outputs are piecewise constant, so, as in PyTorch, they are in the graph with a zero
gradient (``frac``, whose slope is 1, is in ``pointwise_special.py``). Integer tensors come
back unchanged in value and dtype, as PyTorch's do.

NOTE: a zero gradient cannot be told from a scaled one, so these are not in the op
registry, whose sweep checks that a 1% wrong backward is caught; their values and zero
gradients are held against PyTorch in ``tests/test_pointwise.py`` and
``tests/test_rounded_division.py``.
"""

from minigrad.autograd.function import Function
from minigrad.ops._operands import binary_operands

__all__ = ["ceil", "floor", "floor_divide", "round", "sign", "trunc"]


class _PiecewiseConstant(Function):
    """The backward shared by the rounding ops: d/dx = 0 wherever it is defined."""

    @staticmethod
    def backward(ctx, g_out):
        return ctx.xp.zeros_like(g_out)


class Sign(_PiecewiseConstant):
    """out = -1, 0 or 1 as x < 0, x == 0, x > 0;  d/dx = 0."""

    op_name = "sign"

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.sign(x)


class Floor(_PiecewiseConstant):
    """out = the largest integer <= x;  d/dx = 0."""

    op_name = "floor"

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.floor(x) if x.dtype.kind == "f" else x.copy()


class Ceil(_PiecewiseConstant):
    """out = the smallest integer >= x;  d/dx = 0."""

    op_name = "ceil"

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.ceil(x) if x.dtype.kind == "f" else x.copy()


class Trunc(_PiecewiseConstant):
    """out = x rounded toward zero;  d/dx = 0."""

    op_name = "trunc"

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.trunc(x) if x.dtype.kind == "f" else x.copy()


class Round(_PiecewiseConstant):
    """out = x rounded to ``decimals`` places, halves to even (as PyTorch: rint(x * 10^d) /
    10^d, or rint(x / 10^-d) * 10^-d for negative d);  d/dx = 0."""

    op_name = "round"

    @staticmethod
    def forward(ctx, x, decimals):
        xp = ctx.xp
        if x.dtype.kind != "f":
            return x.copy()
        if decimals == 0:
            return xp.rint(x)
        # NOTE: the power of ten in x's dtype, so float32 stays float32
        if decimals > 0:
            scale = xp.asarray(10.0 ** decimals, dtype=x.dtype)
            return xp.rint(x * scale) / scale
        scale = xp.asarray(10.0 ** -decimals, dtype=x.dtype)
        return xp.rint(x / scale) * scale

    @staticmethod
    def backward(ctx, g_out):
        return _PiecewiseConstant.backward(ctx, g_out), None


def sign(input):
    return Sign.apply(input)


def floor(input):
    return Floor.apply(input)


def ceil(input):
    return Ceil.apply(input)


def trunc(input):
    return Trunc.apply(input)


def round(input, *, decimals=0):
    """Round half to even, to ``decimals`` decimal places (negative: to tens, hundreds...)."""
    return Round.apply(input, decimals)


class RoundedDivide(Function):
    """out = a / b rounded towards minus infinity (``"floor"``, Python's ``//``) or towards
    zero (``"trunc"``), integer for integer operands;  d/da = d/db = 0."""

    op_name = "rounded_divide"

    @staticmethod
    def forward(ctx, a, b, mode):
        xp = ctx.xp
        quotient = xp.floor_divide(a, b)
        if mode == "trunc":
            # NOTE: floor and trunc differ by one where the quotient is negative and inexact
            inexact = xp.remainder(a, b) != 0
            quotient = quotient + (inexact & ((xp.asarray(a) < 0) != (xp.asarray(b) < 0)))
        return quotient

    @staticmethod
    def backward(ctx, g_out):
        zeros = ctx.xp.zeros_like(g_out)
        return zeros, zeros, None


def floor_divide(input, other):
    """``input // other``, rounded towards minus infinity, broadcasting; integer tensors
    stay integer."""
    return RoundedDivide.apply(*binary_operands(input, other), "floor")


def trunc_divide(input, other):
    """``input / other`` rounded towards zero, broadcasting; integer tensors stay integer."""
    return RoundedDivide.apply(*binary_operands(input, other), "trunc")
