"""Shared fixtures: every test starts from the same seed, grad mode on, NumPy backend; the
``backend`` fixture runs a test once per backend, skipping (visibly, with the install hint)
those this machine cannot use; ``marker`` proves whether a checkpoint loader ran code."""

import pickle

import pytest
from checkpoint_helpers import Payload

import minigrad as mg
from minigrad.backends import _CLASSES, available_backends

USABLE = available_backends()
BACKENDS = [
    pytest.param(name, id=name, marks=pytest.mark.skipif(
        name not in USABLE, reason=f"{name} backend not usable here: {cls.install_hint}"))
    for name, cls in _CLASSES.items()
]


@pytest.fixture(autouse=True)
def _fresh_state():
    mg.manual_seed(0)
    mg.set_default_backend("numpy")
    with mg.enable_grad():
        yield


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    """The backend under test, made the default; Numba's compiled routines are forced on
    even for the tiny tensors tests use, so they are what gets checked."""
    if request.param == "numba" and "numba" in USABLE:
        from minigrad.backends.numba_kernels import fused

        monkeypatch.setattr(fused, "ROUTINE_MIN", 0)
    mg.set_default_backend(request.param)
    mg.manual_seed(0)
    return request.param


@pytest.fixture
def marker(tmp_path):
    """A path a live pickle payload (``Payload(marker)``) would create: its absence after a
    load means the loader never ran the file's code."""
    path = tmp_path / "pwned"
    pickle.loads(pickle.dumps(Payload(path))).close()  # the payload is live...
    assert path.exists()
    path.unlink()  # ...so its absence after a load means it never ran
    yield path
    assert not path.exists(), "loading the file executed code"
