"""Checks for lesson 04, BatchNorm and internal covariate shift: the running variance after ten
batches, BN's backward over (N, C, L) input, and BN placed after the ReLU."""

import numpy as np

import minigrad as mg
from checks import passed, unanswered
from minigrad import nn
from minigrad.nn import functional as F

HIDDEN, WIDTH = 6, 64


def _open(result):
    """A function whose body is still ``...`` returns None: its exercise is still open."""
    return unanswered(... if result is None else result)


def running_var_by_hand(answer):
    """Exercise 1: ``running_var`` of a fresh ``BatchNorm1d(1)`` after ten train-mode passes
    of the batch [1, 2, 3, 4]."""
    if unanswered(answer):
        return
    layer = nn.BatchNorm1d(1, dtype=mg.float64)
    batch = mg.tensor([[1.0], [2.0], [3.0], [4.0]], dtype=mg.float64)
    for _ in range(10):
        layer(batch)
    expected = layer.running_var.item()
    kept = (1 - layer.momentum) ** 10  # the share of the starting value 1 still in the average
    with_biased = kept + (1 - kept) * batch.numpy().var()
    assert not np.isclose(answer, with_biased, rtol=1e-4), (
        f"{answer} is what the biased batch variance gives; the running estimate uses the "
        "unbiased one, N / (N - 1) times larger")
    assert np.isclose(answer, expected, rtol=1e-4), (
        f"{answer} is not what BatchNorm1d ends with. Each pass does running = 0.9 * running "
        "+ 0.1 * (unbiased variance of the batch), starting from running = 1")
    passed(f"running_var = 0.9^10 * 1 + (1 - 0.9^10) * 5/3 = {expected:.4f}")


def bn_backward_ncl(backward):
    """Exercise 2: ``backward(g_y, x, gamma, eps)`` returns (g_x, g_gamma, g_beta) for
    (N, C, L) input, compared with ``nn.BatchNorm1d`` in float64."""
    rng = np.random.default_rng(4)
    x = rng.normal(1.0, 2.0, size=(6, 3, 5))
    gamma, beta, g_y = rng.normal(size=3), rng.normal(size=3), rng.normal(size=x.shape)
    result = backward(g_y, x, gamma, 1e-5)
    if _open(result):
        return
    layer = nn.BatchNorm1d(3, dtype=mg.float64)
    with mg.no_grad():
        layer.weight.copy_(mg.tensor(gamma))
        layer.bias.copy_(mg.tensor(beta))
    x_tensor = mg.tensor(x, requires_grad=True)
    layer(x_tensor).backward(mg.tensor(g_y))
    expected = (x_tensor.grad.numpy(), layer.weight.grad.numpy(), layer.bias.grad.numpy())
    assert len(result) == 3, f"return (g_x, g_gamma, g_beta), not {len(result)} values"
    for name, got, want in zip(("g_x", "g_gamma", "g_beta"), result, expected):
        got = np.asarray(got)
        assert got.shape == want.shape, f"{name} has shape {got.shape}, expected {want.shape}"
        worst = np.abs(got - want).max()
        assert np.allclose(got, want, rtol=1e-8, atol=1e-10), (
            f"{name} differs from nn.BatchNorm1d's by up to {worst:.2e} (the means run over "
            "axes 0 and 2, N * L values per channel)")
    passed("g_x, g_gamma and g_beta match nn.BatchNorm1d on (6, 3, 5) input in float64")


def _layer_names(model):
    return [type(module).__name__ for module in model]


def bn_after_relu(build):
    """Exercise 3: ``build()`` returns 6 x (Linear -> ReLU -> BatchNorm1d), then
    Linear(64, 10), with biases and He initialization, that trains at learning rate 1.0 (on
    a random teacher's labels)."""
    mg.manual_seed(0)
    model = build()
    if _open(model):
        return
    expected = ["Linear", "ReLU", "BatchNorm1d"] * HIDDEN + ["Linear"]
    assert _layer_names(model) == expected, (
        f"expected the layers {expected}, got {_layer_names(model)}")
    linears = [module for module in model if isinstance(module, nn.Linear)]
    shapes = [(linear.in_features, linear.out_features) for linear in linears]
    assert shapes == [(64, WIDTH)] * HIDDEN + [(WIDTH, 10)], f"layer sizes {shapes}"
    assert all(linear.bias is not None for linear in linears), (
        "give the linear layers their bias back: BN no longer follows them directly")
    he = np.sqrt(2 / 64)
    stds = [float(linear.weight.numpy().std()) for linear in linears[:HIDDEN]]
    assert all(abs(std / he - 1) < 0.15 for std in stds), (
        f"hidden weights should have He's std sqrt(2 / 64) = {he:.3f}, got "
        + ", ".join(f"{std:.3f}" for std in stds))
    # NOTE: a random linear teacher rather than the digits: loading them imports scikit-learn,
    # which takes longer than the whole check
    rng = np.random.default_rng(0)
    x = rng.normal(size=(640, 64)).astype(np.float32)
    y = mg.tensor((x @ rng.normal(size=(64, 10))).argmax(axis=1))
    x = mg.tensor(x)
    optimizer = mg.optim.SGD(model.parameters(), lr=1.0)
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(40):
            rows = slice(64 * (step % 10), 64 * (step % 10 + 1))
            loss = F.cross_entropy(model(x[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    late = float(np.mean(losses[-5:]))
    assert np.isfinite(late) and late < 1.6, (
        f"after 40 steps at learning rate 1.0 the loss is {late:.2f}; expected below 1.6")
    passed(f"BN after every ReLU; 40 steps at learning rate 1.0 take the loss from "
           f"{losses[0]:.2f} to {late:.2f}")
