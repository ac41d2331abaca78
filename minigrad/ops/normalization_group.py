"""Normalization over groups of channels and by root mean square: group_norm, rms_norm.

Group norm standardizes each sample's channels in ``num_groups`` groups (with everything
after the channel axis), as layer norm does over the whole sample, then scales and shifts
per channel; its backward is layer norm's over the grouped view. RMS norm (Zhang and
Sennrich, 2019) divides by the root mean square over the trailing axes without centring:

    y = x / sqrt(mean(x^2) + eps) * weight.

The functions users call, with their argument checks, are ``F.group_norm`` and
``F.rms_norm`` in ``minigrad.nn.functional``.
"""

import math

from minigrad.autograd.function import Function
from minigrad.ops.normalization import (
    _affine,
    _affine_grads,
    _mean,
    standardize,
    standardize_backward,
)

__all__ = []


class GroupNorm(Function):
    """Group normalization of x (N, C, *) with ``num_groups`` groups of C / num_groups
    channels; ``weight`` and ``bias`` are per channel (C,), either may be None.

    x_hat is standardized over each (sample, group) slice with the biased variance;
    g_x = inv_std * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)) over the same
    slices, with g_hat = g_y * weight.
    """

    op_name = "group_norm"

    @staticmethod
    def forward(ctx, x, weight, bias, num_groups, eps):
        # NOTE: the group size spelled out: reshape cannot infer a -1 of an empty batch
        grouped = x.reshape(x.shape[0], num_groups, math.prod(x.shape[1:]) // num_groups)
        x_hat, inv_std, _, _ = standardize(ctx.xp, grouped, (2,), eps)
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.shape, ctx.x_shape = shape, x.shape
        ctx.axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channels
        return _affine(x_hat.reshape(x.shape), weight, bias, shape)

    @staticmethod
    def backward(ctx, g_y):
        x_hat, inv_std, weight = ctx.saved_tensors
        g_hat, g_weight, g_bias = _affine_grads(ctx, g_y, x_hat.reshape(ctx.x_shape), weight,
                                                ctx.shape, ctx.axes)
        g_x = None
        if ctx.needs_input_grad[0]:
            g_x = standardize_backward(ctx.xp, g_hat.reshape(x_hat.shape), x_hat, inv_std,
                                       (2,)).reshape(ctx.x_shape)
        return g_x, g_weight, g_bias, None, None


class RMSNorm(Function):
    """y = x_hat * weight with x_hat = x * r, r = 1 / sqrt(mean(x^2) + eps) over the trailing
    ``ndim_normalized`` axes; ``weight`` (their shape) may be None.

    g_x = r * (g_hat - x_hat * mean(g_hat * x_hat)) with g_hat = g_y * weight (the centring
    term of layer norm's backward is absent: nothing was subtracted);
    g_weight = the sum of g_y * x_hat over the leading axes.
    """

    op_name = "rms_norm"

    @staticmethod
    def forward(ctx, x, weight, ndim_normalized, eps):
        xp = ctx.xp
        axes = tuple(range(x.ndim - ndim_normalized, x.ndim))
        inv_rms = 1.0 / xp.sqrt(_mean(xp, x * x, axes) + eps)
        x_hat = x * inv_rms
        ctx.save_for_backward(x_hat, inv_rms, weight)
        ctx.axes, ctx.batch_axes = axes, tuple(range(x.ndim - ndim_normalized))
        return x_hat if weight is None else x_hat * weight

    @staticmethod
    def backward(ctx, g_y):
        xp = ctx.xp
        x_hat, inv_rms, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g_weight = (g_y * x_hat).sum(axis=ctx.batch_axes) if needs[1] else None
        g_x = None
        if needs[0]:
            g_hat = g_y if weight is None else g_y * weight
            g_x = inv_rms * (g_hat - x_hat * _mean(xp, g_hat * x_hat, ctx.axes))
        return g_x, g_weight, None, None
