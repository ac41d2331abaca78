"""mg.diagnostics: what each recorder records, that clipping and schedules show up in it,
and that nothing runs once a recorder is removed."""

import math

import pytest

import minigrad as mg
from minigrad import nn
from minigrad.diagnostics import (
    ActivationStats,
    GradientNorms,
    LearningRates,
    schedule_preview,
    sweep,
)
from minigrad.nn.utils import clip_grad


def _setup():
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(),
                          nn.Linear(8, 2))
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, optimizer, mg.randn(16, 6) * 3, mg.randn(16, 2)


def _train(model, optimizer, x, y, steps, max_norm=None):
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        if max_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()


def test_gradient_norms_per_parameter_layer_and_total_before_and_after_clipping():
    model, optimizer, x, y = _setup()
    norms = GradientNorms(model, optimizer)
    _train(model, optimizer, x, y, steps=6, max_norm=0.1)
    history = norms.history
    assert set(history["layers"]) == {"0", "2", "4"}
    assert all(len(v) == 6 for v in history["params"].values())
    assert len(history["total_before_clip"]) == 6 and norms.clip_fraction == 1.0
    for before, after in zip(history["total_before_clip"], history["total"]):
        assert after == pytest.approx(0.1, rel=1e-4) and before > after
    layer0 = math.hypot(history["params"]["0.weight"][0], history["params"]["0.bias"][0])
    assert history["layers"]["0"][0] == pytest.approx(layer0, rel=1e-6)


def test_removed_recorders_record_nothing_more():
    model, optimizer, x, y = _setup()
    norms, rates = GradientNorms(model, optimizer), LearningRates(optimizer)
    _train(model, optimizer, x, y, steps=2, max_norm=1.0)
    norms.remove()
    rates.remove()
    _train(model, optimizer, x, y, steps=3, max_norm=1.0)
    assert len(norms.history["total"]) == 2 and len(rates.history["lr"][0]) == 2
    assert norms._on_clip not in clip_grad.observers


def test_activation_stats_saturation_and_dead_units():
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU())
    with mg.no_grad():
        model[0].weight.mul_(50.0)  # drive tanh into saturation
        model[2].bias.fill_(-100.0)  # every ReLU unit dead
    stats = ActivationStats(model, keep_values=True, sample_size=10)
    model(mg.randn(32, 4))
    tanh, relu = stats.history["1 (Tanh)"], stats.history["3 (ReLU)"]
    assert tanh["saturated"][0] > 0.8 and relu["dead"][0] == 1.0
    assert len(tanh["values"][0]) >= 10
    model.eval()
    model(mg.randn(32, 4))
    assert len(tanh["mean"]) == 1  # evaluation passes are not recorded


def test_learning_rates_follow_the_scheduler_and_cycled_momentum():
    model, optimizer, x, y = _setup()
    scheduler = mg.optim.lr_scheduler.CyclicLR(optimizer, 0.01, 0.1, step_size_up=2)
    rates = LearningRates(optimizer)
    for _ in range(4):
        _train(model, optimizer, x, y, steps=1)
        scheduler.step()
    # the rate each optimizer step used (the scheduler moves it on after the step)
    assert rates.history["lr"][0] == pytest.approx([0.01, 0.055, 0.1, 0.055])
    assert rates.history["momentum"][0] == pytest.approx([0.9, 0.85, 0.8, 0.85])


def test_schedule_preview_matches_a_real_run():
    def make(opt):
        return mg.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    curve = schedule_preview(make, steps=7, lr=1.0)["lr"]
    assert curve == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


def test_sweep_runs_every_combination():
    rows = sweep(lambda a, b: {"total": a + b}, {"a": [1, 2], "b": [10, 20]}, progress=False)
    assert [(r["a"], r["b"], r["total"]) for r in rows] == [
        (1, 10, 11), (1, 20, 21), (2, 10, 12), (2, 20, 22)]


def test_plots_draw_on_given_axes():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model, optimizer, x, y = _setup()
    norms, stats, rates = GradientNorms(model, optimizer), ActivationStats(model), \
        LearningRates(optimizer)
    _train(model, optimizer, x, y, steps=3, max_norm=0.5)
    figure, axes = plt.subplots(1, 3)
    assert norms.plot(ax=axes[0]) is axes[0]
    assert stats.plot("std", ax=axes[1]) is axes[1]
    assert rates.plot(ax=axes[2], momentum=True) is axes[2]
    assert len(axes[0].lines) >= 4
    plt.close(figure)


def test_schedule_preview_drives_a_plateau_scheduler_with_metrics():
    def make(opt):
        return mg.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    curve = schedule_preview(make, steps=6, lr=1.0, metrics=[3, 2, 2, 2, 2, 2])["lr"]
    assert curve == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
