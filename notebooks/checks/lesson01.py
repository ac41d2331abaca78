"""Checks for the exercises of ``01_autograd_and_gradcheck``."""

import numpy as np

import minigrad as mg
from minigrad.autograd import gradcheck

from . import passed, relative_error, unanswered, word_answer


class _Probe:
    """A stand-in for ``ctx``, so a check can call an op's own ``forward`` and ``backward``
    directly and look at what they return (and detect a body still left as ``...``)."""

    xp = np

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays


def _hypot_inputs():
    rng = np.random.default_rng(0)
    return rng.normal(size=(3, 1)), rng.normal(size=(1, 4))


def _hypot_open(op):
    """True (with the note printed) while Hypot's forward or backward still returns nothing."""
    a, b = _hypot_inputs()
    probe = _Probe((True, True))
    y = op.forward(probe, a, b)
    grads = None if y is None or y is ... else op.backward(probe, np.ones_like(y))
    if y is None or grads is None:
        return unanswered(...)
    return unanswered(y, grads)


def hypot(op):
    """``op`` is y = sqrt(a^2 + b^2) as a Function: its values and gradcheck in float64, with
    inputs of shapes (3, 1) and (1, 4) broadcast to (3, 4)."""
    if _hypot_open(op):
        return
    a_values, b_values = _hypot_inputs()
    a = mg.tensor(a_values, requires_grad=True)
    b = mg.tensor(b_values, requires_grad=True)
    y = op.apply(a, b)
    assert tuple(y.shape) == (3, 4), f"Hypot of (3, 1) and (1, 4) should be (3, 4), got {y.shape}"
    assert np.allclose(y.detach().numpy(), np.hypot(a_values, b_values)), (
        "forward does not compute sqrt(a^2 + b^2)")
    assert gradcheck(op.apply, (a, b), raise_exception=False), (
        "gradcheck fails: run it yourself to see which input and element disagree")
    passed("Hypot computes sqrt(a^2 + b^2) and passes gradcheck with broadcast inputs")


def who_sums(answer):
    """The engine, not the op, sums a broadcast gradient back to the input's shape."""
    word_answer(answer, "engine",
                "Hypot.backward returns (3, 4) gradients; read the last sentence of the "
                "Function docstring (help(Function))",
                "the engine sums each gradient back to its input's shape, so backward need not")


def named_input(answer):
    """gradcheck names the input whose gradient is wrong: b, input 1."""
    if unanswered(answer):
        return
    assert answer == 1, (
        f"got {answer!r}: only b's gradient is wrong, and b is the second argument; gradcheck "
        "counts inputs from 0")
    passed("gradcheck names input 1, b: a check per input points at the faulty gradient")


def skips_unneeded_gradients(op):
    """With only ``a`` requiring a gradient, backward returns None for ``b`` (and a's is
    still right)."""
    if _hypot_open(op):
        return
    a_values, b_values = _hypot_inputs()
    probe = _Probe((True, False))
    y = op.forward(probe, a_values, b_values)
    g_a, g_b = op.backward(probe, np.ones_like(y))
    assert g_b is None, (
        "with ctx.needs_input_grad == (True, False) backward should return None for b")
    assert np.allclose(g_a, a_values / np.hypot(a_values, b_values)), "a's gradient is wrong"
    a = mg.tensor(a_values, requires_grad=True)
    assert gradcheck(op.apply, (a, mg.tensor(b_values)), raise_exception=False), (
        "gradcheck fails when only a requires a gradient")
    passed("backward skips b's gradient when b needs none, and a's still passes gradcheck")


def tanh_backward(fn):
    """``fn(g_y, y)`` is tanh's backward from its output: compared with finite differences of
    <g_y, tanh(x)>, by CS231n's relative error, which must be below 1e-7 for a smooth op."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5))
    g_y = rng.normal(size=x.shape)
    answer = fn(g_y, np.tanh(x))
    if unanswered(answer):
        return
    answer = np.asarray(answer)
    assert answer.shape == x.shape, f"expected shape {x.shape}, got {answer.shape}"
    step = 1e-5
    numerical = g_y * (np.tanh(x + step) - np.tanh(x - step)) / (2 * step)
    error = relative_error(answer, numerical)
    assert error < 1e-7, (
        f"relative error {error:.1e} against finite differences (expected below 1e-7): "
        "the local slope of tanh is 1 - y^2, times the incoming gradient")
    passed(f"your tanh backward agrees with finite differences (relative error {error:.0e})")
