"""``minigrad demo``: trains the digits MLP to high accuracy, writes its plot, and explains
how to install what it needs when a demo dependency is missing."""

import re
import subprocess
import sys

import numpy as np
import pytest

from minigrad import demo
from minigrad.__main__ import main

pytest.importorskip("sklearn", reason=f"the demo needs {demo.DEMO_EXTRA}")
pytest.importorskip("matplotlib", reason=f"the demo needs {demo.DEMO_EXTRA}")
pytest.importorskip("tqdm", reason=f"the demo needs {demo.DEMO_EXTRA}")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_plot(path):
    assert path.exists(), f"no plot at {path}"
    content = path.read_bytes()
    assert content.startswith(PNG_SIGNATURE)
    assert len(content) > 10_000, f"the plot is only {len(content)} bytes"


def test_demo_command_reaches_95_percent_and_writes_the_plot(tmp_path, capsys):
    output = tmp_path / "demo.png"
    assert main(["demo", "--epochs", "20", "--output", str(output)]) == 0
    out = capsys.readouterr().out
    found = re.search(r"test accuracy: ([\d.]+)% on (\d+) held-out digits", out)
    assert found, out
    assert float(found.group(1)) >= 95.0, out
    assert int(found.group(2)) == 359
    assert str(output) in out
    assert_plot(output)


@pytest.fixture(scope="module")
def history():
    _, test_accuracy, history = demo.train(epochs=2)
    assert 0.0 <= test_accuracy <= 1.0
    return history


def test_train_records_one_loss_lr_and_grad_norm_per_step(history):
    steps_per_epoch = (1797 - history["test_size"]) // 64  # drop_last batches of 64
    for key in ("loss", "lr", "grad_norm"):
        assert len(history[key]) == 2 * steps_per_epoch, key
        assert all(np.isfinite(history[key])), key
    assert np.mean(history["loss"][-5:]) < np.mean(history["loss"][:5])


def test_one_cycle_schedule_rises_then_falls(history):
    lr = np.array(history["lr"])
    peak = int(np.argmax(lr))
    assert 0 < peak < len(lr) - 1
    assert np.all(np.diff(lr[:peak + 1]) >= 0) and np.all(np.diff(lr[peak:]) <= 0)
    assert lr[peak] == pytest.approx(0.2, rel=0.01)  # the peak falls between two steps
    assert lr[0] == pytest.approx(0.2 / 25)  # OneCycleLR's default div_factor
    assert lr[-1] < lr[0] / 100


def test_gradient_clipping_acts_on_some_steps(history):
    norms = np.array(history["grad_norm"])
    assert np.any(norms > 1.0)
    assert np.all(norms > 0.0)


def test_missing_tqdm_prints_the_install_hint(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    output = tmp_path / "demo.png"
    assert main(["demo", "--epochs", "1", "--output", str(output)]) == 1
    out = capsys.readouterr().out
    assert "tqdm" in out and "minigrad[demo]" in out
    assert not output.exists()


def test_demo_runs_as_a_module(tmp_path):
    output = tmp_path / "demo.png"
    result = subprocess.run([sys.executable, "-m", "minigrad", "demo", "--epochs", "3",
                             "--output", str(output)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "test accuracy:" in result.stdout
    assert_plot(output)
