"""Checks for the exercises of ``08_batchnorm_in_cnns``."""

import math

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

from . import passed, unanswered


def _call(fn, *args):
    # the learner's function applied to args; ``...`` while its body is still left as ``...``
    if fn is ...:
        return ...
    result = fn(*args)
    return ... if result is None else result


def chance_loss(chance_loss):
    """``chance_loss(C)`` is the cross-entropy of equal logits for C classes, whatever the
    target, compared with ``F.cross_entropy`` on zero logits."""
    if unanswered(_call(chance_loss, 10)):
        return
    for classes in (2, 10, 37):
        logits, targets = mg.zeros(6, classes), mg.tensor(np.arange(6) % classes)
        expected = F.cross_entropy(logits, targets).item()
        got = float(chance_loss(classes))
        assert math.isclose(got, expected, rel_tol=1e-4), (
            f"chance_loss({classes}) = {got:.4f}, but cross-entropy with equal logits for "
            f"{classes} classes is {expected:.4f}: each class, the right one too, gets "
            f"probability 1/{classes}, and the loss is minus the log of the right one's")
    passed(f"a uniform prediction over 10 classes costs {chance_loss(10):.4f} = ln 10; a run "
           "stuck there predicts nothing better than chance")


def batch_norm_2d(my_batch_norm_2d, values_per_statistic, eps=1e-5):
    """``my_batch_norm_2d(x, eps)`` matches a train-mode ``BatchNorm2d(affine=False)``, output
    and input gradient, also on a batch of one; ``values_per_statistic`` is N*H*W for
    (1, 5, 4, 4)."""
    mg.manual_seed(0)
    shapes = [(16, 5, 6, 7), (1, 5, 4, 4)]
    first = mg.randn(*shapes[0]) * 3 + 1
    if unanswered(_call(my_batch_norm_2d, first, eps), values_per_statistic):
        return
    reference = nn.BatchNorm2d(5, eps=eps, affine=False)
    for shape in shapes:
        x = (mg.randn(*shape) * 3 + 1).requires_grad_()
        got, expected = my_batch_norm_2d(x, eps), reference(x)
        assert isinstance(got, mg.Tensor) and tuple(got.shape) == shape, (
            f"for input {shape} the result should be a Tensor of the same shape")
        error = (got - expected).abs().max().item()
        assert error < 1e-4, (
            f"for input {shape} the largest difference from BatchNorm2d is {error:.3g}: "
            "normalize per channel, over dims 0, 2 and 3, with the biased variance")
        g_y = mg.randn(*shape)
        (g_got,) = mg.autograd.grad(got, x, g_y)
        (g_expected,) = mg.autograd.grad(expected, x, g_y)
        gap = (g_got - g_expected).abs().max().item()
        assert gap < 1e-3, (
            f"for input {shape} the input gradient differs from BatchNorm2d's by {gap:.3g}: "
            "build the output from tensor operations so autograd differentiates all of it")
    n, _, h, w = shapes[1]
    assert values_per_statistic == n * h * w, (
        f"values_per_statistic = {values_per_statistic}: each channel's mean and variance "
        "average over the batch and every position of that channel")
    passed(f"my_batch_norm_2d matches BatchNorm2d, gradient included, and a batch of one still "
           f"gives each statistic {n * h * w} values: the positions")


def dropout2d(my_dropout2d, p=0.4):
    """``my_dropout2d(x, p)`` drops whole (sample, channel) maps with probability p and
    scales the rest by 1/(1-p), with a fresh draw per call; its gradient is the mask."""
    mg.manual_seed(0)
    x = mg.rand(400, 50, 3, 3) + 0.5                    # no zeros, so a zero means dropped
    if unanswered(_call(my_dropout2d, x, p)):
        return
    y = my_dropout2d(x, p)
    assert isinstance(y, mg.Tensor) and tuple(y.shape) == tuple(x.shape), (
        f"my_dropout2d should return a Tensor of the input's shape {tuple(x.shape)}")
    ratio = (y / x).detach().numpy().reshape(400, 50, 9)
    per_map = ratio[..., :1]
    assert np.allclose(ratio, per_map, atol=1e-5), (
        "some feature maps are only partly dropped: draw one number per (sample, channel), "
        "shape (N, C, 1, 1), and let it broadcast over the positions")
    dropped = (per_map == 0).mean()
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / per_map.size), (
        f"{dropped:.3f} of the maps were dropped; with p = {p} about {p} should be")
    assert np.allclose(np.unique(per_map[per_map != 0]), 1 / (1 - p), rtol=1e-5), (
        f"the kept maps should be scaled by 1/(1-p) = {1 / (1 - p):.4g}")
    assert not np.array_equal(per_map, (my_dropout2d(x, p) / x).detach().numpy()[..., :1, :1]
                              .reshape(per_map.shape)), "draw a fresh mask at every call"

    x = (mg.rand(8, 6, 4, 4) + 0.5).requires_grad_()
    y = my_dropout2d(x, p)
    g_y = mg.randn(8, 6, 4, 4)
    (g_x,) = mg.autograd.grad(y, x, g_y)
    assert np.allclose(g_x.numpy(), (g_y * y / x).detach().numpy(), rtol=1e-5, atol=1e-6), (
        "the gradient of my_dropout2d should be the upstream gradient times the mask")
    passed(f"my_dropout2d drops whole maps ({dropped:.1%} of them for p = {p}), scales the rest "
           "by 1/(1-p), draws afresh each call and passes the mask back in its gradient")
