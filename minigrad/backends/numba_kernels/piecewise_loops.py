"""The compiled loops behind the Numba backend's piecewise-linear activations (hardtanh,
which relu6 is, hardswish, hardsigmoid, threshold), one function per pass on flat arrays,
compiled as ``loops.py``'s are.

Each takes PyTorch's side at a kink and lets a NaN through where PyTorch's comparisons do,
as the generic ops in ``minigrad/ops/activation_piecewise.py`` (which these must match:
the registry sweeps hold them to it). No exp or tanh here: only comparisons and
arithmetic, which the generic ops spread over several NumPy passes and ``where`` calls.
"""

from numba import njit

from minigrad.backends.numba_kernels.loops import JIT

_ONE_SIXTH_FLOAT32 = 0.1666666716337204  # float32(1 / 6), as PyTorch's hardsigmoid backward


@njit(**JIT)
def hardtanh_forward(x, min_val, max_val, y):
    for i in range(x.size):
        v = x[i]
        y[i] = min_val if v < min_val else (max_val if v > max_val else v)


@njit(**JIT)
def hardtanh_backward(x, min_val, max_val, g, out):
    for i in range(x.size):
        out[i] = 0 if (x[i] <= min_val or x[i] >= max_val) else g[i]


@njit(**JIT)
def hardswish_forward(x, y):
    for i in range(x.size):
        v = x[i]
        r = v + 3
        y[i] = v * (0 if r < 0 else (6 if r > 6 else r)) / 6


@njit(**JIT)
def hardswish_backward(x, g, out):
    for i in range(x.size):
        v = x[i]
        out[i] = 0 if v <= -3 else (g[i] * (v / 3 + 0.5) if v < 3 else g[i])


@njit(**JIT)
def hardsigmoid_forward(x, y):
    for i in range(x.size):
        r = x[i] + 3
        y[i] = (0 if r < 0 else (6 if r > 6 else r)) / 6


@njit(**JIT)
def hardsigmoid_backward(x, g, out):
    for i in range(x.size):
        out[i] = g[i] * _ONE_SIXTH_FLOAT32 if -3 < x[i] < 3 else 0


@njit(**JIT)
def threshold_forward(x, threshold, value, y):
    for i in range(x.size):
        y[i] = value if x[i] <= threshold else x[i]


@njit(**JIT)
def threshold_backward(x, threshold, g, out):
    for i in range(x.size):
        out[i] = 0 if x[i] <= threshold else g[i]
