"""Checks for the exercises of ``05_layernorm_vs_batchnorm``."""

import numpy as np

import minigrad as mg
from minigrad.autograd import gradcheck

from . import passed, relative_error, unanswered, word_answer

WIDTH = 6


def _rms_reference(x, weight, eps):
    """RMSNorm from its formula in float64 NumPy: x / sqrt(mean(x^2) + eps) * weight."""
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * weight


def rms_norm(module_class):
    """``module_class(width)`` is an RMSNorm: the formula's values, gradients that pass
    gradcheck in float64, a weight gradient as the formula's, and batch independence."""
    module = module_class(WIDTH)
    rng = np.random.default_rng(0)
    # NOTE: a mean far from 0, so that a LayerNorm (which subtracts it) fails the check
    x = mg.tensor(rng.normal(size=(5, WIDTH)) * 3 + 1, dtype=mg.float32)
    if unanswered(module(x)):
        return
    params = list(module.parameters())
    assert len(params) == 1 and tuple(params[0].shape) == (WIDTH,), (
        f"RMSNorm({WIDTH}) should have one parameter, gamma, of shape ({WIDTH},); "
        f"found shapes {[tuple(p.shape) for p in params]}")
    weight = params[0]
    assert np.allclose(weight.numpy(), 1), "gamma should start at 1 (ones)"
    module = module.double()
    weight = next(module.parameters())
    gamma = rng.uniform(0.5, 2.0, WIDTH)
    with mg.no_grad():
        weight.copy_(mg.tensor(gamma, dtype=mg.float64))
    x64 = x.double().requires_grad_()
    y = module(x64)
    expected = _rms_reference(x64.detach().numpy(), gamma, eps=1e-6)
    worst = np.abs(y.detach().numpy() - expected).max()
    assert worst < 1e-4, (
        f"your RMSNorm's output is {worst:.2e} from x / sqrt(mean(x^2) + eps) * gamma "
        "(no mean subtracted, gamma multiplied, eps of at most about 1e-5)")
    assert gradcheck(lambda t: module(t), (x64,), raise_exception=False), (
        "your RMSNorm's gradient with respect to x fails gradcheck in float64")
    g_y = rng.normal(size=expected.shape)
    weight.grad = None
    module(x64).backward(mg.tensor(g_y, dtype=mg.float64))
    g_weight = (g_y * expected / gamma).sum(axis=0)
    assert np.allclose(weight.grad.numpy(), g_weight, rtol=1e-4, atol=1e-6), (
        "gamma's gradient should be the sum over the batch of g_y * x / rms")
    alone = module(x64[:1]).detach().numpy()
    assert np.allclose(alone, y.detach().numpy()[:1], rtol=0, atol=1e-12), (
        "a sample's output should not depend on the other samples in its batch")
    passed("your RMSNorm matches the formula in float64, passes gradcheck, gets gamma's "
           "gradient right and normalizes each sample on its own")


def rms_like_layer_norm(answer):
    """At batch size 2, RMSNorm (statistics per sample) beats BatchNorm, as LayerNorm does."""
    if unanswered(answer):
        return
    assert answer is True, (
        "RMSNorm, like LayerNorm, takes its statistic over a sample's own features, so a "
        "batch of 2 does not disturb it: rerun the batch-2 training with it in NORMS")
    passed("RMSNorm's statistic is per sample, so tiny batches leave it unaffected")


def rms_norm_backward(fn):
    """``fn(g_hat, x_hat, inv_rms)`` is the gradient of <g_hat, x_hat(x)> with respect to x,
    for x_hat = x / sqrt(mean(x^2) + eps) over the last axis: compared with finite
    differences, by CS231n's relative error."""
    rng = np.random.default_rng(0)
    eps = 1e-6
    x = rng.normal(size=(4, WIDTH)) + 0.5
    g_hat = rng.normal(size=x.shape)

    def x_hat_of(values):
        inv_rms = 1 / np.sqrt((values * values).mean(axis=-1, keepdims=True) + eps)
        return values * inv_rms, inv_rms

    x_hat, inv_rms = x_hat_of(x)
    answer = fn(g_hat, x_hat, inv_rms)
    if unanswered(answer):
        return
    answer = np.asarray(answer)
    assert answer.shape == x.shape, f"expected a gradient of shape {x.shape}, got {answer.shape}"
    step = 1e-6
    numerical = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += step
        down[index] -= step
        numerical[index] = ((g_hat * x_hat_of(up)[0]).sum()
                            - (g_hat * x_hat_of(down)[0]).sum()) / (2 * step)
    error = relative_error(answer, numerical)
    assert error < 1e-6, (
        f"relative error {error:.1e} against finite differences (expected below 1e-6): "
        "start from LayerNorm's formula and drop what no mean subtraction leaves out")
    passed(f"your RMSNorm backward agrees with finite differences (relative error {error:.0e})")


def momentum_curve(answer):
    """BatchNorm's momentum changes only the running statistics, used in eval mode."""
    word_answer(answer, "test loss",
                "the momentum only sets how the running statistics average; which mode uses "
                "them?",
                "the momentum acts on the running statistics only, which only eval mode (the "
                "test loss) uses; the training loss, computed with batch statistics, is "
                "unchanged")
