"""The Numba backend's fused ops: drop-in replacements for generic Functions, looked up by
op name. Each does in one to three compiled passes what the generic op does in several
NumPy passes, and falls back to the generic code for the layouts and dtypes it does not
cover; the routines (SGD's update, the clipping norm) say when they do not apply."""

import numpy as np

from minigrad.backends import fused_base
from minigrad.backends.fused_base import (
    FusedElementwise,
    FusedExactGelu,
    FusedRows,
    compiled_dtype,
)
from minigrad.backends.numba_kernels import loops, norm_loops, piecewise_loops
from minigrad.backends.numba_kernels.window_kernels import Conv2d, MaxPool


def _flat(array):
    return fused_base.flat(np, array)


def _rows(array, width):
    return fused_base.rows(np, array, width)


# NOTE: what each kernel takes and why, from bench/kernels.py (forward + backward, float32,
# on 1e3, 6.5e4 and 1e6 elements; fused speedup over the generic op): relu 1.1-2.4x,
# leaky_relu 1.3-18x (the generic op's where() on random signs), sigmoid 1.1-1.9x, exact
# gelu 1.3-4.7x at every size (against the generic op on Cody's erf, 2026-12-04), so the elementwise kernels take every float32/float64 array
# (max_size None). A compiled loop calls the C library's scalar exp/expm1 (~10x NumPy's
# vectorized ones per element, at every size): where the generic op makes few passes, that
# loses everywhere, and those ops have no kernel here: ELU (0.93-0.99x), tanh (6x slower),
# softplus (0.39-0.64x against its generic log1p form).
class ReLU(FusedElementwise):
    forward_loop = staticmethod(lambda x, params, y: loops.relu_forward(x, y))
    backward_loop = staticmethod(lambda x, y, params, g, out: loops.relu_backward(y, g, out))


class LeakyReLU(FusedElementwise):
    forward_loop = staticmethod(lambda x, params, y: loops.leaky_relu_forward(x, params[0], y))
    backward_loop = staticmethod(
        lambda x, y, params, g, out: loops.leaky_relu_backward(x, params[0], g, out))


class Sigmoid(FusedElementwise):
    forward_loop = staticmethod(lambda x, params, y: loops.sigmoid_forward(x, y))
    backward_loop = staticmethod(lambda x, y, params, g, out: loops.sigmoid_backward(y, g, out))


class GELU(FusedExactGelu):
    """Exact GELU. NOTE: Numba's scalar tanh (the C library's) made the fused tanh form
    2.4x slower than NumPy's vectorized one, and the tanh activation 6x: both run the
    generic code here."""

    forward_loop = staticmethod(lambda x, params, y: loops.gelu_forward(x, y))
    backward_loop = staticmethod(lambda x, y, params, g, out: loops.gelu_backward(x, y, g, out))


# NOTE: the piecewise-linear activations are comparisons and arithmetic, which the generic
# ops spread over several NumPy passes and where() calls on random signs; fused (float32,
# 1e3 / 6.5e4 / 1e6 elements): hardtanh (and relu6, which is hardtanh) 1.25x / 6.8x / 2.8x,
# hardswish 1.9x / 5.5x / 2.6x, hardsigmoid 1.5x / 4.0x / 2.1x, threshold 1.06x / 16x /
# 8.4x. Compiled prototypes of the smooth ones lost somewhere, so they keep the generic
# code: silu 0.96-1.30x (0.96x at 6.5e4), softsign 0.87x at 1e3, selu 0.82-0.93x (celu is
# the same loop), logsigmoid 0.34-0.76x, mish 0.08-0.22x (the scalar tanh and log1p); glu
# and prelu are not elementwise on one array, and have none.
class Hardtanh(FusedElementwise):
    forward_loop = staticmethod(
        lambda x, params, y: piecewise_loops.hardtanh_forward(x, params[0], params[1], y))
    backward_loop = staticmethod(
        lambda x, y, params, g, out: piecewise_loops.hardtanh_backward(x, params[0],
                                                                       params[1], g, out))


class Hardswish(FusedElementwise):
    forward_loop = staticmethod(lambda x, params, y: piecewise_loops.hardswish_forward(x, y))
    backward_loop = staticmethod(
        lambda x, y, params, g, out: piecewise_loops.hardswish_backward(x, g, out))


class Hardsigmoid(FusedElementwise):
    forward_loop = staticmethod(lambda x, params, y: piecewise_loops.hardsigmoid_forward(x, y))
    backward_loop = staticmethod(
        lambda x, y, params, g, out: piecewise_loops.hardsigmoid_backward(x, g, out))


class Threshold(FusedElementwise):
    forward_loop = staticmethod(
        lambda x, params, y: piecewise_loops.threshold_forward(x, params[0], params[1], y))
    backward_loop = staticmethod(
        lambda x, y, params, g, out: piecewise_loops.threshold_backward(x, params[0], g, out))


# NOTE: the row loops call the C library's scalar exp where NumPy's is vectorized, so the
# kernels take rows only up to the width where they still won at every size (1e3, 6.5e4
# and 1e6 elements; bench/kernels.py and a width sweep): softmax, one exp per element, up
# to 32 (1.0-1.5x; 0.87x at 64); log-softmax and cross entropy, which take the exp forward
# and again backward, up to 16 (1.16-1.41x and 1.37-1.62x; 0.85-0.87x at 24 and 32 on
# 65,536 elements)
ROW_MAX_WIDTH = 32
TWO_EXP_ROW_MAX_WIDTH = 16


class Softmax(FusedRows):
    """Softmax along the last dim of float32/float64 rows up to ``ROW_MAX_WIDTH`` wide."""

    max_width = ROW_MAX_WIDTH
    forward_loop = staticmethod(loops.softmax_rows)
    backward_loop = staticmethod(loops.softmax_backward_rows)


class LogSoftmax(FusedRows):
    """Log-softmax along the last dim of rows up to ``TWO_EXP_ROW_MAX_WIDTH`` wide."""

    max_width = TWO_EXP_ROW_MAX_WIDTH
    forward_loop = staticmethod(loops.log_softmax_rows)
    backward_loop = staticmethod(loops.log_softmax_backward_rows)


def _affine_or_default(array, size, fill, dtype):
    return np.full(size, fill, dtype=dtype) if array is None else _flat(array)


# NOTE: batch norm, forward + backward in float32 (bench/kernels.py; 1e3 / 6.5e4 / 1e6
# elements): (N, C) 1.8x / 2.3x / 2.8x; (N, C, H, W) images 2.0x / 4.4x / 3.9x, 2x2 maps
# 2.4x / 5.7x / 2.6x, (N, C, D, H, W) volumes 2.1x / 3.8x / 3.9x, instance norm of images
# 1.2x / 3.1x / 5.0x: faster at every size and layout measured, so there is no threshold
class BatchNorm:
    """Batch norm in float32/float64. (N, C) input: three compiled passes forward, two
    backward, walking the rows. (N, C, *) input (images, volumes, instance norm's view) is
    taken as (N, C, S), S the spatial size, and done channel by channel, two passes each
    way (``norm_loops``); with S = 1 it is (N, C) in memory and takes the row loops. Empty
    input takes the generic code."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        ctx.fused = compiled_dtype(x) and x.size > 0
        if not ctx.fused:
            return ctx.fn.forward(ctx, x, weight, bias, eps)
        channels = x.shape[1]
        # NOTE: a copy only where x is not contiguous; reshape then never copies
        x = np.ascontiguousarray(x)
        spatial = x.size // (x.shape[0] * channels)
        work = x.reshape(x.shape[0], channels) if spatial == 1 else \
            x.reshape(x.shape[0], channels, spatial)
        y, x_hat = np.empty_like(work), np.empty_like(work)
        inv_std, mean, var = (np.empty(channels, dtype=x.dtype) for _ in range(3))
        loop = loops.batch_norm_forward if work.ndim == 2 else \
            norm_loops.batch_norm_spatial_forward
        loop(work, _affine_or_default(weight, channels, 1, x.dtype),
             _affine_or_default(bias, channels, 0, x.dtype), eps, y, x_hat, inv_std, mean, var)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.x_shape = x.shape
        ctx.mark_non_differentiable(mean, var)
        return y.reshape(x.shape), mean, var

    @staticmethod
    def backward(ctx, g_y, g_mean, g_var):
        if not ctx.fused:
            return ctx.fn.backward(ctx, g_y, g_mean, g_var)
        x_hat, inv_std, weight = ctx.saved_tensors
        channels = x_hat.shape[1]
        g_x = np.empty_like(x_hat)
        g_weight, g_bias = np.empty(channels, x_hat.dtype), np.empty(channels, x_hat.dtype)
        loop = loops.batch_norm_backward if x_hat.ndim == 2 else \
            norm_loops.batch_norm_spatial_backward
        loop(np.ascontiguousarray(g_y).reshape(x_hat.shape), x_hat, inv_std,
             _affine_or_default(weight, channels, 1, x_hat.dtype), g_x, g_weight, g_bias)
        needs = ctx.needs_input_grad
        return (g_x.reshape(ctx.x_shape) if needs[0] else None,
                g_weight if needs[1] else None, g_bias if needs[2] else None, None)


class LayerNorm:
    """Layer norm: one compiled pass per row forward; backward's one pass gives the input's
    gradient and the column sums for weight and bias together."""

    @staticmethod
    def forward(ctx, x, weight, bias, ndim_normalized, eps):
        ctx.fused = compiled_dtype(x) and x.size > 0
        if not ctx.fused:
            return ctx.fn.forward(ctx, x, weight, bias, ndim_normalized, eps)
        width = int(np.prod(x.shape[x.ndim - ndim_normalized:]))
        rows = _rows(x, width)
        y, x_hat = np.empty_like(rows), np.empty_like(rows)
        inv_std = np.empty(rows.shape[0], dtype=x.dtype)
        loops.layer_norm_forward(rows, _affine_or_default(weight, width, 1, x.dtype),
                                 _affine_or_default(bias, width, 0, x.dtype), eps,
                                 y, x_hat, inv_std)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.shape, ctx.normalized_shape = x.shape, x.shape[x.ndim - ndim_normalized:]
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g_y):
        if not ctx.fused:
            return ctx.fn.backward(ctx, g_y)
        x_hat, inv_std, weight = ctx.saved_tensors
        width = x_hat.shape[1]
        needs = ctx.needs_input_grad
        g_x = np.empty_like(x_hat) if needs[0] else np.empty((0, width), x_hat.dtype)
        g_weight, g_bias = np.empty(width, x_hat.dtype), np.empty(width, x_hat.dtype)
        loops.layer_norm_backward(_rows(g_y, width), x_hat, inv_std,
                                  _affine_or_default(weight, width, 1, x_hat.dtype),
                                  g_x, g_weight, g_bias, needs[0], needs[1] or needs[2])
        shape = ctx.normalized_shape
        return (g_x.reshape(ctx.shape) if needs[0] else None,
                g_weight.reshape(shape) if needs[1] else None,
                g_bias.reshape(shape) if needs[2] else None, None, None)


class CrossEntropy:
    """Cross entropy of (N, C) logits: log-softmax, smoothing, weights and ignore_index in
    one pass per row, forward and backward, with no (N, C) weight matrix; more classes
    than ``TWO_EXP_ROW_MAX_WIDTH`` take the generic op."""

    @staticmethod
    def forward(ctx, scores, target, weight, ignore_index, smoothing, reduction):
        ctx.fused = compiled_dtype(scores) and scores.shape[1] <= TWO_EXP_ROW_MAX_WIDTH
        if not ctx.fused:
            return ctx.fn.forward(ctx, scores, target, weight, ignore_index, smoothing,
                                  reduction)
        scores = np.ascontiguousarray(scores)
        rows, classes = scores.shape
        log_p = np.empty_like(scores)
        loops.log_softmax_rows(scores, log_p)
        weight = _affine_or_default(weight, classes, 1, scores.dtype)
        losses, picked = np.empty(rows, scores.dtype), np.empty(rows, scores.dtype)
        target = np.ascontiguousarray(target)
        loops.cross_entropy_rows(log_p, target, weight, ignore_index, smoothing, losses, picked)
        ctx.save_for_backward(log_p, target, weight)
        ctx.ignore_index, ctx.smoothing, ctx.reduction = ignore_index, smoothing, reduction
        ctx.denominator = picked.sum()
        if reduction == "none":
            return losses
        total = losses.sum()
        return total if reduction == "sum" else total / ctx.denominator

    @staticmethod
    def backward(ctx, g_out):
        if not ctx.fused:
            return ctx.fn.backward(ctx, g_out)
        log_p, target, weight = ctx.saved_tensors
        rows = log_p.shape[0]
        if ctx.reduction == "none":
            g_loss = np.ascontiguousarray(g_out)
        else:
            scale = g_out / ctx.denominator if ctx.reduction == "mean" else g_out
            g_loss = np.full(rows, scale, dtype=log_p.dtype)
        g_scores = np.empty_like(log_p)
        loops.cross_entropy_backward_rows(log_p, target, weight, ctx.ignore_index,
                                          ctx.smoothing, g_loss, g_scores)
        return g_scores, None, None, None, None, None


# NOTE: below this many elements NumPy's few calls cost less than one compiled call's
# argument handling (a few microseconds), so the routines leave small arrays to them
ROUTINE_MIN = 1024


def sgd_momentum_step(p, d, buf, lr, momentum, dampening, nesterov):
    """SGD's momentum update of ``p`` and its buffer ``buf`` along the gradient ``d`` in
    one compiled pass (arrays that are not contiguous go through contiguous copies); False,
    doing nothing, for small arrays and for dtypes the loop is not built for."""
    if p.size < ROUTINE_MIN or not compiled_dtype(p):
        return False
    scalar = p.dtype.type
    work_p, work_buf = np.ascontiguousarray(p), np.ascontiguousarray(buf)
    loops.sgd_momentum_step(work_p.reshape(-1), _flat(d), work_buf.reshape(-1), scalar(lr),
                            scalar(momentum), scalar(1 - dampening), nesterov)
    for target, work in ((p, work_p), (buf, work_buf)):
        if work is not target:
            target[...] = work
    return True


def sum_of_squares(array):
    """The sum of squares of ``array``'s elements, summed in its dtype as a dot product
    would be, as a Python float; None for small arrays and for dtypes the loop is not
    built for."""
    if array.size < ROUTINE_MIN or not compiled_dtype(array):
        return None
    flat = _flat(array)
    return float(loops.sum_of_squares(flat, flat.dtype.type(0)))


ROUTINES = {"sgd_momentum_step": sgd_momentum_step, "sum_of_squares": sum_of_squares}

KERNELS = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "gelu": GELU,
    "softmax": Softmax, "log_softmax": LogSoftmax, "batch_norm": BatchNorm,
    "layer_norm": LayerNorm, "cross_entropy": CrossEntropy,
    "hardtanh": Hardtanh, "hardswish": Hardswish, "hardsigmoid": Hardsigmoid,
    "threshold": Threshold,
    "max_pool2d": MaxPool, "max_pool1d": MaxPool, "conv2d": Conv2d,
}
