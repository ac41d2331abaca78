"""Checks for the exercises of ``06_dropout``."""

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

from . import passed, unanswered

UNITS = 1_000_000  # draws per mask: five standard errors of a kept fraction are below 0.003


def _as_array(values, name):
    # a Tensor or anything NumPy can read, as an array
    array = values.numpy() if isinstance(values, mg.Tensor) else np.asarray(values)
    assert array.dtype.kind == "f", f"{name} should return floats, got dtype {array.dtype}"
    return array


def keep_probability_dropout(dropout_keep, same_p):
    """``dropout_keep(x, p_keep)`` is inverted dropout with ``p_keep`` the keep probability;
    ``same_p`` is the ``nn.Dropout`` probability of the same layer for ``p_keep = 0.3``."""
    first_draw = None if dropout_keep is ... else dropout_keep(mg.ones(UNITS), 0.8)
    if unanswered(... if first_draw is None else first_draw, same_p):
        return
    for p_keep in (0.8, 0.3):
        mask = _as_array(first_draw if p_keep == 0.8 else dropout_keep(mg.ones(UNITS), p_keep),
                         "dropout_keep")
        assert mask.shape == (UNITS,), f"dropout_keep changed the shape to {mask.shape}"
        kept = (mask != 0).mean()
        assert abs(kept - p_keep) < 5 * np.sqrt(p_keep * (1 - p_keep) / UNITS), (
            f"dropout_keep(x, {p_keep}) kept {kept:.3f} of the units; it should keep about "
            f"{p_keep}: p_keep is the probability of keeping a unit, not of dropping it")
        survivors = np.unique(mask[mask != 0])
        assert np.allclose(survivors, 1 / p_keep, rtol=1e-5), (
            f"with p_keep = {p_keep} the survivors should be scaled by 1/p_keep = "
            f"{1 / p_keep:.4g}, got {survivors[:4]}")
    first, second = (_as_array(dropout_keep(mg.ones(1000), 0.5), "dropout_keep")
                     for _ in range(2))
    assert not np.array_equal(first, second), "draw a fresh mask at every call (use mg.rand)"

    x = mg.randn(1000, requires_grad=True)
    y = dropout_keep(x, 0.8)
    assert isinstance(y, mg.Tensor) and y.requires_grad, (
        "dropout_keep should return a Tensor that autograd can differentiate (tensor ops only)")
    g_y = mg.randn(1000)
    (g_x,) = mg.autograd.grad(y, x, g_y)
    mask = (y / x).detach().numpy()
    assert np.allclose(g_x.numpy(), g_y.numpy() * mask, rtol=1e-5, atol=1e-6), (
        "the gradient of dropout_keep should be the upstream gradient times the mask")
    assert abs(same_p - 0.7) < 1e-9, (
        f"same_p = {same_p}: dropout_keep(x, 0.3) keeps 30% of the units, and nn.Dropout(p) "
        "drops a fraction p of them")
    passed("dropout_keep keeps a fraction p_keep, scales the survivors by 1/p_keep, draws a "
           "fresh mask each call and passes the mask back in its gradient; with p_keep = 0.3 "
           "it is nn.Dropout(p=0.7)")


def mc_dropout(mc_dropout, passes=400, reference_passes=2000, tolerance=0.1):
    """``mc_dropout(model, x, passes)`` is the mean of the softmax probabilities of
    ``passes`` training-mode forward passes, and leaves the model in evaluation mode."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
    x = mg.randn(30, 2) * 10  # far out, where the passes disagree most
    with mg.no_grad():
        model.eval()
        in_evaluation = F.softmax(model(x), dim=1).numpy()
        model.train()
        reference = np.mean([F.softmax(model(x), dim=1).numpy()
                             for _ in range(reference_passes)], axis=0)
    # NOTE: the premise of the check: here evaluation mode is far from the Monte Carlo
    # average, so an answer that forgets to switch dropout on cannot pass
    evaluation_gap = np.abs(in_evaluation - reference).max()
    assert evaluation_gap > 2 * tolerance, f"check's own network is unsuitable ({evaluation_gap})"

    model.eval()  # handed over in evaluation mode: mc_dropout has to switch dropout on
    answer = None if mc_dropout is ... else mc_dropout(model, x, passes)
    if unanswered(... if answer is None else answer):
        return
    probabilities = _as_array(answer, "mc_dropout")
    assert probabilities.shape == (30, 3), (
        f"for 30 inputs and 3 classes the result should be (30, 3), got {probabilities.shape}")
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4), (
        "each row should be class probabilities that sum to 1 (average softmax outputs)")
    assert not model.training, "leave the model in evaluation mode when mc_dropout returns"
    error = np.abs(probabilities - reference).max()
    assert error < tolerance, (
        f"mc_dropout differs from a {reference_passes}-pass average by up to {error:.3f} "
        f"(evaluation mode differs by {evaluation_gap:.3f}): are the passes in training "
        "mode, and are you averaging probabilities rather than logits?")
    passed(f"mc_dropout is within {error:.3f} of a {reference_passes}-pass average, and the "
           "model is back in evaluation mode")
