"""Piecewise-linear activations: hardtanh, relu6, hardswish, hardsigmoid, threshold, prelu.

At a kink each op takes PyTorch's one-sided derivative (the derivative is undefined there):
hardtanh and relu6 pass no gradient at their bounds, hardswish takes the left piece's 0 at
-3 and the right piece's 1 at 3, hardsigmoid passes none at either bound, threshold none at
its threshold, and prelu the slope ``weight`` at 0. A NaN input passes its gradient where
PyTorch's comparisons let it through (hardtanh, relu6, hardswish, threshold).

``inplace=`` is accepted so PyTorch code ports unchanged, but the result is always a new
tensor: minigrad does not differentiate through in-place changes.
"""

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.ops._operands import as_float, refuse_bool, require_float, require_tensor

__all__ = ["hardtanh", "relu6", "hardswish", "hardsigmoid", "threshold", "prelu"]

_ONE_SIXTH_FLOAT32 = 0.1666666716337204  # float32(1 / 6), as PyTorch's hardsigmoid backward


class Hardtanh(Function):
    """y = min(max(x, min_val), max_val);  dy/dx = 1 where min_val < x < max_val, else 0
    (0 at the bounds, as PyTorch)."""

    op_name = "hardtanh"

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        # NOTE: PyTorch's backward mask is "not (x <= min_val or x >= max_val)", which lets
        # a NaN through; "min_val < x < max_val" would not
        inside = ~((x <= min_val) | (x >= max_val))
        ctx.save_for_backward(inside)
        return ctx.xp.clip(x, min_val, max_val)

    @staticmethod
    def backward(ctx, g_y):
        (inside,) = ctx.saved_tensors
        return ctx.xp.where(inside, g_y, 0), None, None


class Hardswish(Function):
    """y = x * min(max(x + 3, 0), 6) / 6;  dy/dx = 0 where x <= -3, x / 3 + 1/2 where
    -3 < x < 3, and 1 where x >= 3 (PyTorch's sides at the kinks)."""

    op_name = "hardswish"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * ctx.xp.clip(x + 3, 0, 6) / 6

    @staticmethod
    def backward(ctx, g_y):
        (x,) = ctx.saved_tensors
        xp = ctx.xp
        return xp.where(x <= -3, 0, xp.where(x < 3, g_y * (x / 3 + 0.5), g_y))


class Hardsigmoid(Function):
    """y = min(max(x + 3, 0), 6) / 6;  dy/dx = 1/6 where -3 < x < 3, else 0 (0 at the
    bounds, as PyTorch).

    NOTE: PyTorch's kernels multiply the gradient by 1/6 rounded to float32 in every dtype
    (0.16666667163..., 3e-8 relative off in float64); minigrad takes the same constant, so
    its float64 gradients agree with PyTorch's to the bit rather than to 3e-8.
    """

    op_name = "hardsigmoid"

    @staticmethod
    def forward(ctx, x):
        inside = (x > -3) & (x < 3)
        ctx.save_for_backward(inside)
        return ctx.xp.clip(x + 3, 0, 6) / 6

    @staticmethod
    def backward(ctx, g_y):
        (inside,) = ctx.saved_tensors
        return ctx.xp.where(inside, g_y * _ONE_SIXTH_FLOAT32, 0)


class Threshold(Function):
    """y = x where x > threshold, else value;  dy/dx = 1 where x > threshold, else 0."""

    op_name = "threshold"

    @staticmethod
    def forward(ctx, x, threshold, value):
        keep = ~(x <= threshold)  # NOTE: PyTorch's mask: a NaN input stays NaN
        ctx.save_for_backward(keep)
        return ctx.xp.where(keep, x, value)

    @staticmethod
    def backward(ctx, g_y):
        (keep,) = ctx.saved_tensors
        return ctx.xp.where(keep, g_y, 0), None, None


def _per_channel(weight, ndim):
    """``weight`` shaped to broadcast over an input of ``ndim`` dims: along dim 1 (the
    channels) when it has one value per channel, everywhere when it has one value."""
    shape = [1] * ndim
    if ndim >= 2:
        shape[1] = weight.size
    return weight.reshape(shape)


class PReLU(Function):
    """y = x where x > 0, else weight * x, one weight per channel (dim 1) or one for all;
    dy/dx = 1 where x > 0, else weight;  dy/dweight = x where x <= 0, else 0, summed over
    every dim but the channels."""

    op_name = "prelu"

    @staticmethod
    def forward(ctx, x, weight):
        positive = x > 0
        ctx.save_for_backward(x, weight, positive)
        return ctx.xp.where(positive, x, x * _per_channel(weight, x.ndim))

    @staticmethod
    def backward(ctx, g_y):
        x, weight, positive = ctx.saved_tensors
        xp = ctx.xp
        g_x = g_weight = None
        if ctx.needs_input_grad[0]:
            g_x = xp.where(positive, g_y, g_y * _per_channel(weight, x.ndim))
        if ctx.needs_input_grad[1]:
            shared = weight.size == 1
            axes = tuple(axis for axis in range(x.ndim) if shared or axis != 1)
            g_weight = xp.where(positive, 0, g_y * x).sum(axis=axes).reshape(weight.shape)
        return g_x, g_weight


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp to ``[min_val, max_val]``, as ``torch.nn.functional.hardtanh``."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val (got min_val="
                         f"{min_val}, max_val={max_val})")
    # NOTE: integer input gives the default float dtype (PyTorch keeps the integer dtype)
    return Hardtanh.apply(as_float(refuse_bool("hardtanh", input)), min_val, max_val)


def relu6(input, inplace=False):
    """min(max(x, 0), 6), as ``torch.nn.functional.relu6``: PyTorch defines it as
    ``hardtanh(x, 0, 6)``, and so does minigrad (the same values and kink gradients)."""
    return hardtanh(input, 0.0, 6.0)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6 (MobileNetV3), as ``torch.nn.functional.hardswish``."""
    return Hardswish.apply(require_float("hardswish", input))


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6, as ``torch.nn.functional.hardsigmoid``."""
    return Hardsigmoid.apply(require_float("hardsigmoid", input))


def threshold(input, threshold, value, inplace=False):
    """Replace every element not above ``threshold`` with ``value``, as
    ``torch.nn.functional.threshold``."""
    return Threshold.apply(as_float(refuse_bool("threshold", input)), threshold, value)


def prelu(input, weight):
    """PReLU with a learned slope ``weight`` (0-d or 1-d: one value, or one per channel of
    dim 1), as ``torch.nn.functional.prelu``; differentiable in both arguments."""
    require_float("prelu", input)
    require_tensor("prelu", "weight", weight)
    if weight.ndim > 1:
        raise ShapeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                         f"ndim = {weight.ndim} (weight {tuple(weight.shape)})")
    count = weight.data.size
    if count != 1:
        if input.ndim == 0:
            raise ShapeError(f"prelu: Not allow zero-dim input tensor with {count} weights "
                             f"(weight {tuple(weight.shape)})")
        channels = input.shape[1] if input.ndim >= 2 else 1
        if count != channels:
            raise ShapeError(f"prelu: Mismatch of parameter numbers and input channel size. "
                             f"Found parameter numbers = {count} and channel size = "
                             f"{channels} (input {tuple(input.shape)}, weight "
                             f"{tuple(weight.shape)})")
    return PReLU.apply(input, weight)
