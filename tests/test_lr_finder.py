"""mg.diagnostics.lr_find: the rates it tries, when it stops, what it suggests, and that the
model, optimizer, gradients and random generator come back exactly as they were."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.diagnostics import LearningRates, lr_find
from minigrad.diagnostics.lr_finder import SUGGESTION_RULE, LRFinderResult
from minigrad.nn import functional as F


def _regression(seed=0, batches=4):
    mg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(16, 1))
    w = mg.randn(5, 1)
    data = []
    for _ in range(batches):
        x = mg.randn(32, 5)
        data.append((x, x @ w + 0.1 * mg.randn(32, 1)))
    return model, data


def _linear(seed=0):
    """A noiseless linear fit: the loss falls by far before the rate gets too large."""
    mg.manual_seed(seed)
    model, x = nn.Linear(8, 1), mg.randn(64, 8)
    return model, [(x, x @ mg.randn(8, 1))]


# NOTE: tests that try only small rates see the loss barely move, which lr_find warns about
SMALL_RATES = pytest.mark.filterwarnings("ignore:lr_find. the loss was lowest at the first")


def _arrays_equal(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@SMALL_RATES
def test_restores_model_optimizer_gradients_and_generator_exactly():
    model, data = _regression()
    optimizer = mg.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    for x, y in data[:2]:  # some Adam state and BatchNorm statistics to restore
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()
    model_before, optimizer_before = model.state_dict(), optimizer.state_dict()
    grads_before = [p.grad.numpy().copy() for p in model.parameters()]
    rng_before = mg.backends.get_rng_state()

    result = lr_find(model, optimizer, F.mse_loss, data, num_steps=30, end_lr=1.0)

    assert len(result.lrs) >= 10  # it did train, so there was something to undo
    assert _arrays_equal(model.state_dict(), model_before)
    after = optimizer.state_dict()
    assert after["param_groups"] == optimizer_before["param_groups"]
    assert after["state"].keys() == optimizer_before["state"].keys()
    for index, state in after["state"].items():
        assert state.keys() == optimizer_before["state"][index].keys()
        for name, value in state.items():
            assert np.array_equal(value, optimizer_before["state"][index][name]), (index, name)
    assert optimizer.param_groups[0]["lr"] == 3e-3
    for p, grad in zip(model.parameters(), grads_before):
        assert np.array_equal(p.grad.numpy(), grad)
    drawn = mg.randn(3).numpy()
    mg.backends.set_rng_state(rng_before)
    assert np.array_equal(drawn, mg.randn(3).numpy())


def test_training_after_the_test_is_training_without_it():
    def three_steps(run_finder):
        model, data = _regression(seed=1)
        optimizer = mg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        if run_finder:
            lr_find(model, optimizer, F.mse_loss, data, num_steps=20)
        for x, y in data[:3]:
            optimizer.zero_grad()
            F.mse_loss(model(x), y).backward()
            optimizer.step()
        return model.state_dict()

    assert _arrays_equal(three_steps(True), three_steps(False))


@SMALL_RATES
def test_rates_are_geometric_and_are_the_ones_the_optimizer_used():
    model, data = _regression()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    used = LearningRates(optimizer)
    result = lr_find(model, optimizer, F.mse_loss, data, start_lr=1e-5, end_lr=1e-2,
                     num_steps=25, diverge_factor=1e9)
    used.remove()
    assert not result.diverged and len(result.lrs) == 25
    assert result.lrs[0] == pytest.approx(1e-5, rel=1e-12)
    assert result.lrs[-1] == pytest.approx(1e-2, rel=1e-12)
    ratios = [b / a for a, b in zip(result.lrs, result.lrs[1:])]
    assert ratios == pytest.approx([1e3 ** (1 / 24)] * 24, rel=1e-12)
    assert used.history["lr"][0] == result.lrs


def test_stops_once_the_loss_exceeds_diverge_factor_times_the_best():
    model, data = _regression()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    result = lr_find(model, optimizer, F.mse_loss, data, start_lr=1e-4, end_lr=1e4,
                     num_steps=200, diverge_factor=4)
    assert result.diverged and len(result.lrs) < 200
    *before, last = result.losses
    assert not math.isfinite(last) or last > 4 * min(before)
    best_so_far = [min(result.losses[:i + 1]) for i in range(len(before))]
    assert all(loss <= 4 * best for loss, best in zip(before, best_so_far))
    assert all(math.isfinite(loss) for loss in before)


@SMALL_RATES
def test_smoothing_is_a_bias_corrected_moving_average_of_the_raw_losses():
    model, data = _regression()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    raw = lr_find(model, optimizer, F.mse_loss, data, num_steps=12, smooth=1.0,
                  diverge_factor=1e9)
    assert raw.losses == raw.raw_losses
    smoothed = lr_find(model, optimizer, F.mse_loss, data, num_steps=12, smooth=0.3,
                       diverge_factor=1e9)
    assert smoothed.raw_losses == raw.raw_losses  # restored state: the same twelve steps
    expected = []
    for step in range(12):  # weights 0.3 * 0.7**age, divided by their sum
        weights = [0.3 * 0.7 ** (step - i) for i in range(step + 1)]
        total = sum(w * loss for w, loss in zip(weights, raw.raw_losses))
        expected.append(total / sum(weights))
    assert smoothed.losses == pytest.approx(expected, rel=1e-12)


def test_suggestion_is_a_tenth_of_the_rate_at_the_lowest_smoothed_loss():
    result = LRFinderResult([1e-3, 1e-2, 1e-1, 1.0, 10.0], [5.0, 4.0, 1.0, 2.0, 30.0],
                            [5.0, 4.0, 1.0, 2.0, 30.0], diverged=True, diverge_factor=4)
    assert result.lr_at_min == 1e-1 and result.suggestion == pytest.approx(1e-2)
    assert "a tenth" in SUGGESTION_RULE and "suggestion 0.01" in repr(result)

    model, data = _linear()
    real = lr_find(model, mg.optim.SGD(model.parameters(), lr=0.1), F.mse_loss, data,
                   start_lr=1e-4, end_lr=1e2, num_steps=60)
    lowest = min(range(len(real.losses)), key=real.losses.__getitem__)
    assert 0 < lowest < len(real.losses) - 1  # the loss fell, then rose again
    assert real.losses[lowest] < real.losses[0] / 2 and real.diverged
    assert real.suggestion == pytest.approx(real.lrs[lowest] / 10, rel=1e-12)


def test_a_loss_lowest_at_the_first_rate_warns_that_the_range_starts_too_high():
    with pytest.warns(UserWarning, match="lr_find: the loss was lowest at the first rate"):
        LRFinderResult([1.0, 10.0], [1.0, 9.0], [1.0, 9.0], diverged=True, diverge_factor=4)


@SMALL_RATES
def test_short_batches_are_cycled_and_a_one_shot_iterator_replayed():
    model, data = _regression(batches=3)
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    seen = []

    def loss_fn(output, target):
        seen.append(next(i for i, (_, y) in enumerate(data) if y is target))
        return F.mse_loss(output, target)

    lr_find(model, optimizer, loss_fn, data, end_lr=1e-3, num_steps=8, diverge_factor=1e9)
    assert seen == [0, 1, 2, 0, 1, 2, 0, 1]
    seen.clear()
    lr_find(model, optimizer, loss_fn, iter(data), end_lr=1e-3, num_steps=7,
            diverge_factor=1e9)
    assert seen == [0, 1, 2, 0, 1, 2, 0]


@pytest.mark.parametrize("arguments, named", [
    ({"start_lr": 0}, "start_lr"), ({"start_lr": -1e-3}, "start_lr"),
    ({"start_lr": 1.0, "end_lr": 0.5}, "end_lr"), ({"end_lr": math.inf}, "end_lr"),
    ({"num_steps": 1}, "num_steps"), ({"num_steps": 10.0}, "num_steps"),
    ({"smooth": 0}, "smooth"), ({"smooth": 1.5}, "smooth"),
    ({"diverge_factor": 1}, "diverge_factor"), ({"diverge_factor": math.nan}, "diverge_factor"),
])
def test_bad_arguments_name_the_function_and_the_argument(arguments, named):
    model, data = _regression()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=rf"^lr_find: {named} must be"):
        lr_find(model, optimizer, F.mse_loss, data, **arguments)


def test_no_batches_and_no_loss_function_are_refused_and_leave_the_model_alone():
    model, data = _regression()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    before = model.state_dict()
    with pytest.raises(ValueError, match="^lr_find: batches is empty"):
        lr_find(model, optimizer, F.mse_loss, [])
    with pytest.raises(TypeError, match="^lr_find: loss_fn must be callable"):
        lr_find(model, optimizer, "mse", data)
    assert _arrays_equal(model.state_dict(), before)


def test_a_failing_step_still_restores_the_model():
    model, data = _regression()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    before, calls = model.state_dict(), []

    def loss_fn(output, target):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("boom")
        return F.mse_loss(output, target)

    with pytest.raises(RuntimeError, match="boom"):
        lr_find(model, optimizer, loss_fn, data, num_steps=20)
    assert _arrays_equal(model.state_dict(), before)
    assert optimizer.param_groups[0]["lr"] == 0.1


def test_plot_uses_a_log_rate_axis_and_marks_the_suggestion():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model, data = _linear()
    result = lr_find(model, mg.optim.SGD(model.parameters(), lr=0.1), F.mse_loss, data,
                     start_lr=1e-4, end_lr=1e2, num_steps=60)
    figure, ax = plt.subplots()
    assert result.plot(ax=ax) is ax
    assert ax.get_xscale() == "log" and ax.get_xlabel() and ax.get_ylabel()
    vertical = [line for line in ax.lines if len(set(line.get_xdata())) == 1]
    assert any(line.get_xdata()[0] == result.suggestion for line in vertical)
    assert any("suggestion" in text.get_text() for text in ax.get_legend().get_texts())
    plt.close(figure)
