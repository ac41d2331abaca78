"""mg.diagnostics after makemore part 3: LayerHistograms, GradientDataRatios, UpdateRatios and
initial_loss_check, each against values computed here with NumPy on a tiny model."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.diagnostics import (
    GradientDataRatios,
    LayerHistograms,
    UpdateRatios,
    initial_loss_check,
)


def _tiny():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    with mg.no_grad():
        model[0].weight.mul_(4.0)  # some tanh units saturate
    return model, mg.randn(8, 4), mg.randn(8, 3)


def _reference(model, x, c):
    """Forward and backward of loss = sum(model(x) * c) by hand."""
    w1, b1 = model[0].weight.numpy(), model[0].bias.numpy()
    w2 = model[2].weight.numpy()
    z = x.numpy() @ w1.T + b1
    t = np.tanh(z)
    g_t = c.numpy() @ w2
    return {"z": z, "t": t, "out": t @ w2.T + model[2].bias.numpy(),
            "g_out": c.numpy(), "g_t": g_t, "g_z": g_t * (1 - t ** 2)}


def _axes():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, plt.subplots()[1]


def test_layer_histograms_keep_outputs_and_the_gradients_into_them():
    model, x, c = _tiny()
    hist = LayerHistograms(model)
    (model(x) * c).sum().backward()
    ref = _reference(model, x, c)
    acts, grads = hist.history["activations"], hist.history["gradients"]
    assert list(acts) == ["0 (Linear)", "1 (Tanh)", "2 (Linear)"]
    for label, key in [("0 (Linear)", "z"), ("1 (Tanh)", "t"), ("2 (Linear)", "out")]:
        np.testing.assert_allclose(acts[label], ref[key], rtol=1e-5, atol=1e-6)
    for label, key in [("0 (Linear)", "g_z"), ("1 (Tanh)", "g_t"), ("2 (Linear)", "g_out")]:
        np.testing.assert_allclose(grads[label], ref[key], rtol=1e-5, atol=1e-6)


def test_layer_histograms_summary_rows_and_saturation():
    model, x, c = _tiny()
    hist = LayerHistograms(model, types=(nn.Tanh, nn.Linear))
    model(x)
    t = _reference(model, x, c)["t"]
    rows = {row["layer"]: row for row in hist.summary("activations")}
    tanh = rows["1 (Tanh)"]
    assert tanh["mean"] == pytest.approx(t.mean(), abs=1e-6)
    assert tanh["std"] == pytest.approx(t.std(), rel=1e-5)
    assert tanh["saturated"] == pytest.approx((np.abs(t) > 0.97).mean())
    assert 0 < tanh["saturated"] < 1  # the test exercises both sides of the threshold
    assert rows["0 (Linear)"]["saturated"] is None  # unbounded outputs have no saturation
    (model(x) * c).sum().backward()
    g_rows = hist.summary("gradients")
    assert [row["layer"] for row in g_rows] == ["0 (Linear)", "1 (Tanh)", "2 (Linear)"]
    assert g_rows[0]["std"] == pytest.approx(_reference(model, x, c)["g_z"].std(), rel=1e-5)
    assert all(row["saturated"] is None for row in g_rows)


def test_layer_histograms_sigmoid_saturation_uses_the_same_threshold():
    mg.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 50), nn.Sigmoid())
    with mg.no_grad():
        model[0].weight.mul_(10.0)
    hist = LayerHistograms(model, types=(nn.Sigmoid,))
    s = model(mg.randn(20, 3)).numpy()
    (row,) = hist.summary()
    assert row["saturated"] == pytest.approx((np.abs(2 * s - 1) > 0.97).mean())
    assert row["saturated"] > 0.1


def test_layer_histograms_forget_stale_gradients_skip_eval_and_stop_when_removed():
    model, x, c = _tiny()
    hist = LayerHistograms(model, types=(nn.Tanh,))
    (model(x) * c).sum().backward()
    assert "1 (Tanh)" in hist.history["gradients"]
    model(x[:2])  # a new pass: its gradient is not known until its backward
    assert hist.history["gradients"] == {}
    assert hist.history["activations"]["1 (Tanh)"].shape == (2, 5)
    model.eval()
    model(x)
    assert hist.history["activations"]["1 (Tanh)"].shape == (2, 5)
    model.train()
    with mg.no_grad():
        model(x[:3])  # recorded, but no gradient will come
    assert hist.history["activations"]["1 (Tanh)"].shape == (3, 5)
    hist.remove()
    (model(x) * c).sum().backward()
    assert hist.history["activations"]["1 (Tanh)"].shape == (3, 5)
    assert hist.history["gradients"] == {}


def test_layer_histograms_plot_one_labelled_line_per_layer():
    plt, ax = _axes()
    model, x, c = _tiny()
    hist = LayerHistograms(model)
    (model(x) * c).sum().backward()
    for kind in ("activations", "gradients"):
        ax.clear()
        assert hist.plot(kind, ax=ax) is ax
        assert len(ax.lines) == 3 and ax.get_xlabel() and ax.get_ylabel() == "density"
        # input side first, also for the gradients (which backward fills from the output)
        assert [t.get_text().split(":")[0] for t in ax.get_legend().get_texts()] == \
            ["0 (Linear)", "1 (Tanh)", "2 (Linear)"]
        for line in ax.lines:  # each line is a density: it integrates to one
            centers, density = line.get_data()
            assert float(np.sum(density) * (centers[1] - centers[0])) == pytest.approx(1.0)
    ax.clear()
    hist.plot(ax=ax, layers=[0, "2 (Linear)"])
    assert [line.get_label().split(":")[0] for line in ax.lines] == ["0 (Linear)", "2 (Linear)"]
    with pytest.raises(ValueError, match=r"LayerHistograms\.plot: no recorded layers \[7\]"):
        hist.plot(ax=ax, layers=[7])
    plt.close(ax.figure)


def test_layer_histograms_errors_name_the_method():
    model, x, _ = _tiny()
    with pytest.raises(ValueError, match="LayerHistograms: the model has no layers"):
        LayerHistograms(model, types=(nn.ReLU,))
    hist = LayerHistograms(model)
    with pytest.raises(RuntimeError, match=r"LayerHistograms\.summary: no activations"):
        hist.summary()
    with mg.no_grad():
        model(x)
    with pytest.raises(RuntimeError, match=r"LayerHistograms\.plot: no gradients"):
        hist.plot("gradients")
    with pytest.raises(ValueError, match=r"LayerHistograms\.plot: kind must be"):
        hist.plot("weights")
    with pytest.raises(ValueError, match=r"LayerHistograms\.summary: kind must be"):
        hist.summary("grads")


def test_gradient_data_ratios_match_numpy():
    model, x, c = _tiny()
    ratios = GradientDataRatios(model)
    (model(x) * c).sum().backward()
    rows = {row["name"]: row for row in ratios.record()}
    ref = _reference(model, x, c)
    g_w1 = ref["g_z"].T @ x.numpy()
    w1 = model[0].weight.numpy()
    row = rows["0.weight"]
    assert row["shape"] == (5, 4)
    assert row["grad_mean"] == pytest.approx(g_w1.mean(), abs=1e-6)
    assert row["grad_std"] == pytest.approx(g_w1.std(), rel=1e-5)
    assert row["ratio"] == pytest.approx(g_w1.std() / w1.std(), rel=1e-5)
    assert ratios.history["0.weight"] == [row["ratio"]]


def test_gradient_data_ratios_nan_without_gradient_and_per_step_with_an_optimizer():
    model, x, c = _tiny()
    model[2].bias.requires_grad_(False)
    optimizer = mg.optim.SGD(model.parameters(), lr=0.01)
    ratios = GradientDataRatios(model, optimizer)
    for _ in range(3):
        optimizer.zero_grad()
        (model(x) * c).sum().backward()
        optimizer.step()
    assert all(len(v) == 3 for v in ratios.history.values())
    assert all(math.isnan(v) for v in ratios.history["2.bias"])
    ratios.remove()
    optimizer.step()
    assert len(ratios.history["0.weight"]) == 3


def test_gradient_data_ratios_plot_uses_a_log_axis_across_decades():
    plt, ax = _axes()
    model, x, c = _tiny()
    ratios = GradientDataRatios(model)
    with pytest.raises(RuntimeError, match=r"GradientDataRatios\.plot: nothing recorded"):
        ratios.plot(ax=ax)
    (model(x) * c).sum().backward()
    with mg.no_grad():
        model[0].weight.grad.mul_(1e-4)  # one ratio four decades below the others
    ratios.record()
    assert ratios.plot(ax=ax) is ax
    assert ax.get_yscale() == "log" and ax.get_ylabel() and ax.get_xlabel() == "parameter"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.weight", "2.weight"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(),
                               [ratios.history[n][-1] for n in ("0.weight", "2.weight")])
    ax.clear()
    ratios.plot(ax=ax, names=list(ratios.history))
    assert [t.get_text() for t in ax.get_xticklabels()] == list(ratios.history)
    with pytest.raises(ValueError, match=r"GradientDataRatios\.plot: no parameters named"):
        ratios.plot(ax=ax, names=["9.weight"])
    ax.clear()
    for p in model.parameters():
        with mg.no_grad():
            p.grad.copy_(p.detach() * 0.01)  # every ratio exactly 0.01
    ratios.record()
    ratios.plot(ax=ax)
    assert ax.get_yscale() == "linear"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 0.01, rtol=1e-5)
    plt.close(ax.figure)


def _step_and_watch(optimizer_class, steps=3, **options):
    """Train the tiny model, measuring each update here (independently of UpdateRatios)."""
    model, x, c = _tiny()
    optimizer = optimizer_class(model.parameters(), **options)
    ratios = UpdateRatios(model, optimizer)
    expected = {name: [] for name, _ in model.named_parameters()}
    for _ in range(steps):
        optimizer.zero_grad()
        (model(x) * c).sum().backward()
        before = {name: p.numpy().copy() for name, p in model.named_parameters()}
        optimizer.step()
        for name, p in model.named_parameters():
            spread = before[name].std()
            expected[name].append(math.log10((p.numpy() - before[name]).std() / spread)
                                  if spread > 0 else math.nan)
    return model, optimizer, ratios, expected


@pytest.mark.parametrize("optimizer_class, options", [
    (mg.optim.SGD, {"lr": 0.05}), (mg.optim.Adam, {"lr": 0.01})])
def test_update_ratios_match_the_change_each_step_made(optimizer_class, options):
    _, _, ratios, expected = _step_and_watch(optimizer_class, **options)
    for name, values in expected.items():
        np.testing.assert_allclose(ratios.history[name], values, rtol=1e-4, atol=1e-6)
    assert all(len(v) == 3 and all(math.isfinite(r) for r in v)
               for v in ratios.history.values())


def test_update_ratios_of_plain_sgd_are_lr_times_the_gradient_ratio():
    model, x, c = _tiny()
    optimizer = mg.optim.SGD(model.parameters(), lr=1e-3)
    updates, grads = UpdateRatios(model, optimizer), GradientDataRatios(model, optimizer)
    (model(x) * c).sum().backward()
    optimizer.step()
    for name, (value,) in updates.history.items():
        assert value == pytest.approx(math.log10(1e-3 * grads.history[name][0]), abs=1e-4)


def test_update_ratios_zero_spread_frozen_parameters_and_remove():
    model, x, c = _tiny()
    with mg.no_grad():
        model[0].bias.zero_()
    model[2].bias.requires_grad_(False)  # the optimizer skips it: it has no gradient
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    ratios = UpdateRatios(model, optimizer)
    (model(x) * c).sum().backward()
    optimizer.step()
    assert math.isnan(ratios.history["0.bias"][0])
    assert ratios.history["2.bias"] == [-math.inf]
    ratios.remove()
    optimizer.step()
    assert len(ratios.history["0.weight"]) == 1


def test_update_ratios_only_watch_what_the_optimizer_updates_and_refuse_bad_arguments():
    model, _, _ = _tiny()
    ratios = UpdateRatios(model, mg.optim.SGD(model[0].parameters(), lr=0.1))
    assert list(ratios.history) == ["0.weight", "0.bias"]
    with pytest.raises(TypeError, match="UpdateRatios: optimizer must be"):
        UpdateRatios(model, object())
    other = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="UpdateRatios: the optimizer updates none"):
        UpdateRatios(model, mg.optim.SGD(other.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"UpdateRatios\.plot: no parameters named"):
        ratios.plot(names=["2.weight"])


def test_update_ratios_plot_weights_with_the_labelled_guide_line():
    plt, ax = _axes()
    _, _, ratios, _ = _step_and_watch(mg.optim.SGD, lr=0.05)
    assert ratios.plot(ax=ax) is ax
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["0.weight", "2.weight", "1e-3 (rule of thumb)"]
    assert list(ax.lines[-1].get_ydata()) == [-3.0, -3.0]
    assert "log10" in ax.get_ylabel() and ax.get_xlabel() == "step"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), ratios.history["0.weight"])
    plt.close(ax.figure)


def test_many_layers_get_a_colour_ramp_instead_of_repeated_colours():
    plt, ax = _axes()
    model = nn.Sequential(*[nn.Linear(3, 3) for _ in range(12)])
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    updates, hist = UpdateRatios(model, optimizer), LayerHistograms(model)
    model(mg.randn(4, 3)).sum().backward()
    optimizer.step()
    for draw in (updates.plot, hist.plot):
        ax.clear()
        draw(ax=ax)
        colors = [str(line.get_color()) for line in ax.lines[:12]]  # the layers' lines
        assert len(set(colors)) == 12
    plt.close(ax.figure)


def test_initial_loss_check_against_minus_log_one_over_c():
    logits, target = mg.zeros(16, 10), mg.randint(0, 10, (16,))
    uniform = initial_loss_check(nn.functional.cross_entropy(logits, target), num_classes=10)
    assert uniform.ok and bool(uniform) and uniform.advice == ""
    assert uniform.expected == pytest.approx(math.log(10))
    assert uniform.measured == pytest.approx(math.log(10), rel=1e-6)
    assert uniform.ratio == pytest.approx(1.0, rel=1e-6)
    assert "2.3026" in repr(uniform) and repr(uniform).endswith("ok")
    mg.manual_seed(0)
    confident = nn.functional.cross_entropy(mg.randn(16, 10) * 10, target)
    high = initial_loss_check(confident, num_classes=10)
    assert not high.ok and high.ratio > 2
    assert "last layer" in high.advice and "last layer" in repr(high)
    assert not initial_loss_check(0.5, num_classes=10).ok
    assert "below chance" in initial_loss_check(0.5, num_classes=10).advice
    assert initial_loss_check(2.0, 10, tolerance=0.2).ok is True  # 2.0 / 2.303 = 0.87
    assert initial_loss_check(2.0, 10, tolerance=0.1).ok is False
    assert "not finite" in initial_loss_check(math.inf, 10).advice


def test_initial_loss_check_refuses_bad_arguments():
    with pytest.raises(ValueError, match="initial_loss_check: num_classes must be"):
        initial_loss_check(2.3, num_classes=1)
    with pytest.raises(ValueError, match="initial_loss_check: num_classes must be"):
        initial_loss_check(2.3, num_classes=2.5)
    with pytest.raises(ValueError, match="initial_loss_check: tolerance must be"):
        initial_loss_check(2.3, num_classes=10, tolerance=0)
    with pytest.raises(ValueError, match="initial_loss_check: loss must have one element"):
        initial_loss_check(mg.zeros(3), num_classes=10)
    with pytest.raises(TypeError, match="initial_loss_check: loss must be a tensor or a number"):
        initial_loss_check("2.3", num_classes=10)
