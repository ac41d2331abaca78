"""House rules that keep the project carryable: NumPy only behind the backend interface,
and the README's commands are the ones CI runs."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minigrad"
NUMPY_IMPORT = re.compile(r"^\s*(import numpy|from numpy)", re.MULTILINE)
# the backend layer, and the host-side data package (datasets, loader, checkpoint files),
# are the only places that may name NumPy
ALLOWED = {PACKAGE / "backends", PACKAGE / "data"}


def test_numpy_is_imported_only_by_the_backend_layer_and_host_data():
    offenders = [
        str(path.relative_to(ROOT)) for path in PACKAGE.rglob("*.py")
        if NUMPY_IMPORT.search(path.read_text())
        and not any(parent in ALLOWED for parent in path.parents)
    ]
    assert offenders == []


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    assert "python -m minigrad demo" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    assert _readme_commands()[1] in (ROOT / ".ci" / "run").read_text()
