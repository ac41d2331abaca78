"""Checks for the exercises of ``07_learning_rate_schedules``: a warm-up-then-cosine scheduler
against its closed form, the steepest-descent rule of the range test, and the effective step
``lr / (1 - momentum)`` at the top and bottom of a cycle."""

import math

import numpy as np

import minigrad as mg
from minigrad.diagnostics import schedule_preview

from . import passed, unanswered


def _warmup_cosine_rate(step, base_lr, warmup, total, start_factor=0.05):
    """The closed form: linear from ``start_factor * base_lr`` to ``base_lr`` over ``warmup``
    steps, then half a cosine from ``base_lr`` to 0 over the other ``total - warmup``."""
    if step < warmup:
        return base_lr * (start_factor + (1 - start_factor) * step / warmup)
    return base_lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def _bound(make, warmup, total):
    return lambda optimizer: make(optimizer, warmup, total)


def warmup_cosine(make):
    """``make(optimizer, warmup, total)`` gives 5% -> 100% linear warm-up, then cosine to 0:
    its rates over ``total`` steps equal the closed form, for two settings."""
    probe = mg.optim.SGD([mg.zeros(1, requires_grad=True)], lr=0.1)
    if unanswered(make(probe, 4, 20)):
        return
    for base_lr, warmup, total in [(0.1, 5, 20), (2.0, 3, 11)]:
        rates = schedule_preview(_bound(make, warmup, total), steps=total, lr=base_lr)["lr"]
        expected = [_warmup_cosine_rate(t, base_lr, warmup, total) for t in range(total)]
        wrong = [t for t, (got, want) in enumerate(zip(rates, expected))
                 if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)]
        assert not wrong, (
            f"with base lr {base_lr}, warmup={warmup}, total={total}: step {wrong[0]} has rate "
            f"{rates[wrong[0]]:.6g}, expected {expected[wrong[0]]:.6g} (LinearLR(start_factor="
            "0.05, total_iters=warmup), then CosineAnnealingLR(T_max=total - warmup), switching "
            "at milestones=[warmup])")
    passed("your scheduler warms up linearly from 5% and then follows the cosine to 0")


def _steepest_reference(lrs, losses):
    slopes = np.diff(losses) / np.diff(np.log10(lrs))
    return float(lrs[int(np.argmin(slopes))])


def _curves():
    """Two range-test-like curves: one on a geometric grid of rates, one on an irregular grid
    (where a slope per step rather than per decade picks the wrong point)."""
    rng = np.random.default_rng(7)
    regular = np.logspace(-4, 1, 60)
    irregular = np.sort(10 ** rng.uniform(-4, 1, 60))
    curves = []
    for lrs in (regular, irregular):
        x = np.log10(lrs)
        losses = 2.3 - 2.0 / (1 + np.exp(-3 * (x + 1.3))) + 0.5 * np.maximum(x + 0.2, 0) ** 2
        curves.append((lrs, losses))
    return curves


def steepest(fn):
    """``fn(lrs, losses)`` returns the rate at the left end of the segment with the most
    negative slope of loss against log10(rate), on a regular and an irregular grid."""
    curves = _curves()
    if unanswered(fn(list(curves[0][0]), list(curves[0][1]))):
        return
    for name, (lrs, losses) in zip(["geometric", "irregular"], curves):
        got, want = fn(list(lrs), list(losses)), _steepest_reference(lrs, losses)
        assert got is not None and math.isclose(float(got), want, rel_tol=1e-9), (
            f"on the {name} grid of rates you returned {got!r}, expected {want:.6g}: the slope "
            "of a segment is (loss[i+1] - loss[i]) / (log10(lr[i+1]) - log10(lr[i])), and the "
            "answer is lr[i] of the most negative one")
    passed("your rule finds the steepest descent per decade of the rate")


def effective_step(answer):
    """CyclicLR(base_lr=0.01, max_lr=0.1), momenta 0.8 at the top and 0.9 at the bottom:
    lr / (1 - momentum) is 0.1 / 0.2 = 0.5 at the top, 0.01 / 0.1 = 0.1 at the bottom."""
    if unanswered(answer):
        return
    top, bottom = (float(value) for value in answer)
    if math.isclose(top, 1.0) and math.isclose(bottom, 0.05):
        raise AssertionError("you paired each rate with the other end's momentum: the momentum "
                             "is lowest (base_momentum=0.8) where the rate is highest")
    assert math.isclose(top, 0.1 / (1 - 0.8), rel_tol=1e-6), (
        f"top {top:g}: at the top of a cycle lr = max_lr and momentum = base_momentum")
    assert math.isclose(bottom, 0.01 / (1 - 0.9), rel_tol=1e-6), (
        f"bottom {bottom:g}: at the bottom lr = base_lr and momentum = max_momentum")
    passed("0.1 / (1 - 0.8) = 0.5 at the top, 0.01 / (1 - 0.9) = 0.1 at the bottom: the rate "
           "swings tenfold, the effective step only fivefold")
