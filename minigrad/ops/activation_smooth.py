"""Smooth activations: silu, mish, selu, celu, logsigmoid, softsign, and the two that work
along a dim, softmin and glu.

silu, mish, logsigmoid and glu take exp only of values <= 0 (selu, and celu for
alpha > 0, of min(x, 0) times a positive factor), so at |x| ~ 1e4 they give exact tails,
not an overflow, inf or NaN.

``inplace=`` is accepted so PyTorch code ports unchanged, but the result is always a new
tensor: minigrad does not differentiate through in-place changes.
"""

import warnings

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.ops import _dims
from minigrad.ops._operands import as_float, require_float
from minigrad.ops.activation import logistic, softmax

__all__ = ["silu", "mish", "selu", "celu", "logsigmoid", "softsign", "softmin", "glu"]

# NOTE: SELU's constants (Klambauer et al., 2017) to the digits PyTorch uses
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def stable_softplus(xp, x):
    """log(1 + exp(x)) as max(x, 0) + log1p(exp(-|x|)): exp never overflows, and log1p
    keeps the tiny values of the far negative side exact."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class SiLU(Function):
    """y = x * sigmoid(x) (swish);  dy/dx = s * (1 + x * (1 - s)), s = sigmoid(x)."""

    op_name = "silu"

    @staticmethod
    def forward(ctx, x):
        s = logistic(ctx.xp, x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, g_y):
        x, s = ctx.saved_tensors
        return g_y * s * (1 + x * (1 - s))


class Mish(Function):
    """y = x * tanh(softplus(x));  dy/dx = t + x * sigmoid(x) * (1 - t^2), t = tanh(softplus(x))
    (d softplus / dx = sigmoid)."""

    op_name = "mish"

    @staticmethod
    def forward(ctx, x):
        t = ctx.xp.tanh(stable_softplus(ctx.xp, x))
        ctx.save_for_backward(x, t)
        return x * t

    @staticmethod
    def backward(ctx, g_y):
        x, t = ctx.saved_tensors
        return g_y * (t + x * logistic(ctx.xp, x) * (1 - t * t))


class _ScaledELU(Function):
    """y = scale * x where x > 0, else scale * alpha * (exp(k x) - 1);  dy/dx = scale, or
    scale * alpha * k * exp(k x) (PyTorch's ELU with its scale and input scale k).

    NOTE: backward takes exp(k x) afresh: from the output, y / (scale alpha) + 1 loses the
    derivative's digits to cancellation where exp(k x) is tiny.
    """

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        xp = ctx.xp
        positive = ~(x <= 0)  # NOTE: PyTorch's mask: a NaN input takes the linear side's slope
        y = xp.where(positive, x, alpha * xp.expm1(xp.minimum(x, 0) * input_scale))
        ctx.save_for_backward(x, positive)
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        return y * scale if scale != 1 else y

    @staticmethod
    def backward(ctx, g_y):
        x, positive = ctx.saved_tensors
        xp = ctx.xp
        negative_side = ctx.scale * ctx.alpha * ctx.input_scale
        slope = xp.where(positive, ctx.scale,
                         negative_side * xp.exp(xp.minimum(x, 0) * ctx.input_scale))
        return g_y * slope, None, None, None


class SELU(_ScaledELU):
    """y = scale * (x where x > 0, else alpha * (exp(x) - 1)), with PyTorch's alpha ~ 1.6733
    and scale ~ 1.0507;  dy/dx = scale, or scale * alpha * exp(x) (that side at 0, as
    PyTorch)."""

    op_name = "selu"


class CELU(_ScaledELU):
    """y = x where x > 0, else alpha * (exp(x / alpha) - 1);  dy/dx = 1, or exp(x / alpha)
    (continuous at 0 for any alpha)."""

    op_name = "celu"


class LogSigmoid(Function):
    """y = log(sigmoid(x)) = -softplus(-x);  dy/dx = sigmoid(-x) = 1 - sigmoid(x)."""

    op_name = "logsigmoid"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return -stable_softplus(ctx.xp, -x)

    @staticmethod
    def backward(ctx, g_y):
        (x,) = ctx.saved_tensors
        return g_y * logistic(ctx.xp, -x)  # NOTE: not 1 - s, which cancels for x >> 0


class Softsign(Function):
    """y = x / (1 + |x|);  dy/dx = 1 / (1 + |x|)^2."""

    op_name = "softsign"

    @staticmethod
    def forward(ctx, x):
        denominator = 1 + ctx.xp.abs(x)
        ctx.save_for_backward(denominator)
        return x / denominator

    @staticmethod
    def backward(ctx, g_y):
        (denominator,) = ctx.saved_tensors
        return g_y / (denominator * denominator)


class GLU(Function):
    """y = a * sigmoid(b), a and b the two halves of x along dim;  dy/da = sigmoid(b),
    dy/db = a * s * (1 - s), s = sigmoid(b)."""

    op_name = "glu"

    @staticmethod
    def forward(ctx, x, axis):
        xp = ctx.xp
        a, b = xp.split(x, 2, axis=axis)
        s = logistic(xp, b)
        ctx.save_for_backward(a, s)
        ctx.axis = axis
        return a * s

    @staticmethod
    def backward(ctx, g_y):
        a, s = ctx.saved_tensors
        g_a, g_b = g_y * s, g_y * a * s * (1 - s)
        return ctx.xp.concatenate([g_a, g_b], axis=ctx.axis), None


def silu(input, inplace=False):
    """x * sigmoid(x), as ``torch.nn.functional.silu``."""
    return SiLU.apply(require_float("silu", input))


def mish(input, inplace=False):
    """x * tanh(softplus(x)), as ``torch.nn.functional.mish``."""
    return Mish.apply(require_float("mish", input))


def selu(input, inplace=False):
    """Self-normalizing ELU, as ``torch.nn.functional.selu``."""
    return SELU.apply(require_float("selu", input), _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input, alpha=1.0, inplace=False):
    """Continuously differentiable ELU, as ``torch.nn.functional.celu``."""
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    return CELU.apply(require_float("celu", input), alpha, 1.0, 1.0 / alpha)


def logsigmoid(input):
    """log(sigmoid(x)) without overflow, as ``torch.nn.functional.logsigmoid``."""
    return LogSigmoid.apply(require_float("logsigmoid", input))


def softsign(input):
    """x / (1 + |x|), as ``torch.nn.functional.softsign``."""
    return Softsign.apply(as_float(input))


def implicit_dim(ndim):
    """PyTorch's legacy dim for softmax-like ops called without one: 0 for 0-, 1- and 3-d
    input, else 1."""
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input, dim=None):
    """softmax(-x) along ``dim``, as ``torch.nn.functional.softmin`` (and as PyTorch
    defines it). Without ``dim``, PyTorch's deprecated implicit choice, with its warning."""
    require_float("softmin", input)
    if dim is None:
        dim = implicit_dim(input.ndim)
        warnings.warn(f"softmin: implicit dimension choice is deprecated; pass dim={dim} "
                      "as an argument", UserWarning, stacklevel=2)
    return softmax(-input, dim)


def glu(input, dim=-1):
    """Gated linear unit: the first half of ``input`` along ``dim`` times the sigmoid of
    the second, as ``torch.nn.functional.glu``."""
    require_float("glu", input)
    if input.ndim == 0:
        raise ShapeError("glu: glu does not support scalars because halving size must be even")
    axis = _dims.axis(dim, input.ndim, "glu", input.shape)
    if input.shape[axis] % 2:
        raise ShapeError(f"glu: Halving dimension must be even, but dimension {axis} is size "
                         f"{input.shape[axis]} (input {tuple(input.shape)})")
    return GLU.apply(input, axis)
