"""Weight initialization with PyTorch's formulas and gains. Every function fills a tensor in
place (without recording a graph) and returns it; the random ones draw from ``generator``
(an ``mg.Generator``) or, by default, from the backend's seeded generator."""

import math
import warnings

from minigrad.autograd.grad_mode import no_grad
from minigrad.random import draw

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "zeros_",
           "ones_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "orthogonal_", "sparse_"]

_UNIT_GAIN = {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid"}


def calculate_gain(nonlinearity, param=None):
    """The gain that keeps activations' variance steady through ``nonlinearity``:
    1 for linear and sigmoid, 5/3 tanh, sqrt(2) relu, sqrt(2 / (1 + slope^2)) leaky_relu,
    3/4 selu."""
    if nonlinearity in _UNIT_GAIN:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b), drawn from ``generator`` (an ``mg.Generator``) or the shared one."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std^2), drawn from ``generator`` or the shared one."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _normal_cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) restricted to [a, b], by rejection: a candidate outside is
    drawn again. Where [a, b] holds under 30% of the normal's mass, candidates are drawn
    uniformly on [a, b] instead and each kept with probability pdf(x) / (pdf's peak on
    [a, b]), which wastes fewer draws there (PyTorch's choice too)."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    backend, xp = tensor._backend, tensor._backend.xp
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    peak = max(a, min(mean, b))

    def candidates(n):
        """n candidates and whether each is kept."""
        if mass > 0.3:
            x = draw("trunc_normal_", backend, generator, "normal", mean, std, size=n)
            return x, (x >= a) & (x <= b)
        x = draw("trunc_normal_", backend, generator, "uniform", a, b, size=n)
        u = draw("trunc_normal_", backend, generator, "random", n)
        return x, u < xp.exp(0.5 * ((peak - mean) / std) ** 2 - 0.5 * ((x - mean) / std) ** 2)

    values, pending = xp.empty(tensor.numel()), xp.arange(tensor.numel())
    while pending.size:  # NOTE: one round per redraw of the rejected, not per element
        x, kept = candidates(pending.size)
        values[pending[kept]] = x[kept]
        pending = pending[~kept]
    with no_grad():
        tensor._write("trunc_normal_")[...] = values.reshape(tensor.shape)
    return tensor


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix, the tensor viewed as (shape[0], the rest):
    the Q of the QR decomposition of a standard normal matrix, its columns' signs set by
    R's diagonal so that Q is uniform over orthogonal matrices (Saxe et al., 2013)."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    xp = tensor._backend.xp
    flat = draw("orthogonal_", tensor._backend, generator, "normal", 0.0, 1.0,
                size=(rows, cols))
    tall = flat if rows >= cols else flat.T
    q, r = xp.linalg.qr(tall)
    q = q * xp.sign(xp.diagonal(r))
    with no_grad():
        tensor._write("orthogonal_")[...] = gain * (q if rows >= cols else q.T).reshape(
            tensor.shape)
    return tensor


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-D tensor with N(0, std^2), then zero ceil(sparsity * rows) random entries
    of every column (Martens, 2010)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    xp = tensor._backend.xp
    num_zeros = math.ceil(sparsity * tensor.shape[0])
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        keys = draw("sparse_", tensor._backend, generator, "random", tensor.shape)
        # NOTE: an entry's rank among random keys in its column picks a random subset of rows
        ranks = xp.argsort(xp.argsort(keys, axis=0), axis=0)
        tensor._write("sparse_")[ranks < num_zeros] = 0
    return tensor


def constant_(tensor, val):
    """Fill with ``val``."""
    with no_grad():
        tensor.fill_(val)
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-b, b) with b = gain * sqrt(3 / fan) (He et al., 2015)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return uniform_(tensor, -math.sqrt(3.0) * std, math.sqrt(3.0) * std, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2) with std = gain / sqrt(fan) (He et al., 2015)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return tensor if std is None else normal_(tensor, 0.0, std, generator)
