"""The compiled loops of batch norm over (N, C, S) arrays: images (N, C, H, W) and volumes
(N, C, D, H, W) with their spatial axes flattened into S, and instance norm's (1, N * C, S)
view of its input.

NOTE: channel c's statistics are over x[:, c, :], N runs of S contiguous values. The loops
take one channel at a time, run by run, so the innermost loop walks contiguous memory (and
vectorizes, with ``loops.JIT``'s reassociation), and the channel's second pass finds its
values still in cache when a channel's N * S values fit there. As in ``loops``, sums
accumulate in float64 whatever the array dtype.
"""

import math

import numpy as np
from numba import njit

from minigrad.backends.numba_kernels.loops import JIT


@njit(**JIT)
def batch_norm_spatial_forward(x, weight, bias, eps, y, x_hat, inv_std, mean, var):
    """Per channel: the mean and biased variance in one pass of the sums of x - x[0, c, 0]
    and of its square (the shift keeps data offset by 1e4 from cancelling), then
    x_hat = (x - mean) * inv_std and y = x_hat * weight + bias, against the float64 mean."""
    n, channels, size = x.shape
    count = n * size
    for c in range(channels):
        shift = np.float64(x[0, c, 0])
        total_d, total_dd = 0.0, 0.0
        for i in range(n):
            run = x[i, c]
            for k in range(size):
                d = run[k] - shift
                total_d += d
                total_dd += d * d
        mean_d = total_d / count
        m = shift + mean_d
        v = max(total_dd / count - mean_d * mean_d, 0.0)
        s = 1.0 / math.sqrt(v + eps)
        mean[c], var[c], inv_std[c] = m, v, s
        w, b = weight[c], bias[c]
        for i in range(n):
            run, run_hat, run_y = x[i, c], x_hat[i, c], y[i, c]
            for k in range(size):
                h = (run[k] - m) * s
                run_hat[k] = h
                run_y[k] = h * w + b


@njit(**JIT)
def batch_norm_spatial_backward(g, x_hat, inv_std, weight, g_x, g_weight, g_bias):
    """Per channel: the sums of g and g * x_hat (the bias's and weight's gradients), then
    g_x = inv_std * weight * (g - mean(g) - x_hat * mean(g * x_hat)) in the array dtype."""
    n, channels, size = g.shape
    count = n * size
    # NOTE: the per-channel factors are rounded to the array dtype, so that the last loop
    # runs in float32 for float32 arrays (twice the SIMD width of float64)
    factors = np.empty(3, dtype=g.dtype)
    for c in range(channels):
        sum_g, sum_gx = 0.0, 0.0
        for i in range(n):
            run_g, run_hat = g[i, c], x_hat[i, c]
            for k in range(size):
                sum_g += run_g[k]
                sum_gx += run_g[k] * run_hat[k]
        g_weight[c], g_bias[c] = sum_gx, sum_g
        factors[0] = inv_std[c] * weight[c]
        factors[1], factors[2] = sum_g / count, sum_gx / count
        scale, mean_g, mean_gx = factors[0], factors[1], factors[2]
        for i in range(n):
            run_g, run_hat, run_out = g[i, c], x_hat[i, c], g_x[i, c]
            for k in range(size):
                run_out[k] = scale * (run_g[k] - mean_g - run_hat[k] * mean_gx)
