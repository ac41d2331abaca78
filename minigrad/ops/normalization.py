"""Normalization ops: batch norm (training statistics) and layer norm, each one fused
``Function`` with its closed-form backward.

Both standardize ``x`` over some axes, then scale and shift per feature:

    x_hat = (x - mean) / sqrt(var + eps),   y = weight * x_hat + bias

with the biased variance. Batch norm averages over the batch and every axis after the
channels (N, C, *), layer norm over the trailing ``normalized_shape`` axes. Their backward
shares one formula: with ``g_hat = g_y * weight`` and means taken over the normalized axes,

    g_x = inv_std * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)).

Running statistics are the module's business (``nn.BatchNorm2d`` and its siblings), not the
op's: the batch op returns the batch mean and variance as extra, non-differentiable outputs.
Instance norm is this batch op on the input viewed as (1, N * C, *): one "channel" per sample
and channel (``F.instance_norm``).
"""

import math

from minigrad.autograd.function import Function


def _mean(xp, x, axes):
    """``x.mean(axis=axes, keepdims=True)`` with the same result (float16 summed in float32),
    without ``ndarray.mean``'s Python wrapper, about 10 us a call: normalization takes up
    to five means per call. The mean over no values is 0 (not NaN and a warning): an empty
    batch normalizes to an empty output, as in PyTorch."""
    count = math.prod(x.shape[axis] for axis in axes)
    total = x.sum(axis=axes, keepdims=True, dtype=xp.float32 if x.dtype == xp.float16 else None)
    total /= max(count, 1)
    return total.astype(x.dtype, copy=False)


def standardize(xp, x, axes, eps):
    """``x_hat`` and ``inv_std`` over ``axes``, by the corrected two-pass algorithm.

    NOTE: the variance is taken of centred data, and the centring is corrected once by the
    mean of the residuals (which absorbs the rounding error of the first mean). Rows offset
    by 1e4 in float32 then normalize to ~1e-7 of the float64 result; one pass gives ~1e-3.
    """
    mean = _mean(xp, x, axes)
    centered = x - mean
    residual = _mean(xp, centered, axes)
    centered -= residual
    mean += residual
    var = _mean(xp, centered * centered, axes)
    inv_std = 1.0 / xp.sqrt(var + eps)
    centered *= inv_std  # NOTE: in place, now x_hat: a fresh array is not needed
    return centered, inv_std, mean, var


def standardize_backward(xp, g_hat, x_hat, inv_std, axes):
    """Gradient through ``x_hat = (x - mean) * inv_std`` (mean and var depend on x)."""
    mean_g = _mean(xp, g_hat, axes)
    mean_gx = _mean(xp, g_hat * x_hat, axes)
    return inv_std * (g_hat - mean_g - x_hat * mean_gx)


def _affine(x_hat, weight, bias, shape):
    """``weight * x_hat + bias``, either one optional; ``x_hat`` itself is left intact."""
    if weight is None:
        return x_hat if bias is None else x_hat + bias.reshape(shape)
    y = x_hat * weight.reshape(shape)
    if bias is not None:
        y += bias.reshape(shape)  # NOTE: y is new, so the bias can go in without another array
    return y


def _affine_grads(ctx, g_y, x_hat, weight, shape, axes):
    """Gradients of x_hat (to continue with) and of weight and bias (each summed over axes)."""
    needs = ctx.needs_input_grad
    g_weight = (g_y * x_hat).sum(axis=axes) if needs[1] else None
    g_bias = g_y.sum(axis=axes) if needs[2] else None
    g_hat = g_y * weight.reshape(shape) if weight is not None else g_y
    return g_hat, g_weight, g_bias


class BatchNorm(Function):
    """Batch normalization with the batch's own statistics (training mode).

    x is (N, C, *): (N, C), (N, C, L), (N, C, H, W), (N, C, D, H, W); statistics are per
    channel C over N and every axis after C. Returns ``(y, mean, var)``: ``mean`` and biased
    ``var`` (shape (C,)) carry no gradient and feed the module's running statistics.
    """

    op_name = "batch_norm"

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        x_hat, inv_std, mean, var = standardize(ctx.xp, x, axes, eps)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.axes, ctx.shape = axes, shape
        mean, var = mean.reshape(-1), var.reshape(-1)
        ctx.mark_non_differentiable(mean, var)
        return _affine(x_hat, weight, bias, shape), mean, var

    @staticmethod
    def backward(ctx, g_y, g_mean, g_var):
        # NOTE: here the parameters' gradients sum over the same axes the statistics average
        # over, so the two sums serve both (the shared formula with g_hat = g_y * weight)
        x_hat, inv_std, weight = ctx.saved_tensors
        sum_g = g_y.sum(axis=ctx.axes, keepdims=True)
        sum_gx = (g_y * x_hat).sum(axis=ctx.axes, keepdims=True)
        needs = ctx.needs_input_grad
        g_x = None
        if needs[0]:
            count = max(math.prod(g_y.shape[axis] for axis in ctx.axes), 1)
            scale = inv_std if weight is None else inv_std * weight.reshape(ctx.shape)
            g_x = scale * (g_y - sum_g / count - x_hat * (sum_gx / count))
        return (g_x, sum_gx.reshape(-1) if needs[1] else None,
                sum_g.reshape(-1) if needs[2] else None, None)


class LayerNorm(Function):
    """Layer normalization over the trailing ``ndim_normalized`` axes of x."""

    op_name = "layer_norm"

    @staticmethod
    def forward(ctx, x, weight, bias, ndim_normalized, eps):
        axes = tuple(range(x.ndim - ndim_normalized, x.ndim))
        shape = x.shape[x.ndim - ndim_normalized:]
        x_hat, inv_std, _, _ = standardize(ctx.xp, x, axes, eps)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.axes, ctx.shape = axes, shape
        ctx.batch_axes = tuple(range(x.ndim - ndim_normalized))
        return _affine(x_hat, weight, bias, shape)

    @staticmethod
    def backward(ctx, g_y):
        x_hat, inv_std, weight = ctx.saved_tensors
        g_hat, g_weight, g_bias = _affine_grads(ctx, g_y, x_hat, weight, ctx.shape,
                                                ctx.batch_axes)
        g_x = None
        if ctx.needs_input_grad[0]:
            g_x = standardize_backward(ctx.xp, g_hat, x_hat, inv_std, ctx.axes)
        return g_x, g_weight, g_bias, None, None
