"""The benchmark networks (W1, W2, W6) written out in NumPy: no graph, no tensors, no dispatch.

Each layer is a forward that keeps what its backward needs and a backward that returns the
input's gradient (skipped for the first layer, whose input is the data) and fills ``grads``
in the order of ``params``; the loss gives its value and its gradient at once; the optimizer,
the clipping and the schedule are a few array statements. This is what a training step costs
with NumPy and nothing else, the limit a NumPy framework approaches when its own overhead
goes to zero; ``bench/run.py`` compares minigrad's NumPy backend against it.

The math is the textbook form of what PyTorch documents for each piece (two-pass batch
statistics, the closed-form batch-norm backward, convolution as im2col and a matrix product,
max pooling's gradient to the first maximum, log-sum-exp cross entropy), written as
plain NumPy expressions: new arrays where an op would make them, in place where every
framework updates in place (parameters, momentum buffers, running statistics, clipping).
``tests/test_bench_handwritten.py`` checks one step against minigrad's.
"""

import math

import numpy as np


class Linear:
    """y = x @ weight.T + bias."""

    def __init__(self, weight, bias):
        self.params = {"weight": weight, "bias": bias}

    def forward(self, x):
        self.x = x
        y = x @ self.params["weight"].T
        y += self.params["bias"]
        return y

    def backward(self, g_y, needs_input_grad=True):
        self.grads = [g_y.T @ self.x, g_y.sum(axis=0)]
        return g_y @ self.params["weight"] if needs_input_grad else None


class BatchNorm:
    """Training-mode batch norm of (N, C) or (N, C, H, W): each channel's mean and biased
    variance over the batch (and the pixels) normalize; the running statistics move by
    ``momentum`` towards the mean and the unbiased variance."""

    def __init__(self, weight, bias, momentum=0.1, eps=1e-5):
        channels = weight.shape[0]
        self.params = {"weight": weight, "bias": bias}
        self.buffers = {"running_mean": np.zeros(channels, weight.dtype),
                        "running_var": np.ones(channels, weight.dtype)}
        self.momentum, self.eps = momentum, eps

    def forward(self, x):
        self.axes = (0, *range(2, x.ndim))  # every axis but the channel's
        self.channel_shape = (-1,) + (1,) * (x.ndim - 2)  # a per-channel vector, broadcast
        n = x.size // x.shape[1]
        mean = x.mean(axis=self.axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=self.axes, keepdims=True)
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = centered * self.inv_std
        m = self.momentum
        self.buffers["running_mean"] *= 1 - m
        self.buffers["running_mean"] += m * mean.reshape(-1)
        self.buffers["running_var"] *= 1 - m
        self.buffers["running_var"] += (m * n / (n - 1)) * var.reshape(-1)
        weight, bias = self.params["weight"], self.params["bias"]
        return self.x_hat * weight.reshape(self.channel_shape) + bias.reshape(self.channel_shape)

    def backward(self, g_y, needs_input_grad=True):
        x_hat, axes = self.x_hat, self.axes
        self.grads = [(g_y * x_hat).sum(axis=axes), g_y.sum(axis=axes)]
        if not needs_input_grad:
            return None
        g_hat = g_y * self.params["weight"].reshape(self.channel_shape)
        return self.inv_std * (g_hat - g_hat.mean(axis=axes, keepdims=True)
                               - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True))


class Conv2d:
    """Stride 1, no padding: y[n, o, p, q] = bias[o] + sum over (c, i, j) of
    weight[o, c, i, j] * x[n, c, p + i, q + j]; per image one matrix product of the weight
    as an (O, C * k * k) matrix with the image's patch matrix (im2col: a row per (c, i, j),
    a column per window)."""

    def __init__(self, weight, bias):
        self.params = {"weight": weight, "bias": bias}

    def forward(self, x):
        weight = self.params["weight"]
        o, c, k = weight.shape[:3]
        n, _, h, w = x.shape
        self.x_shape, self.out_size = x.shape, (h - k + 1, w - k + 1)
        step_n, step_c, step_h, step_w = x.strides
        # NOTE: a (N, C, k, k, oh, ow) view whose middle axes step inside a window and last
        # two from window to window; the reshape copies it into the patch matrices
        windows = np.lib.stride_tricks.as_strided(
            x, (n, c, k, k, *self.out_size), (step_n, step_c, step_h, step_w, step_h, step_w))
        self.cols = windows.reshape(n, c * k * k, -1)
        y = weight.reshape(o, -1) @ self.cols
        y += self.params["bias"][:, None]
        return y.reshape(n, o, *self.out_size)

    def backward(self, g_y, needs_input_grad=True):
        weight = self.params["weight"]
        o, c, k = weight.shape[:3]
        g_rows = g_y.reshape(g_y.shape[0], o, -1)  # (N, O, windows)
        self.grads = [(g_rows @ self.cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape),
                      g_rows.sum(axis=(0, 2))]
        if not needs_input_grad:
            return None
        oh, ow = self.out_size
        g_cols = (weight.reshape(o, -1).T @ g_rows).reshape(-1, c, k, k, oh, ow)
        # col2im: the windows at one kernel offset touch distinct pixels, so k * k strided
        # additions put every patch's gradient back where it was read
        g_x = np.zeros(self.x_shape, g_y.dtype)
        for i in range(k):
            for j in range(k):
                g_x[:, :, i:i + oh, j:j + ow] += g_cols[:, :, i, j]
        return g_x


class MaxPool2d:
    """Max over non-overlapping k x k windows (stride k; rows and columns past the last whole
    window are dropped); each window's gradient goes to its first maximum, as in PyTorch."""

    params = {}

    def __init__(self, k):
        self.k = k

    def _offsets(self, image):
        """Element (i, j) of every window, for each offset in row-major order: k * k strided
        views (N, C, oh, ow) of ``image``."""
        k, (oh, ow) = self.k, self.out_size
        return [image[:, :, i:i + k * (oh - 1) + 1:k, j:j + k * (ow - 1) + 1:k]
                for i in range(k) for j in range(k)]

    def forward(self, x):
        k = self.k
        self.x_shape, self.out_size = x.shape, (x.shape[2] // k, x.shape[3] // k)
        first, *rest = self._offsets(x)
        y, self.winner = first, np.zeros(first.shape, np.uint8)
        for offset, candidate in enumerate(rest, 1):
            larger = candidate > y  # strictly: a tie stays with the earlier offset
            y, self.winner = np.where(larger, candidate, y), np.where(larger, offset, self.winner)
        return y

    def backward(self, g_y, needs_input_grad=True):
        self.grads = []
        g_x = np.zeros(self.x_shape, g_y.dtype)
        for offset, target in enumerate(self._offsets(g_x)):
            np.multiply(g_y, self.winner == offset, out=target)
        return g_x


class Flatten:
    """(N, ...) -> (N, features), and the gradient back to the input's shape."""

    params = {}

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, g_y, needs_input_grad=True):
        self.grads = []
        return g_y.reshape(self.x_shape)


class ReLU:
    """y = max(x, 0);  g_x = g_y where y > 0."""

    params = {}

    def forward(self, x):
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, g_y, needs_input_grad=True):
        self.grads = []
        # NOTE: as minigrad's ReLU does it (a multiply: where() is several times slower
        # on a mask of random signs), so the two compare overhead, not formulations
        return g_y * (self.y > 0) if needs_input_grad else None


def dropout_mask(rng, shape, p, dtype):
    """Inverted dropout's mask: 0 with probability p, else 1/(1-p) (minigrad's NumPy draw)."""
    keep = rng.random(shape, dtype=dtype) >= p
    return keep.astype(dtype) * (1.0 / (1.0 - p))


class Dropout:
    """y = x * mask, a fresh mask each forward from ``draw(shape, p, dtype)``."""

    params = {}

    def __init__(self, p, draw):
        self.p, self.draw = p, draw

    def forward(self, x):
        self.mask = self.draw(x.shape, self.p, x.dtype)
        return x * self.mask

    def backward(self, g_y, needs_input_grad=True):
        self.grads = []
        return g_y * self.mask if needs_input_grad else None


def cross_entropy(logits, labels):
    """Mean cross entropy of (N, C) logits against class indices, and its gradient."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_p[rows, labels].mean()
    g_logits = np.exp(log_p)
    g_logits[rows, labels] -= 1
    g_logits /= n
    return loss, g_logits


def mse(y, target):
    """Mean squared error and its gradient."""
    diff = y - target
    return (diff * diff).mean(), diff * (2.0 / diff.size)


LOSSES = {"cross_entropy": cross_entropy, "mse": mse}


class Network:
    """Layers applied in order, built from a layer list such as
    ``[("linear", 784, 512), ("batch_norm", 512), ("relu",), ("dropout", 0.2), ...]`` and
    a state dict of PyTorch-named arrays (``"0.weight"``, ``"1.bias"``, ...), which it uses
    in place (copy them first to keep them)."""

    def __init__(self, layers, state, draw_mask):
        self.layers = []
        for index, (kind, *args) in enumerate(layers):
            params = (state.get(f"{index}.weight"), state.get(f"{index}.bias"))
            if kind == "linear":
                layer = Linear(*params)
            elif kind == "conv":
                layer = Conv2d(*params)
            elif kind in ("batch_norm", "batch_norm2d"):
                layer = BatchNorm(*params)
            elif kind == "relu":
                layer = ReLU()
            elif kind == "max_pool":
                layer = MaxPool2d(args[0])
            elif kind == "flatten":
                layer = Flatten()
            elif kind == "dropout":
                layer = Dropout(args[0], draw_mask)
            else:
                raise ValueError(f"Network: unknown layer kind {kind!r}")
            self.layers.append(layer)
        self.params = [p for layer in self.layers for p in layer.params.values()]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, g):
        """Gradients of every parameter, in the order of ``params``."""
        for index in range(len(self.layers) - 1, -1, -1):
            g = self.layers[index].backward(g, needs_input_grad=index > 0)
        return [g for layer in self.layers for g in layer.grads]

    def state_dict(self):
        """Parameters and running statistics by PyTorch's names (the arrays themselves)."""
        state = {}
        for index, layer in enumerate(self.layers):
            for name, array in {**layer.params, **getattr(layer, "buffers", {})}.items():
                state[f"{index}.{name}"] = array
        return state


def clip_grad_norm_(grads, max_norm):
    """Scale every gradient by max_norm / (total norm + 1e-6) when that is below 1."""
    total = math.sqrt(sum(float(g.reshape(-1) @ g.reshape(-1)) for g in grads))
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1.0:
        for g in grads:
            g *= coefficient
    return total


class SGD:
    """Momentum SGD as PyTorch's (no dampening): buf = momentum * buf + g; p -= lr * buf."""

    def __init__(self, params, lr, momentum):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.buffers = [None] * len(params)

    def step(self, grads):
        for index, (p, g) in enumerate(zip(self.params, grads)):
            buf = self.buffers[index]
            if buf is None:
                buf = self.buffers[index] = g.copy()
            else:
                buf *= self.momentum
                buf += g
            p -= self.lr * buf


class Trainer:
    """One training step: forward, loss, backward, clip, SGD step, StepLR."""

    def __init__(self, network, loss, lr, momentum, max_norm, step_size=None, gamma=0.1):
        self.network, self.loss = network, LOSSES[loss]
        self.optimizer = SGD(network.params, lr, momentum)
        self.max_norm, self.step_size, self.gamma = max_norm, step_size, gamma
        self.base_lr, self.steps = lr, 0

    def step(self, x, target):
        loss, g_out = self.loss(self.network.forward(x), target)
        grads = self.network.backward(g_out)
        clip_grad_norm_(grads, self.max_norm)
        self.optimizer.step(grads)
        self.steps += 1
        if self.step_size is not None:  # StepLR, in closed form
            self.optimizer.lr = self.base_lr * self.gamma ** (self.steps // self.step_size)
        return loss
