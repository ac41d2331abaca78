"""Activations: relu, leaky_relu, elu, sigmoid, tanh, gelu, softmax, log_softmax."""

import math

from minigrad.autograd.function import Function
from minigrad.ops import _dims
from minigrad.ops._operands import as_float, require_float

__all__ = ["relu", "leaky_relu", "elu", "sigmoid", "tanh", "softplus", "gelu", "softmax",
           "log_softmax"]

_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


def logistic(xp, x):
    """1 / (1 + exp(-x)) without overflow, to full relative precision in both tails.

    NOTE: with e = exp(-|x|) <= 1 nothing overflows; for x < 0 the form e / (1 + e) keeps
    tiny results exact where 1 - (something near 1) would cancel.
    """
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, e) / (1 + e)


class ReLU(Function):
    """y = max(x, 0);  dy/dx = 1 where x > 0, else 0."""

    op_name = "relu"

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g_y):
        (y,) = ctx.saved_tensors
        xp = ctx.xp
        # NOTE: PyTorch's mask is "y not <= 0", so a NaN output passes its gradient. A
        # multiply by the mask, not where(): where() on a mask of random signs mispredicts
        # its branches (290 us against 30 us on (128, 512) float32 here). A NaN or inf
        # gradient must still become 0 at a dead unit, and only then does where() run.
        keep = ~(y <= 0)
        if xp.isfinite(g_y).all():
            return g_y * keep
        return xp.where(keep, g_y, 0)


class LeakyReLU(Function):
    """y = x where x > 0, else slope * x;  dy/dx = 1 or slope."""

    op_name = "leaky_relu"

    @staticmethod
    def forward(ctx, x, slope):
        positive = x > 0
        ctx.save_for_backward(positive)
        ctx.slope = slope
        return ctx.xp.where(positive, x, x * slope)

    @staticmethod
    def backward(ctx, g_y):
        (positive,) = ctx.saved_tensors
        return ctx.xp.where(positive, g_y, g_y * ctx.slope), None


class ELU(Function):
    """y = x where x > 0, else alpha * (exp(x) - 1);  dy/dx = 1 or y + alpha."""

    op_name = "elu"

    @staticmethod
    def forward(ctx, x, alpha):
        xp = ctx.xp
        positive = x > 0
        y = xp.where(positive, x, alpha * xp.expm1(xp.minimum(x, 0)))
        ctx.save_for_backward(positive, y)
        ctx.alpha = alpha
        return y

    @staticmethod
    def backward(ctx, g_y):
        positive, y = ctx.saved_tensors
        return ctx.xp.where(positive, g_y, g_y * (y + ctx.alpha)), None


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x));  dy/dx = y * (1 - y)."""

    op_name = "sigmoid"

    @staticmethod
    def forward(ctx, x):
        y = logistic(ctx.xp, x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g_y):
        (y,) = ctx.saved_tensors
        return g_y * y * (1 - y)


class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - y^2."""

    op_name = "tanh"

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g_y):
        (y,) = ctx.saved_tensors
        return g_y * (1 - y * y)


class Softplus(Function):
    """y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold (PyTorch's
    linear tail);  dy/dx = sigmoid(beta x), and 1 on the tail."""

    op_name = "softplus"

    @staticmethod
    def forward(ctx, x, beta, threshold):
        xp = ctx.xp
        z = x * beta if beta != 1 else x
        # NOTE: max(z, 0) + log1p(exp(-|z|)): exp never overflows, and log1p keeps the
        # tiny values of the far negative side exact
        y = xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))
        if beta != 1:
            y = y / beta
        linear = z > threshold
        ctx.save_for_backward(z, linear)
        return xp.where(linear, x, y)

    @staticmethod
    def backward(ctx, g_y):
        z, linear = ctx.saved_tensors
        return ctx.xp.where(linear, g_y, g_y * logistic(ctx.xp, z)), None, None


class GELU(Function):
    """y = x * Phi(x), Phi the standard normal CDF;  dy/dx = Phi(x) + x * phi(x).

    With ``approximate="tanh"``: Phi(x) ~ (1 + tanh(u)) / 2, u = sqrt(2/pi) (x + 0.044715 x^3).
    """

    op_name = "gelu"

    @staticmethod
    def forward(ctx, x, approximate):
        xp = ctx.xp
        ctx.approximate = approximate
        if approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
            ctx.save_for_backward(x, t)
            return 0.5 * x * (1 + t)
        cdf = 0.5 * (1 + ctx.backend.erf(x * _INV_SQRT_2))
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, g_y):
        xp = ctx.xp
        x, s = ctx.saved_tensors
        if ctx.approximate == "tanh":
            du_dx = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
            dy_dx = 0.5 * (1 + s) + 0.5 * x * (1 - s * s) * du_dx
        else:
            dy_dx = s + x * _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
        return g_y * dy_dx, None


class Softmax(Function):
    """y = exp(x) / sum(exp(x)) along dim;  g_x = y * (g_y - sum(g_y * y))."""

    op_name = "softmax"

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        e = xp.exp(x - x.max(axis=dim, keepdims=True))  # NOTE: shift keeps exp finite
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g_y):
        (y,) = ctx.saved_tensors
        return y * (g_y - (g_y * y).sum(axis=ctx.dim, keepdims=True)), None


class LogSoftmax(Function):
    """y = x - logsumexp(x) along dim;  g_x = g_y - exp(y) * sum(g_y)."""

    op_name = "log_softmax"

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        shifted = x - x.max(axis=dim, keepdims=True)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g_y):
        (y,) = ctx.saved_tensors
        return g_y - ctx.xp.exp(y) * g_y.sum(axis=ctx.dim, keepdims=True), None


def relu(x):
    return ReLU.apply(x)


def leaky_relu(x, negative_slope=0.01):
    """As PyTorch, integer and bool input raises."""
    return LeakyReLU.apply(require_float("leaky_relu", x), negative_slope)


def elu(x, alpha=1.0):
    """As PyTorch, integer and bool input raises."""
    return ELU.apply(require_float("elu", x), alpha)


def sigmoid(x):
    """As PyTorch, integer and bool input gives the default float dtype."""
    return Sigmoid.apply(as_float(x))


def tanh(x):
    """As PyTorch, integer and bool input gives the default float dtype."""
    return Tanh.apply(as_float(x))


def softplus(input, beta=1.0, threshold=20.0):
    """Softplus, a smooth ReLU, as ``torch.nn.functional.softplus`` (integer input raises)."""
    return Softplus.apply(require_float("softplus", input), beta, threshold)


def gelu(x, approximate="none"):
    """GELU with the exact erf form, or PyTorch's ``approximate="tanh"``."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(require_float("gelu", x), approximate)


def softmax(x, dim):
    """exp(x) / sum(exp(x)) along ``dim``; as PyTorch, integer input raises."""
    require_float("softmax", x)
    return Softmax.apply(x, _dims.axis_or_none(dim, x.shape, "softmax"))


def log_softmax(x, dim):
    """x - logsumexp(x) along ``dim``; as PyTorch, integer input raises."""
    require_float("log_softmax", x)
    return LogSoftmax.apply(x, _dims.axis_or_none(dim, x.shape, "log_softmax"))
