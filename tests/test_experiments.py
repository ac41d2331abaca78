"""The Pascanu et al. (2013) experiments on tiny configurations: gradients vanish or explode
with the spectral radius, the cliff is a jump that clipping steps over safely, notebook 02's
RNN counts its explosions, the temporal-order data is what the task says, training runs,
and the commands write their plots."""

import importlib.util
import math
import statistics

import pytest

import minigrad as mg
from minigrad.experiments import cliff, exploding, temporal_order

needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="the plots need matplotlib: "
                                             "pip install 'minigrad[demo]'")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_gradient_vanishes_below_radius_one_and_explodes_above():
    norms = exploding.gradient_norms(radii=(0.8, 1.2), lengths=(5, 40))
    assert norms[0.8][1] / norms[0.8][0] < 1
    assert norms[1.2][1] / norms[1.2][0] > 1
    # in tanh's linear regime the norm is radius ** length (an orthogonal matrix's stretch)
    assert norms[0.8][0] == pytest.approx(0.8 ** 5, rel=1e-3)


def test_cliff_loss_surface_has_a_jump_on_the_predicted_wall():
    w, b, losses = cliff.loss_surface(points=(81, 65))
    steps = [(abs(row[i + 1] - row[i]), j, i) for j, row in enumerate(losses)
             for i in range(len(row) - 1)]
    jump, j, i = max(steps)
    assert jump > 30 * statistics.median(s for s, _, _ in steps)
    wall_b = [cliff.H0 - x / (1 + math.exp(-cliff.H0)) for x in (w[i], w[i + 1])]
    assert min(wall_b) <= b[j] <= max(wall_b), "the largest jump is not on the wall"


def test_clipping_bounds_every_step_and_plain_descent_is_thrown():
    plain, clipped = cliff.compare(steps=15)
    assert max(plain.jumps) > 10
    assert max(clipped.jumps) <= cliff.LR * cliff.MAX_NORM + 1e-6
    assert len(clipped.path) == len(clipped.losses) == 16


def test_remember_first_has_the_lessons_size_and_a_scaled_orthogonal_recurrence():
    model = exploding.RememberFirst(hidden=8, radius=1.5)
    assert sum(p.numel() for p in exploding.RememberFirst().parameters()) == 1153
    w = model.rnn.weight_hh_l0.double()
    product = (w @ w.transpose(0, 1)).tolist()
    for i, row in enumerate(product):
        for j, value in enumerate(row):
            assert value == pytest.approx(2.25 if i == j else 0.0, abs=1e-5)
    assert tuple(model(mg.randn(5, 3, 1)).shape) == (3, 1)


def test_a_run_explodes_past_the_factor_or_when_not_finite():
    limit = exploding.EXPLODE_FACTOR * 2.0
    calm = exploding.Run([4.0] * 30, [2.0, limit, 1.0] + [1.0] * 27)
    assert not calm.exploded and calm.exploded_at is None
    assert calm.growth == pytest.approx(exploding.EXPLODE_FACTOR)
    assert calm.final_loss == pytest.approx(4.0)
    wild = exploding.Run([1.0, 1.0, 1.0], [2.0, 3.0, limit * 1.01])
    assert wild.exploded and wild.exploded_at == 2 and wild.finite
    stopped = exploding.Run([1.0, math.nan], [2.0, 3.0])
    assert stopped.exploded_at == 1 and stopped.growth == math.inf
    assert stopped.final_loss == math.inf


def test_training_shares_the_start_clips_and_stops_at_the_first_overflow():
    plain = exploding.train_remember_first(0, None, steps=2, length=10)
    clipped = exploding.train_remember_first(0, 0.5, steps=2, length=10)
    assert plain.grad_norms[0] == clipped.grad_norms[0] > 0.5   # same weights, same batch
    assert plain.losses[0] == clipped.losses[0] and plain.losses[1] != clipped.losses[1]
    calls = []

    def counting_step(loss, parameters, optimizer):
        calls.append(len(parameters))
        optimizer.zero_grad()
        loss.backward()
        return 1.0

    run = exploding.train_remember_first(0, steps=3, length=5, step=counting_step)
    assert calls == [4 + 2] * 3 and run.grad_norms == [1.0] * 3
    blown = exploding.train_remember_first(0, None, steps=40, lr=1e3, length=10)
    assert not blown.finite and len(blown.losses) < 40
    assert all(math.isfinite(n) for n in blown.grad_norms[:-1] + blown.losses[:-1])


def test_temporal_order_batches_hold_two_relevant_symbols_in_their_windows():
    length, size = 30, 200
    batch = temporal_order.make_batch(length, size)
    assert tuple(batch.x.shape) == (length, size, 6)
    assert batch.x.argmax(dim=2).tolist() == batch.symbols.tolist()
    first, second = temporal_order.windows(length)
    columns = list(zip(*batch.symbols.tolist()))
    for sequence, label in zip(columns, batch.labels.tolist()):
        relevant = [t for t, s in enumerate(sequence) if s < 2]   # A is 0, B is 1
        assert len(relevant) == 2, sequence
        assert first[0] <= relevant[0] <= first[1]
        assert second[0] <= relevant[1] <= second[1]
        order = "".join(temporal_order.SYMBOLS[sequence[t]] for t in relevant)
        assert temporal_order.CLASSES[label] == order
    assert set(batch.labels.tolist()) == {0, 1, 2, 3}


def test_tiny_training_runs_give_a_row_per_config_and_clipping_holds():
    runs = temporal_order.run_all(lengths=(10,), seeds=(0, 1), steps=6)
    assert [(r.length, r.seed, r.max_norm) for r in runs] == [
        (10, 0, None), (10, 0, 1.0), (10, 1, None), (10, 1, 1.0)]
    for run in runs:
        assert len(run.row()) == len(temporal_order.TABLE_HEADERS)
        assert run.steps == len(run.grad_norms) == len(run.step_norms) == 6
        assert 0.0 <= run.error <= 1.0
    for run in runs[1::2]:
        assert all(n <= 1.0 + 1e-6 for n in run.step_norms)
    plain = runs[0]
    assert plain.grad_norms == plain.step_norms


def _assert_png(path):
    assert path.exists(), f"no plot at {path}"
    assert path.read_bytes().startswith(PNG_SIGNATURE)


@needs_matplotlib
def test_exploding_main_writes_both_plots(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(exploding, "LENGTHS", (5, 10))
    monkeypatch.setattr(cliff, "STEPS", 12)
    assert exploding.main(["--output", str(tmp_path), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "radius 1.2" in out and "clipped at 1" in out
    _assert_png(tmp_path / "gradient_norms.png")
    _assert_png(tmp_path / "cliff.png")


@needs_matplotlib
def test_temporal_order_main_writes_the_norm_plot(tmp_path, capsys):
    args = ["--output", str(tmp_path), "--lengths", "10", "--seeds", "0", "--steps", "4",
            "--workers", "1"]
    assert temporal_order.main(args) == 0
    assert "test err %" in capsys.readouterr().out
    _assert_png(tmp_path / "temporal_order_grad_norms.png")
