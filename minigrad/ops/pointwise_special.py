"""Pointwise math beyond ``pointwise.py``: square, rsqrt, reciprocal, erf, erfc, frac, and
the binary atan2, hypot, logaddexp, fmod and remainder.

Float-producing ops turn integer tensors into the default float dtype, as in PyTorch
(``square`` keeps integers, as ``torch.square`` does). Binary operands come from
``binary_operands`` (Python scalars adopt the tensor's dtype) and broadcast; each backward
returns gradients of the broadcast shape and the engine sums them back to each input.
"""

import math

from minigrad.autograd.function import Function
from minigrad.ops._operands import as_float, binary_operands, require_float
from minigrad.ops.activation import logistic

__all__ = ["atan2", "erf", "erfc", "fmod", "frac", "hypot", "logaddexp", "reciprocal",
           "remainder", "rsqrt", "square"]

_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI
_ERFC_TAIL_START, _ERFC_TAIL_LEVELS = 2.0, 40
# NOTE: from x = 28 on, erfc(x) is below the smallest float64 (5e-324) and rounds to 0; the
# tail is evaluated at most at 30, so x = inf gives that 0 rather than the NaN of inf - inf
_ERFC_ZERO_FROM = 30.0


class Square(Function):
    """out = x^2;  d/dx = 2x."""

    op_name = "square"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out * 2 * x


class Rsqrt(Function):
    """out = 1 / sqrt(x);  d/dx = -out^3 / 2."""

    op_name = "rsqrt"

    @staticmethod
    def forward(ctx, x):
        out = 1 / ctx.xp.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g_out):
        (out,) = ctx.saved_tensors
        return g_out * -0.5 * out * out * out


class Reciprocal(Function):
    """out = 1 / x;  d/dx = -out^2."""

    op_name = "reciprocal"

    @staticmethod
    def forward(ctx, x):
        out = 1 / x
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g_out):
        (out,) = ctx.saved_tensors
        return -g_out * out * out


class Erf(Function):
    """out = erf(x);  d/dx = 2 / sqrt(pi) * exp(-x^2)."""

    op_name = "erf"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.erf(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out * _TWO_OVER_SQRT_PI * ctx.xp.exp(-x * x)


class Erfc(Function):
    """out = erfc(x) = 1 - erf(x);  d/dx = -2 / sqrt(pi) * exp(-x^2).

    NOTE: 1 - erf(x) cancels for large x (erfc(3) ~ 2e-5 would keep three float32 digits),
    so from x = 2 on the value is the continued fraction
    erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + (2/2) / (x + (3/2) / ...))),
    whose 40 levels reach float64's precision there.
    """

    op_name = "erfc"

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        ctx.save_for_backward(x)
        tail = xp.clip(x, _ERFC_TAIL_START, _ERFC_ZERO_FROM)
        denominator = tail
        for k in range(_ERFC_TAIL_LEVELS, 0, -1):
            denominator = tail + (k / 2) / denominator
        # NOTE: exp(-x^2) as exp(-h^2) exp(-(x - h)(x + h)), h = x to 1/16: h^2 is exact, so
        # the rounding of x^2 (relative 1e-5 of the result at x = 9 in float32) never enters
        h = xp.floor(tail * 16) / 16
        gaussian = xp.exp(-h * h) * xp.exp(-(tail - h) * (tail + h))
        far = gaussian / (_SQRT_PI * denominator)
        # NOTE: 1 - erf in float64 for every dtype: in float32 the subtraction would lose
        # digits near x = 2 (erfc ~ 5e-3)
        near = (1 - ctx.backend.erf(x.astype("float64"))).astype(x.dtype)
        return xp.where(x < _ERFC_TAIL_START, near, far)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return -g_out * _TWO_OVER_SQRT_PI * ctx.xp.exp(-x * x)


class Frac(Function):
    """out = x - trunc(x), the fractional part with x's sign;  d/dx = 1 (as PyTorch)."""

    op_name = "frac"

    @staticmethod
    def forward(ctx, x):
        return x - ctx.xp.trunc(x)

    @staticmethod
    def backward(ctx, g_out):
        return g_out


class Atan2(Function):
    """out = atan2(a, b), the angle of the point (b, a);  d/da = b / (a^2 + b^2),
    d/db = -a / (a^2 + b^2)."""

    op_name = "atan2"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.arctan2(a, b)

    @staticmethod
    def backward(ctx, g_out):
        a, b = ctx.saved_tensors
        scaled = g_out / (a * a + b * b)
        return (scaled * b if ctx.needs_input_grad[0] else None,
                -scaled * a if ctx.needs_input_grad[1] else None)


class Hypot(Function):
    """out = sqrt(a^2 + b^2) without overflow;  d/da = a / out, d/db = b / out."""

    op_name = "hypot"

    @staticmethod
    def forward(ctx, a, b):
        out = ctx.xp.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g_out):
        a, b, out = ctx.saved_tensors
        scaled = g_out / out
        return (scaled * a if ctx.needs_input_grad[0] else None,
                scaled * b if ctx.needs_input_grad[1] else None)


class LogAddExp(Function):
    """out = log(exp(a) + exp(b)) without overflow;  d/da = exp(a - out) = sigmoid(a - b),
    d/db = sigmoid(b - a).

    NOTE: the sigmoid form, not exp(a - out): at a = inf (out = inf) that is exp(inf - inf),
    NaN, where the derivative is 1 (and 0 for the finite b)."""

    op_name = "logaddexp"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.logaddexp(a, b)

    @staticmethod
    def backward(ctx, g_out):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        return (g_out * logistic(xp, a - b) if ctx.needs_input_grad[0] else None,
                g_out * logistic(xp, b - a) if ctx.needs_input_grad[1] else None)


class _Remainder(Function):
    """out = a - q * b for the rounded quotient q;  d/da = 1, d/db = -q. Subclasses name the
    NumPy remainder function and give the quotient it implies."""

    remainder = None

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return getattr(ctx.xp, cls.remainder)(a, b)

    @classmethod
    def backward(cls, ctx, g_out):
        a, b = ctx.saved_tensors
        g_b = -g_out * cls.quotient(ctx.xp, a, b) if ctx.needs_input_grad[1] else None
        return g_out, g_b


class Fmod(_Remainder):
    """out = a - trunc(a / b) * b, with a's sign (C's fmod);  d/da = 1,
    d/db = -trunc(a / b)."""

    op_name = "fmod"
    remainder = "fmod"

    @staticmethod
    def quotient(xp, a, b):
        return xp.trunc(a / b)


class Remainder(_Remainder):
    """out = a - (a // b) * b, with b's sign (Python's %);  d/da = 1, d/db = -(a // b)."""

    op_name = "remainder"
    remainder = "remainder"

    @staticmethod
    def quotient(xp, a, b):
        # NOTE: floor_divide, the quotient remainder() itself implies: floor(a / b) can differ
        # (-1 % inf is inf, so the quotient is -1, but floor(-1 / inf) is -0)
        return xp.floor_divide(a, b)


def square(input):
    return Square.apply(input)


def rsqrt(input):
    return Rsqrt.apply(as_float(input))


def reciprocal(input):
    return Reciprocal.apply(as_float(input))


def erf(input):
    return Erf.apply(as_float(input))


def erfc(input):
    return Erfc.apply(as_float(input))


def frac(input):
    """As PyTorch, integer and bool input raises."""
    return Frac.apply(require_float("frac", input))


def atan2(input, other):
    """The angle of (other, input) in (-pi, pi], broadcasting."""
    return Atan2.apply(*binary_operands(input, other, true_division=True))


def hypot(input, other):
    return Hypot.apply(*binary_operands(input, other, true_division=True))


def logaddexp(input, other):
    return LogAddExp.apply(*binary_operands(input, other, true_division=True))


def fmod(input, other):
    """The remainder of input / other with input's sign, broadcasting."""
    return Fmod.apply(*binary_operands(input, other))


def remainder(input, other):
    """The remainder of input / other with other's sign (Python's %), broadcasting."""
    return Remainder.apply(*binary_operands(input, other))
