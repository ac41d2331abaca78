"""Synchronized batch normalization: batch norm whose statistics are those of the global
batch, the union of every rank's batch (``nn.SyncBatchNorm``).

Forward: each rank sums, per channel, its ``x`` and ``x * x`` and counts its values; one
allreduce of the three (``all_sum``) turns them into the global sums ``S1``, ``S2`` and
count ``n``, from which

    mean = S1 / n,   var = S2 / n - mean^2 (biased),   x_hat = (x - mean) / sqrt(var + eps)

so unequal batch sizes on the ranks come out right. NOTE: ``S2 / n - mean^2`` loses the
digits that mean^2 and var share: the sums are accumulated in float64, which leaves a
relative error in var of about eps * (mean / std)^2 from the squares themselves (eps of the
input's dtype). That is rounding for activations, whose mean is within a few standard
deviations of 0; the two-pass algorithm of ``BatchNorm`` would need a second allreduce.

Backward: batch norm's formula, with its two sums over the global batch (a second
allreduce),

    g_x = inv_std * weight * (g_y - sum(g_y) / n - x_hat * sum(g_y * x_hat) / n).

NOTE: every rank's loss is the mean over its own batch, and ``DistributedDataParallel``
averages the parameter gradients over the ranks. The rank's ``g_x`` above, with summed
(not averaged) sums, is the gradient of the sum of the ranks' losses, so the average DDP
takes of what flows from it is the gradient of the loss over the global batch. The weight
and bias gradients are the rank's own sums for the same reason (as in PyTorch).

With ``all_sum=None`` the sums stay local: one process, or the op registry's checks.
"""

import math

from minigrad.autograd.function import Function
from minigrad.errors import DTypeError, ShapeError
from minigrad.ops.normalization import _affine


class SyncBatchNorm(Function):
    """Batch normalization of (N, C, *) ``x`` with statistics over the global batch.

    ``all_sum(array, summary)`` sums a float64 array over the ranks in place. Returns
    ``(y, mean, var, count)``: the per-channel global mean and biased variance (shape (C,))
    and the global number of values per channel (0-d), none of them differentiable, for
    the module's running statistics.
    """

    op_name = "sync_batch_norm"

    @staticmethod
    def forward(ctx, x, weight, bias, eps, all_sum):
        if x.ndim < 2:
            raise ShapeError(f"sync_batch_norm: expected an input of shape (N, C, *), got "
                             f"{tuple(x.shape)}")
        if x.dtype.kind != "f":
            raise DTypeError(f"sync_batch_norm: expected a floating point input, got "
                             f"{x.dtype.name}")
        for name, t in (("weight", weight), ("bias", bias)):
            if t is not None and t.shape != (x.shape[1],):
                raise ShapeError(f"sync_batch_norm: {name} has shape {t.shape}, expected "
                                 f"({x.shape[1]},) for the input {x.shape}")
        xp = ctx.xp
        channels = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, channels) + (1,) * (x.ndim - 2)
        stats = xp.empty(2 * channels + 1, dtype=xp.float64)
        stats[:channels] = x.sum(axis=axes, dtype=xp.float64)
        stats[channels:-1] = (x * x).sum(axis=axes, dtype=xp.float64)
        stats[-1] = math.prod(x.shape[axis] for axis in axes)
        if all_sum is not None:
            all_sum(stats, f"the statistics of {channels} channels")
        count = float(stats[-1])
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {tuple(x.shape)} and 1 value per channel over every rank")
        mean = stats[:channels] / max(count, 1.0)
        var = xp.maximum(stats[channels:-1] / max(count, 1.0) - mean * mean, 0.0)
        inv_std = (1.0 / xp.sqrt(var + eps)).astype(x.dtype)
        x_hat = (x - mean.astype(x.dtype).reshape(shape)) * inv_std.reshape(shape)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.axes, ctx.shape, ctx.count, ctx.all_sum = axes, shape, count, all_sum
        outputs = (mean.astype(x.dtype), var.astype(x.dtype), xp.asarray(count))
        ctx.mark_non_differentiable(*outputs)
        return (_affine(x_hat, weight, bias, shape), *outputs)

    @staticmethod
    def backward(ctx, g_y, g_mean, g_var, g_count):
        x_hat, inv_std, weight = ctx.saved_tensors
        xp, channels = ctx.xp, x_hat.shape[1]
        sums = xp.empty(2 * channels, dtype=xp.float64)
        sums[:channels] = g_y.sum(axis=ctx.axes, dtype=xp.float64)
        sums[channels:] = (g_y * x_hat).sum(axis=ctx.axes, dtype=xp.float64)
        needs = ctx.needs_input_grad
        g_weight = sums[channels:].astype(g_y.dtype) if needs[1] else None
        g_bias = sums[:channels].astype(g_y.dtype) if needs[2] else None
        g_x = None
        if needs[0]:
            if ctx.all_sum is not None:
                ctx.all_sum(sums, f"the gradient sums of {channels} channels")
            means = (sums / max(ctx.count, 1.0)).astype(g_y.dtype)
            scale = inv_std if weight is None else inv_std * weight
            g_x = scale.reshape(ctx.shape) * (g_y - means[:channels].reshape(ctx.shape)
                                              - x_hat * means[channels:].reshape(ctx.shape))
        return g_x, g_weight, g_bias, None, None
