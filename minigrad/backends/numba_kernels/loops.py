"""The compiled loops behind the Numba backend's fused ops, one function per pass.

Each is plain Python over arrays that Numba compiles on first use (``cache=True``: a
second process loads the machine code from disk). Loops over rows or channels run in
parallel (``prange``); sums accumulate in float64 whatever the array dtype.
"""

import math

import numpy as np
from numba import njit, prange

_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715

JIT = {"cache": True, "parallel": True, "error_model": "numpy"}


# ---------------------------------------------------------------- activations (flat arrays)
@njit(**JIT)
def relu_forward(x, y):
    for i in prange(x.size):
        y[i] = x[i] if x[i] > 0 else 0


@njit(**JIT)
def relu_backward(y, g, out):
    for i in prange(y.size):
        out[i] = g[i] if y[i] > 0 else 0


@njit(**JIT)
def leaky_relu_forward(x, slope, y):
    for i in prange(x.size):
        y[i] = x[i] if x[i] > 0 else x[i] * slope


@njit(**JIT)
def leaky_relu_backward(x, slope, g, out):
    for i in prange(x.size):
        out[i] = g[i] if x[i] > 0 else g[i] * slope


@njit(**JIT)
def elu_forward(x, alpha, y):
    for i in prange(x.size):
        y[i] = x[i] if x[i] > 0 else alpha * math.expm1(x[i])


@njit(**JIT)
def elu_backward(x, y, alpha, g, out):
    for i in prange(x.size):
        out[i] = g[i] if x[i] > 0 else g[i] * (y[i] + alpha)


@njit(**JIT)
def sigmoid_forward(x, y):
    for i in prange(x.size):
        e = math.exp(-abs(x[i]))
        y[i] = (1.0 if x[i] >= 0 else e) / (1.0 + e)


@njit(**JIT)
def sigmoid_backward(y, g, out):
    for i in prange(y.size):
        out[i] = g[i] * y[i] * (1 - y[i])


@njit(**JIT)
def tanh_forward(x, y):
    for i in prange(x.size):
        y[i] = math.tanh(x[i])


@njit(**JIT)
def tanh_backward(y, g, out):
    for i in prange(y.size):
        out[i] = g[i] * (1 - y[i] * y[i])


@njit(**JIT)
def gelu_forward(x, tanh_form, y):
    for i in prange(x.size):
        v = x[i]
        if tanh_form:
            y[i] = 0.5 * v * (1 + math.tanh(_SQRT_2_OVER_PI * (v + _GELU_CUBIC * v * v * v)))
        else:
            y[i] = 0.5 * v * (1 + math.erf(v * _INV_SQRT_2))


@njit(**JIT)
def gelu_backward(x, tanh_form, g, out):
    for i in prange(x.size):
        v = x[i]
        if tanh_form:
            t = math.tanh(_SQRT_2_OVER_PI * (v + _GELU_CUBIC * v * v * v))
            du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * v * v)
            out[i] = g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du)
        else:
            cdf = 0.5 * (1 + math.erf(v * _INV_SQRT_2))
            out[i] = g[i] * (cdf + v * _INV_SQRT_2PI * math.exp(-0.5 * v * v))


@njit(**JIT)
def dropout_mask(u, p, scale):
    """Turn uniform draws into the mask in place: 0 where u < p, else 1/(1-p)."""
    for i in prange(u.size):
        u[i] = scale if u[i] >= p else 0


# ---------------------------------------------------------------- batch norm on (N, C)
# NOTE: statistics are per column, but rows are what lie contiguous in memory; so the rows
# are cut into CHUNKS, each task sums its rows into its own row of partial sums (a
# contiguous, vectorizable sweep), and the partial sums are added up at the end. Walking
# one column at a time would stride through memory and run several times slower.
CHUNKS = 8


@njit(**JIT)
def column_totals(a, b):
    """Per column, in float64: (sum over rows of a, sum over rows of a * b)."""
    n, width = a.shape
    chunks = min(n, CHUNKS)
    partial_a = np.zeros((chunks, width))
    partial_ab = np.zeros((chunks, width))
    for k in prange(chunks):
        acc_a, acc_ab = np.zeros(width), np.zeros(width)  # local: no aliasing, vectorizes
        for i in range(k * n // chunks, (k + 1) * n // chunks):
            row_a, row_b = a[i], b[i]
            for j in range(width):
                acc_a[j] += row_a[j]
                acc_ab[j] += row_a[j] * row_b[j]
        partial_a[k], partial_ab[k] = acc_a, acc_ab
    return partial_a.sum(axis=0), partial_ab.sum(axis=0)


@njit(**JIT)
def centred_totals(x, centre):
    """Per column, in float64: (sum of x - centre, sum of (x - centre)^2)."""
    n, width = x.shape
    chunks = min(n, CHUNKS)
    partial_d = np.zeros((chunks, width))
    partial_dd = np.zeros((chunks, width))
    for k in prange(chunks):
        acc_d, acc_dd = np.zeros(width), np.zeros(width)
        for i in range(k * n // chunks, (k + 1) * n // chunks):
            row = x[i]
            for j in range(width):
                d = row[j] - centre[j]
                acc_d[j] += d
                acc_dd[j] += d * d
        partial_d[k], partial_dd[k] = acc_d, acc_dd
    return partial_d.sum(axis=0), partial_dd.sum(axis=0)


@njit(**JIT)
def batch_norm_forward(x, weight, bias, eps, y, x_hat, inv_std, mean, var):
    """Two passes for the statistics (the mean, then the corrected centred variance) and
    one to normalize; the variance is taken of centred data, as the generic op does."""
    n, channels = x.shape
    first_mean = centred_totals(x, np.zeros(channels))[0] / n
    residual, squares = centred_totals(x, first_mean)
    for c in range(channels):
        d = residual[c] / n
        mean[c] = first_mean[c] + d
        var[c] = squares[c] / n - d * d
        inv_std[c] = 1.0 / math.sqrt(var[c] + eps)
    for i in prange(n):
        for c in range(channels):
            h = (x[i, c] - mean[c]) * inv_std[c]
            x_hat[i, c] = h
            y[i, c] = h * weight[c] + bias[c]


@njit(**JIT)
def batch_norm_backward(g, x_hat, inv_std, weight, g_x, g_weight, g_bias):
    n, channels = g.shape
    sum_g, sum_gx = column_totals(g, x_hat)
    for c in range(channels):
        g_weight[c], g_bias[c] = sum_gx[c], sum_g[c]
    for i in prange(n):
        for c in range(channels):
            w = weight[c]
            g_x[i, c] = inv_std[c] * w * (g[i, c] - sum_g[c] / n - x_hat[i, c] * sum_gx[c] / n)


# ---------------------------------------------------------------- layer norm on (rows, D)
@njit(**JIT)
def layer_norm_forward(x, weight, bias, eps, y, x_hat, inv_std):
    rows, width = x.shape
    for r in prange(rows):
        total = 0.0
        for j in range(width):
            total += x[r, j]
        m = total / width
        squares = 0.0
        for j in range(width):
            d = x[r, j] - m
            squares += d * d
        s = 1.0 / math.sqrt(squares / width + eps)
        inv_std[r] = s
        for j in range(width):
            h = (x[r, j] - m) * s
            x_hat[r, j] = h
            y[r, j] = h * weight[j] + bias[j]


@njit(**JIT)
def layer_norm_backward(g, x_hat, inv_std, weight, g_x):
    rows, width = g.shape
    for r in prange(rows):
        sum_g = 0.0
        sum_gx = 0.0
        for j in range(width):
            gh = g[r, j] * weight[j]
            sum_g += gh
            sum_gx += gh * x_hat[r, j]
        mean_g, mean_gx = sum_g / width, sum_gx / width
        for j in range(width):
            g_x[r, j] = inv_std[r] * (g[r, j] * weight[j] - mean_g - x_hat[r, j] * mean_gx)


@njit(**JIT)
def column_sums(g, x_hat, g_weight, g_bias):
    """g_weight[j] = sum_r g * x_hat, g_bias[j] = sum_r g (the affine parameters' grads)."""
    sum_g, sum_gx = column_totals(g, x_hat)
    for j in range(g.shape[1]):
        g_weight[j], g_bias[j] = sum_gx[j], sum_g[j]


# ---------------------------------------------------------------- softmax family on rows
@njit(**JIT)
def log_softmax_rows(x, out):
    rows, width = x.shape
    for r in prange(rows):
        top = x[r, 0]
        for j in range(1, width):
            top = max(top, x[r, j])
        total = 0.0
        for j in range(width):
            total += math.exp(x[r, j] - top)
        shift = top + math.log(total)
        for j in range(width):
            out[r, j] = x[r, j] - shift


@njit(**JIT)
def softmax_rows(x, out):
    """exp of log_softmax_rows: the same shift, so no overflow, and no second copy of it."""
    log_softmax_rows(x, out)
    for r in prange(out.shape[0]):
        for j in range(out.shape[1]):
            out[r, j] = math.exp(out[r, j])


@njit(**JIT)
def softmax_backward_rows(y, g, out):
    rows, width = y.shape
    for r in prange(rows):
        dot = 0.0
        for j in range(width):
            dot += g[r, j] * y[r, j]
        for j in range(width):
            out[r, j] = y[r, j] * (g[r, j] - dot)


@njit(**JIT)
def log_softmax_backward_rows(y, g, out):
    rows, width = y.shape
    for r in prange(rows):
        total = 0.0
        for j in range(width):
            total += g[r, j]
        for j in range(width):
            out[r, j] = g[r, j] - math.exp(y[r, j]) * total


@njit(**JIT)
def cross_entropy_rows(log_p, target, weight, ignore_index, smoothing, losses, picked):
    """loss_i = -sum_c a_ic log p_ic with a_ic = (1 - s) w_t [c = t] + s / C w_c."""
    rows, classes = log_p.shape
    for r in prange(rows):
        t = target[r]
        if t == ignore_index:
            losses[r], picked[r] = 0.0, 0.0
            continue
        smooth = 0.0
        if smoothing != 0:
            for c in range(classes):
                smooth += weight[c] * log_p[r, c]
        losses[r] = -(1 - smoothing) * weight[t] * log_p[r, t] - smoothing / classes * smooth
        picked[r] = weight[t]


@njit(**JIT)
def cross_entropy_backward_rows(log_p, target, weight, ignore_index, smoothing, g_loss, out):
    """g_z = g_loss * (sum(a) softmax(z) - a), the a of ``cross_entropy_rows``."""
    rows, classes = log_p.shape
    weight_total = 0.0
    for c in range(classes):
        weight_total += weight[c]
    for r in prange(rows):
        t = target[r]
        if t == ignore_index:
            for c in range(classes):
                out[r, c] = 0
            continue
        g = g_loss[r]
        a_total = (1 - smoothing) * weight[t] + smoothing / classes * weight_total
        for c in range(classes):
            a = smoothing / classes * weight[c]
            if c == t:
                a += (1 - smoothing) * weight[t]
            out[r, c] = g * (a_total * math.exp(log_p[r, c]) - a)
