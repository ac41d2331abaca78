"""``python -m minigrad gradcheck``: one row per op and backend, non-zero exit on failure."""

import subprocess
import sys

import pytest

from minigrad.__main__ import main
from minigrad.backends import available_backends
from minigrad.ops.elementwise import Exp


def test_gradcheck_command_prints_a_row_per_op_and_passes(capsys):
    assert main(["gradcheck", "--op", "add", "--op", "exp", "--backend", "numpy"]) == 0
    out = capsys.readouterr().out
    assert "max abs err" in out
    rows = [line.split() for line in out.splitlines() if line.startswith(("add ", "exp "))]
    assert [r[0] for r in rows] == ["add", "exp"] and all(r[-1] == "ok" for r in rows)
    assert "2 of 2 checks passed" in out


def test_gradcheck_command_covers_every_available_backend(capsys):
    assert main(["gradcheck", "--op", "relu"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()
            if line.startswith("relu ")]
    assert [r[1] for r in rows] == available_backends()


def test_gradcheck_command_fails_on_a_wrong_backward(capsys, monkeypatch):
    monkeypatch.setattr(Exp, "backward", staticmethod(lambda ctx, g: g))  # d/dx exp(x) != 1
    assert main(["gradcheck", "--op", "exp", "--backend", "numpy"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "exp on numpy" in out and "gradient mismatch" in out


def test_unknown_op_is_reported():
    with pytest.raises(ValueError, match="no registered op named"):
        main(["gradcheck", "--op", "nonsense"])


def test_module_runs_as_a_script():
    result = subprocess.run([sys.executable, "-m", "minigrad", "gradcheck", "--op", "relu",
                             "--backend", "numpy"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "relu" in result.stdout
