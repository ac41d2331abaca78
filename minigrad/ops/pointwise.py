"""Pointwise math, unary: trigonometric and hyperbolic functions and the log/exp variants
(log1p, expm1, log2, log10, exp2). The rest (powers, erf, frac and the binary atan2, hypot,
logaddexp, fmod, remainder) is in ``pointwise_special.py``.

Integer tensors become the default float dtype first, as in PyTorch (``torch.sin`` of an
int64 tensor is float32).
"""

import math

from minigrad.autograd.function import Function
from minigrad.ops._operands import as_float

__all__ = ["acos", "asin", "atan", "cos", "cosh", "exp2", "expm1", "log1p", "log2", "log10",
           "sin", "sinh", "tan"]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


class Sin(Function):
    """out = sin(x);  d/dx = cos(x)."""

    op_name = "sin"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out * ctx.xp.cos(x)


class Cos(Function):
    """out = cos(x);  d/dx = -sin(x)."""

    op_name = "cos"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.cos(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return -g_out * ctx.xp.sin(x)


class Tan(Function):
    """out = tan(x);  d/dx = 1 + out^2."""

    op_name = "tan"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g_out):
        (out,) = ctx.saved_tensors
        return g_out * (1 + out * out)


class Asin(Function):
    """out = asin(x);  d/dx = 1 / sqrt(1 - x^2)."""

    op_name = "asin"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.arcsin(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out / ctx.xp.sqrt(1 - x * x)


class Acos(Function):
    """out = acos(x);  d/dx = -1 / sqrt(1 - x^2)."""

    op_name = "acos"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.arccos(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return -g_out / ctx.xp.sqrt(1 - x * x)


class Atan(Function):
    """out = atan(x);  d/dx = 1 / (1 + x^2)."""

    op_name = "atan"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.arctan(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out / (1 + x * x)


class Sinh(Function):
    """out = sinh(x);  d/dx = cosh(x)."""

    op_name = "sinh"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sinh(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out * ctx.xp.cosh(x)


class Cosh(Function):
    """out = cosh(x);  d/dx = sinh(x)."""

    op_name = "cosh"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.cosh(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out * ctx.xp.sinh(x)


class Log1p(Function):
    """out = log(1 + x), exact for tiny x;  d/dx = 1 / (1 + x)."""

    op_name = "log1p"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log1p(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out / (1 + x)


class Expm1(Function):
    """out = exp(x) - 1, exact for tiny x;  d/dx = exp(x) = out + 1."""

    op_name = "expm1"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g_out):
        (out,) = ctx.saved_tensors
        return g_out * (out + 1)


class Log2(Function):
    """out = log2(x);  d/dx = 1 / (x ln 2)."""

    op_name = "log2"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log2(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out / (x * _LN2)


class Log10(Function):
    """out = log10(x);  d/dx = 1 / (x ln 10)."""

    op_name = "log10"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log10(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out / (x * _LN10)


class Exp2(Function):
    """out = 2^x;  d/dx = out ln 2."""

    op_name = "exp2"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.exp2(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g_out):
        (out,) = ctx.saved_tensors
        return g_out * out * _LN2


def sin(input):
    return Sin.apply(as_float(input))


def cos(input):
    return Cos.apply(as_float(input))


def tan(input):
    return Tan.apply(as_float(input))


def asin(input):
    return Asin.apply(as_float(input))


def acos(input):
    return Acos.apply(as_float(input))


def atan(input):
    return Atan.apply(as_float(input))


def sinh(input):
    return Sinh.apply(as_float(input))


def cosh(input):
    return Cosh.apply(as_float(input))


def log1p(input):
    return Log1p.apply(as_float(input))


def expm1(input):
    return Expm1.apply(as_float(input))


def log2(input):
    return Log2.apply(as_float(input))


def log10(input):
    return Log10.apply(as_float(input))


def exp2(input):
    return Exp2.apply(as_float(input))
