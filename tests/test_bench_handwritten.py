"""The hand-written NumPy networks of ``bench/`` compute what minigrad computes: from the same
weights, batch and dropout masks, training steps give the same losses, updates and running
statistics as minigrad's NumPy backend. (Their speed is measured in ``bench/``, never here.)"""

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import handwritten  # noqa: E402
import workloads  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad.backends import get_backend  # noqa: E402


def _mask_source(masks):
    """A ``dropout_mask(shape, p, dtype)`` that hands out ``masks`` in order."""
    pending = list(masks)

    def draw(shape, p, dtype):
        mask = pending.pop(0)
        assert mask.shape == tuple(shape) and mask.dtype == dtype
        return mask.copy()

    return draw


def _masks(training, steps):
    """The masks ``steps`` training steps draw, in order (one per Dropout per step)."""
    rng = np.random.default_rng(5)
    dropouts, width = [], None
    for kind, *args in training.layers:
        if kind == "linear":
            width = args[1]
        elif kind == "dropout":
            dropouts.append(((training.batch, width), args[0]))
    return [handwritten.dropout_mask(rng, shape, p, np.dtype(training.dtype))
            for _ in range(steps) for shape, p in dropouts]


# StepLR with step_size=1 makes the second step use the decayed lr, with the momentum buffer
# of the first: every piece of the step is exercised within two steps. In float64 the two
# agree to ~1e-12, so tight tolerances catch any wrong term; the benchmark's float32 runs
# are checked too, as far as float32 rounding of the weights lets an update be compared.
W1_TWO_STEPS = dataclasses.replace(workloads.W1, step_size=1)
W6_SMALL = dataclasses.replace(workloads.W6, batch=8, dtype="float64")  # the LeNet, 8 images
TRAININGS = [
    pytest.param(dataclasses.replace(W1_TWO_STEPS, dtype="float64"), 1e-9, id="W1-float64"),
    pytest.param(dataclasses.replace(workloads.W2, dtype="float64"), 1e-9, id="W2-float64"),
    pytest.param(W1_TWO_STEPS, 5e-3, id="W1-float32"),
    pytest.param(W6_SMALL, 1e-9, id="W6-float64"),
]


@pytest.mark.parametrize("training, rtol", TRAININGS)
def test_two_steps_match_minigrad(training, rtol, monkeypatch):
    steps = 2
    masks = _masks(training, steps)
    monkeypatch.setattr(get_backend("numpy"), "dropout_mask", _mask_source(masks))
    model, framework_step = workloads.framework_trainer(mg, training, "numpy")
    network, handwritten_step = workloads.handwritten_trainer(training, _mask_source(masks))
    start = workloads.initial_state(training.layers, training.dtype)
    for _ in range(steps):
        expected, got = float(framework_step().item()), float(handwritten_step())
        np.testing.assert_allclose(got, expected, rtol=rtol)
    framework_state, state = model.state_dict(), network.state_dict()
    # NOTE: the updates, not the weights: an update is ~1e-3 of its weight, so a wrong
    # gradient would hide inside any tolerance on the weights themselves
    updates = {name: (state[name] - start[name], framework_state[name] - start[name])
               for name in start}
    scale = max(np.abs(expected).max() for _, expected in updates.values())
    assert scale > 0
    for name, (update, expected) in updates.items():
        # (the bias of a Linear followed by BatchNorm has a zero gradient: atol is for it)
        np.testing.assert_allclose(update, expected, rtol=rtol, atol=rtol * scale, err_msg=name)
    for name in state.keys() - start.keys():
        np.testing.assert_allclose(state[name], framework_state[name], rtol=rtol, err_msg=name)


@pytest.mark.parametrize("training", [dataclasses.replace(workloads.W1, dtype="float64"),
                                      W6_SMALL], ids=["W1", "W6"])
def test_gradients_before_clipping_match_minigrad(training, monkeypatch):
    """Clipping rescales all gradients alike, which the steps above cannot see: so compare
    the raw gradients too (and check that the first step does clip)."""
    masks = _masks(training, 1)
    monkeypatch.setattr(get_backend("numpy"), "dropout_mask", _mask_source(masks))
    model, _ = workloads.framework_trainer(mg, training, "numpy")
    network, _ = workloads.handwritten_trainer(training, _mask_source(masks))
    x, labels = workloads.batch(training)
    loss = mg.nn.functional.cross_entropy(model(mg.tensor(x, dtype=mg.float64)),
                                          mg.tensor(labels))
    loss.backward()
    handwritten_loss, g_logits = handwritten.cross_entropy(network.forward(x), labels)
    grads = network.backward(g_logits)
    np.testing.assert_allclose(handwritten_loss, loss.item(), rtol=1e-12)
    scale = max(np.abs(g).max() for g in grads)  # (atol for the biases followed by BatchNorm)
    for (name, param), g in zip(model.named_parameters(), grads, strict=True):
        np.testing.assert_allclose(g, param.grad.numpy(), rtol=1e-9, atol=1e-9 * scale,
                                   err_msg=name)
    assert handwritten.clip_grad_norm_(grads, training.max_norm) > training.max_norm


def test_dropout_mask_is_minigrads_numpy_draw():
    backend = get_backend("numpy")
    backend.manual_seed(7)
    expected = backend.dropout_mask((64, 32), 0.2, np.float32)
    got = handwritten.dropout_mask(backend.new_generator(7), (64, 32), 0.2, np.float32)
    np.testing.assert_array_equal(got, expected)
