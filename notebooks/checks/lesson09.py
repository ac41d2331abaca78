"""Checks for the exercises of ``09_layernorm_and_warmup_in_transformers``: RMSNorm written
as a ``Function`` with its own backward, the spread of attention logits with and without the
1/sqrt(d) scale, and the size of Adam's first step."""

import math

import minigrad as mg
from minigrad.autograd import gradcheck
from minigrad.nn import functional as F

from . import passed, unanswered

WIDTH, EPS = 6, 1e-6
HEAD_DIM = 64
LR = 0.04


def rms_norm_function(op):
    """``op.apply(x, weight, eps)`` is RMSNorm over the last axis: its values against
    ``F.rms_norm`` and gradcheck of both x and weight, in float64, for 2-D and 3-D inputs."""
    if unanswered(op):
        return
    generator = mg.Generator().manual_seed(0)
    for shape in ((4, WIDTH), (2, 3, WIDTH)):
        # NOTE: rows whose mean is far from 0, so that a LayerNorm (which subtracts the
        # mean) cannot pass for an RMSNorm
        x = (mg.randn(*shape, generator=generator, dtype=mg.float64) + 2).requires_grad_()
        weight = (mg.rand(WIDTH, generator=generator, dtype=mg.float64) + 0.5).requires_grad_()
        try:
            y = op.apply(x, weight, EPS)
        except AttributeError as error:
            raise AssertionError(f"{op.__name__}.apply failed ({error}): does forward return "
                                 "the normalized array?") from error
        assert tuple(y.shape) == shape, (
            f"for an input of shape {shape} the output should have that shape, got "
            f"{tuple(y.shape)}")
        worst = float((y - F.rms_norm(x, (WIDTH,), weight, EPS)).abs().max())
        assert worst < 1e-10, (
            f"the output is {worst:.1e} away from x / sqrt(mean(x^2) + eps) * weight for an "
            f"input of shape {shape} (the mean over the last axis only, no mean subtracted)")
        assert gradcheck(lambda a, b: op.apply(a, b, EPS), (x, weight), raise_exception=False), (
            f"backward fails gradcheck for an input of shape {shape}: run gradcheck yourself "
            "to see whether x's or weight's gradient is wrong")
    passed("your RMSNorm matches F.rms_norm in float64 and its backward passes gradcheck for "
           "x and weight")


def logit_spread(answer):
    """For q and k with HEAD_DIM independent N(0, 1) entries: the standard deviation of q.k
    (sqrt(HEAD_DIM)) and of q.k / sqrt(HEAD_DIM) (1)."""
    if unanswered(answer):
        return
    assert len(answer) == 2, "answer with two numbers: (std of q.k, std of q.k / sqrt(d))"
    unscaled, scaled = answer
    root = math.sqrt(HEAD_DIM)
    assert not math.isclose(unscaled, HEAD_DIM), (
        f"{HEAD_DIM} is the variance of q.k; the question asks for its standard deviation")
    assert math.isclose(unscaled, root, rel_tol=1e-3), (
        f"got {unscaled} for q.k: it is a sum of {HEAD_DIM} products q_i k_i, each of mean 0 "
        "and variance 1, and independent")
    assert math.isclose(scaled, 1.0, rel_tol=1e-3), (
        f"got {scaled} for q.k / sqrt(d): dividing by a constant divides the standard "
        "deviation by it")
    passed(f"q.k spreads as sqrt(d) = {root:g}; the 1/sqrt(d) scale brings it back to 1 at "
           "every width")


def _adam_first_step(gradient):
    """The change of one parameter under Adam's first step at rate LR with this gradient."""
    weight = mg.zeros(1, dtype=mg.float64, requires_grad=True)
    optimizer = mg.optim.Adam([weight], lr=LR)
    weight.grad = mg.full((1,), gradient, dtype=mg.float64)
    optimizer.step()
    return abs(float(weight.detach()[0]))


def adam_first_step(answer):
    """The size of Adam's first step (default betas and eps) at rate LR for gradients 1e-3
    and 1e3: both LR, since the first step divides the gradient by its own magnitude."""
    if unanswered(answer):
        return
    for gradient, step in zip((1e-3, 1e3), answer):
        expected = _adam_first_step(gradient)
        hint = ("that is lr * gradient, SGD's step; Adam divides the averaged gradient by the "
                "root of the averaged squared gradient" if math.isclose(step, LR * gradient)
                else "after one step both averages hold that one gradient, corrected for bias")
        assert math.isclose(step, expected, rel_tol=1e-3), (
            f"for a gradient of {gradient:g} Adam's first step is not {step}: {hint}")
    passed(f"Adam's first step moves every parameter by about lr = {LR}, whatever its "
           "gradient: only the learning rate (and a warm-up) bounds the early steps")
