"""The compiled loops behind the Numba backend's fused ops, one function per pass.

Each is plain Python over arrays that Numba compiles on first use (``cache=True``: a
second process loads the machine code from disk). The loops are serial and written so
that LLVM vectorizes them: 2-D arrays are walked in memory order (row by row, even for
per-column statistics), and ``fastmath`` allows only reassociation and fused multiply-add,
which vectorized sums need, not the assumptions about NaN and infinity, which still
propagate as in NumPy. Sums accumulate in float64 whatever the array dtype.

NOTE: no ``prange``. On this project's 2-core machine, Numba's thread pools cost more than
they saved at every size benchmarked: the work-queue pool took 2.1 ms to run a batch-norm
forward that takes 0.2 ms serially, and the OpenMP pool spins, fighting BLAS and other
processes for the cores (bench/RESULTS.md).
"""

import math

import numpy as np
from numba import njit

_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_DIVIDE_ABOVE = 1e-30  # NOTE: Phi(1e-30) = 1/2 + 4e-31; y stays a normal float32 above

JIT = {"cache": True, "error_model": "numpy", "fastmath": {"reassoc", "contract"}}


# ---------------------------------------------------------------- activations (flat arrays)
@njit(**JIT)
def relu_forward(x, y):
    for i in range(x.size):
        y[i] = 0 if x[i] <= 0 else x[i]  # NaN stays NaN, as in PyTorch


@njit(**JIT)
def relu_backward(y, g, out):
    for i in range(y.size):
        out[i] = 0 if y[i] <= 0 else g[i]  # a NaN output passes its gradient, as in PyTorch


@njit(**JIT)
def leaky_relu_forward(x, slope, y):
    for i in range(x.size):
        y[i] = x[i] if x[i] > 0 else x[i] * slope


@njit(**JIT)
def leaky_relu_backward(x, slope, g, out):
    for i in range(x.size):
        out[i] = g[i] if x[i] > 0 else g[i] * slope


@njit(**JIT)
def sigmoid_forward(x, y):
    for i in range(x.size):
        e = math.exp(-abs(x[i]))
        y[i] = (1.0 if x[i] >= 0 else e) / (1.0 + e)


@njit(**JIT)
def sigmoid_backward(y, g, out):
    for i in range(y.size):
        out[i] = g[i] * y[i] * (1 - y[i])


@njit(**JIT)
def gelu_forward(x, y):
    for i in range(x.size):
        y[i] = 0.5 * x[i] * (1 + math.erf(x[i] * _INV_SQRT_2))


@njit(**JIT)
def gelu_backward(x, y, g, out):
    # NOTE: Phi(x) read back as y / x (y = x Phi(x), within an ulp) saves the erf, the costly
    # half of this loop; near 0, where y / x loses precision, Phi is 1/2 to every digit
    for i in range(x.size):
        v = x[i]
        cdf = y[i] / v if abs(v) > _GELU_DIVIDE_ABOVE else 0.5
        out[i] = g[i] * (cdf + v * _INV_SQRT_2PI * math.exp(-0.5 * v * v))


# SplitMix64 (Steele, Lea and Flood, 2014): the i-th output is a mixing function of
# key + i * golden ratio, so element i needs no state from element i - 1 and the loop
# vectorizes; it passes BigCrush. The key comes from the backend's seeded generator.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


@njit(**JIT)
def dropout_mask(key, threshold, scale, out):
    """out[i] = scale, or 0 where the i-th SplitMix64 draw's top 24 bits (a uniform on
    [0, 1) in steps of 2^-24, as float32's) fall below ``threshold`` = ceil(p * 2^24)."""
    for i in range(out.size):
        z = key + np.uint64(i + 1) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX_1
        z = (z ^ (z >> np.uint64(27))) * _MIX_2
        z = z ^ (z >> np.uint64(31))
        out[i] = scale if (z >> np.uint64(40)) >= threshold else 0


# ---------------------------------------------------------------- batch norm on (N, C)
# NOTE: statistics are per column, but rows are what lie contiguous in memory; so every
# pass walks the rows and updates a whole row of per-column accumulators at a time, which
# vectorizes. Walking one column at a time would stride through memory.
@njit(**JIT)
def column_totals(a, b):
    """Per column, in float64: (sum over rows of a, sum over rows of a * b)."""
    n, width = a.shape
    total_a, total_ab = np.zeros(width), np.zeros(width)
    for i in range(n):
        row_a, row_b = a[i], b[i]
        for j in range(width):
            total_a[j] += row_a[j]
            total_ab[j] += row_a[j] * row_b[j]
    return total_a, total_ab


@njit(**JIT)
def shifted_moments(x):
    """Per column, in float64 and one pass: the mean and the biased variance, from the sums
    of x - x[0] and of its square.

    NOTE: the shift by a sample of the column keeps the sums from cancelling (data offset
    by 1e4 loses nothing), and float64 holds the sums of float32 data with room to spare;
    a second, centred pass would cost a read of x for no accuracy gained here."""
    n, width = x.shape
    shift = x[0].astype(np.float64)
    total_d, total_dd = np.zeros(width), np.zeros(width)
    for i in range(n):
        row = x[i]
        for j in range(width):
            d = row[j] - shift[j]
            total_d[j] += d
            total_dd[j] += d * d
    mean_d = total_d / n
    return shift + mean_d, np.maximum(total_dd / n - mean_d * mean_d, 0.0)


@njit(**JIT)
def batch_norm_forward(x, weight, bias, eps, y, x_hat, inv_std, mean, var):
    """Two passes: the statistics, then the normalization (in float64 against the float64
    mean, which float32 could not hold exactly)."""
    n, channels = x.shape
    mean_64, var_64 = shifted_moments(x)
    inv_std_64 = 1.0 / np.sqrt(var_64 + eps)
    mean[:], var[:], inv_std[:] = mean_64, var_64, inv_std_64
    for i in range(n):
        row, row_hat, row_y = x[i], x_hat[i], y[i]
        for c in range(channels):
            h = (row[c] - mean_64[c]) * inv_std_64[c]
            row_hat[c] = h
            row_y[c] = h * weight[c] + bias[c]


@njit(**JIT)
def batch_norm_backward(g, x_hat, inv_std, weight, g_x, g_weight, g_bias):
    """g_x = inv_std * weight * (g - mean(g) - x_hat * mean(g * x_hat)), means per column."""
    n, channels = g.shape
    sum_g, sum_gx = column_totals(g, x_hat)
    g_weight[:], g_bias[:] = sum_gx, sum_g
    scale = (inv_std * weight).astype(g.dtype)
    mean_g, mean_gx = (sum_g / n).astype(g.dtype), (sum_gx / n).astype(g.dtype)
    for i in range(n):
        row_g, row_hat, row_out = g[i], x_hat[i], g_x[i]
        for c in range(channels):
            row_out[c] = scale[c] * (row_g[c] - mean_g[c] - row_hat[c] * mean_gx[c])


# ---------------------------------------------------------------- layer norm on (rows, D)
@njit(**JIT)
def layer_norm_forward(x, weight, bias, eps, y, x_hat, inv_std):
    rows, width = x.shape
    for r in range(rows):
        row = x[r]
        total = 0.0
        for j in range(width):
            total += row[j]
        shift = total / width
        residual = squares = 0.0
        for j in range(width):
            d = row[j] - shift
            residual += d
            squares += d * d
        correction = residual / width
        mean = shift + correction
        s = 1.0 / math.sqrt(max(squares / width - correction * correction, 0.0) + eps)
        inv_std[r] = s
        row_hat, row_y = x_hat[r], y[r]
        for j in range(width):
            h = (row[j] - mean) * s
            row_hat[j] = h
            row_y[j] = h * weight[j] + bias[j]


@njit(**JIT)
def layer_norm_backward(g, x_hat, inv_std, weight, g_x, g_weight, g_bias, input_grad,
                        param_grads):
    """Row by row: g_x = inv_std * (g w - mean(g w) - x_hat mean(g w x_hat)) when
    ``input_grad``; the column sums g_weight = sum g x_hat, g_bias = sum g when
    ``param_grads``; both in the one sweep."""
    rows, width = g.shape
    sum_g, sum_gx = np.zeros(width), np.zeros(width)
    for r in range(rows):
        row_g, row_hat = g[r], x_hat[r]
        if param_grads:
            for j in range(width):
                sum_g[j] += row_g[j]
                sum_gx[j] += row_g[j] * row_hat[j]
        if not input_grad:
            continue
        total_g = total_gx = 0.0
        for j in range(width):
            gw = row_g[j] * weight[j]
            total_g += gw
            total_gx += gw * row_hat[j]
        mean_g, mean_gx, s, row_out = total_g / width, total_gx / width, inv_std[r], g_x[r]
        for j in range(width):
            row_out[j] = s * (row_g[j] * weight[j] - mean_g - row_hat[j] * mean_gx)
    g_weight[:], g_bias[:] = sum_gx, sum_g


# ---------------------------------------------------------------- softmax family on rows
@njit(**JIT)
def row_max(row):
    """The largest element of a non-empty 1-D array (the shift that keeps exp finite)."""
    top = row[0]
    for j in range(1, row.size):
        top = max(top, row[j])
    return top


@njit(**JIT)
def log_softmax_rows(x, out):
    """(x - max) - log(sum exp(x - max)) per row.

    NOTE: x - max is taken first and exactly: x - (max + log(total)) would round
    max + log(total) to max's precision, losing log(total) entirely once |x| ~ 1e16."""
    rows, width = x.shape
    for r in range(rows):
        top = row_max(x[r])
        total = 0.0
        for j in range(width):
            total += math.exp(x[r, j] - top)
        log_total = math.log(total)
        for j in range(width):
            out[r, j] = (x[r, j] - top) - log_total


@njit(**JIT)
def softmax_rows(x, out):
    """exp(x - max) over its row sum: one exponential per element (Numba's are scalar
    library calls, the cost of this loop)."""
    rows, width = x.shape
    for r in range(rows):
        row, row_out = x[r], out[r]
        top = row_max(row)
        total = 0.0
        for j in range(width):
            e = math.exp(row[j] - top)
            row_out[j] = e
            total += e
        scale = 1.0 / total
        for j in range(width):
            row_out[j] *= scale


@njit(**JIT)
def softmax_backward_rows(y, g, out):
    rows, width = y.shape
    for r in range(rows):
        dot = 0.0
        for j in range(width):
            dot += g[r, j] * y[r, j]
        for j in range(width):
            out[r, j] = y[r, j] * (g[r, j] - dot)


@njit(**JIT)
def log_softmax_backward_rows(y, g, out):
    rows, width = y.shape
    for r in range(rows):
        total = 0.0
        for j in range(width):
            total += g[r, j]
        for j in range(width):
            out[r, j] = g[r, j] - math.exp(y[r, j]) * total


@njit(**JIT)
def cross_entropy_rows(log_p, target, weight, ignore_index, smoothing, losses, picked):
    """loss_i = -sum_c a_ic log p_ic with a_ic = (1 - s) w_t [c = t] + s / C w_c."""
    rows, classes = log_p.shape
    for r in range(rows):
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
    for r in range(rows):
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


# ---------------------------------------------------------------- optimizer and clipping
@njit(**JIT)
def sgd_momentum_step(p, d, buf, lr, momentum, keep, nesterov):
    """buf = momentum * buf + keep * d, then p -= lr * buf (or, Nesterov's,
    lr * (d + momentum * buf)), in one pass over flat arrays. The scalars come in the
    arrays' dtype, so float32 stays float32.

    NOTE: two plain loops rather than one with the choice inside: with the branch in the
    loop LLVM did not vectorize it, and the update ran 3x slower."""
    if nesterov:
        for i in range(p.size):
            b = momentum * buf[i] + keep * d[i]
            buf[i] = b
            p[i] = p[i] - lr * (d[i] + momentum * b)
    else:
        for i in range(p.size):
            b = momentum * buf[i] + keep * d[i]
            buf[i] = b
            p[i] = p[i] - lr * b


@njit(**JIT)
def sum_of_squares(a, zero):
    """The sum of a's squared elements, accumulated in ``zero``'s type (the array's: a
    float32 sum overflows where PyTorch's float32 norm does)."""
    total = zero
    for i in range(a.size):
        total += a[i] * a[i]
    return total
