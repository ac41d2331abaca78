"""Checks for ``03_vanishing_and_exploding_gradients``: the backward factor of a LeakyReLU
network predicted on paper, an output layer rescaled to pass the initial-loss check, and the
size of Adam's step for a gradient far below its epsilon."""

import math

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

from . import passed, unanswered

DEPTH, WIDTH = 16, 64


def _deep_mlp(activation, init=None):
    """The lesson's network: 16 x (Linear(64, 64) -> activation), then Linear(64, 10)."""
    layers = []
    for _ in range(DEPTH):
        linear = nn.Linear(WIDTH, WIDTH)
        if init is not None:
            init(linear)
        layers += [linear, activation()]
    layers.append(nn.Linear(WIDTH, 10))
    return nn.Sequential(*layers)


def _probe():
    digits = mg.data.load_digits()
    return digits.x_train[:256], digits.y_train[:256]


def _measured_factor(seed=0):
    """The per-layer factor fitted to a default-initialized LeakyReLU(0.3) network's gradient
    norms, layers 2..16, as in the lesson's section 1."""
    mg.manual_seed(seed)
    model = _deep_mlp(lambda: nn.LeakyReLU(0.3))
    x, y = _probe()
    F.cross_entropy(model(x), y).backward()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    norms = [math.hypot(np.linalg.norm(m.weight.grad.numpy()), np.linalg.norm(m.bias.grad.numpy()))
             for m in linears]
    slope = np.polyfit(np.arange(2, DEPTH + 1), np.log10(norms[1:DEPTH]), 1)[0]
    return 10.0 ** -slope


def leaky_factor(answer):
    """Exercise 1: weight scale 1/sqrt(3) times the RMS slope sqrt((1 + 0.3^2) / 2)."""
    if unanswered(answer):
        return
    expected = math.sqrt((1 + 0.3 ** 2) / 2) / math.sqrt(3)
    measured = _measured_factor()
    assert abs(answer / expected - 1) < 0.03, (
        f"{answer:.3f} is not the estimate: the default weights scale a gradient by "
        f"1/sqrt(3) = {1 / math.sqrt(3):.3f}, and half the units pass slope 1, half 0.3; "
        f"combine the slopes as a root mean square (the network measures {measured:.3f})")
    passed(f"sqrt((1 + 0.09) / 2) / sqrt(3) = {expected:.3f}; the network measures "
           f"{measured:.3f} (seed 0), {abs(measured / expected - 1):.0%} away")


def _output_like_hidden():
    def xavier(linear):
        nn.init.xavier_normal_(linear.weight, gain=5 / 3)
        nn.init.zeros_(linear.bias)
    model = _deep_mlp(nn.Tanh, xavier)
    xavier(model[-1])
    return model


def output_layer_fix(fix_output_layer):
    """Exercise 2: ``fix_output_layer(model)`` returns the model with an initial loss within
    10% of ln 10 on three seeds, the hidden layers untouched and output weights not all zero."""
    x, y = _probe()
    ratios = []
    for seed in (0, 1, 2):
        mg.manual_seed(seed)
        model = _output_like_hidden()
        hidden = [p.numpy().copy() for p in model[:-1].parameters()]
        fixed = fix_output_layer(model)
        if unanswered(fixed):
            return
        assert fixed is model, "fix_output_layer should change the model in place and return it"
        assert all(np.array_equal(before, p.numpy())
                   for before, p in zip(hidden, model[:-1].parameters())), (
            "fix_output_layer changed a hidden layer: change model[-1] only")
        assert np.abs(model[-1].weight.numpy()).max() > 0, (
            "the output weights are all zero: scale them down instead, so the layers below "
            "get a gradient from the first step")
        with mg.no_grad():
            result = mg.diagnostics.initial_loss_check(F.cross_entropy(model(x), y), 10)
        assert result.ok, f"seed {seed}: {result}"
        ratios.append(result.ratio)
    passed(f"the first loss is within 10% of ln 10 on three seeds (ratios "
           f"{', '.join(f'{r:.3f}' for r in ratios)})")


def adam_step(adam_step):
    """Exercise 3: lr * |g| / (|g| + eps), checked from g >> eps down to g << eps."""
    if unanswered(adam_step(1e-3, 1.0, 1e-8)):
        return
    cases = [(1e-3, 1.0, 1e-8), (1e-3, 1e-8, 1e-8), (1e-3, 1e-14, 1e-8), (0.1, -2e-6, 1e-6),
             (1e-2, 1e-20, 1e-8)]
    for lr, grad, eps in cases:
        expected = lr * abs(grad) / (abs(grad) + eps)
        got = adam_step(lr, grad, eps)
        assert got is not None and math.isclose(abs(got), expected, rel_tol=1e-6), (
            f"adam_step({lr}, {grad}, {eps}) = {got}, expected a step of size {expected:.3g}: "
            "Adam's step is lr * m_hat / (sqrt(v_hat) + eps)")
    tiny = adam_step(1e-3, 1e-14, 1e-8)
    passed(f"for a 1e-14 gradient Adam steps {abs(tiny):.1e}, a millionth of lr: eps, not "
           "the gradient, sets the denominator, so Adam cannot rescue the sigmoid's layer 1")
