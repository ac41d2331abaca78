"""mg.diagnostics.environment(): what a run's numbers depend on, as the notebooks print it."""

import platform

import numpy as np

import minigrad as mg


def test_environment_names_versions_backend_and_blas_threads():
    before = mg.get_num_threads()
    try:
        mg.set_num_threads(1)
        text = mg.diagnostics.environment()
    finally:
        mg.set_num_threads(before)
    assert f"minigrad {mg.__version__}" in text
    assert f"Python {platform.python_version()}" in text and f"NumPy {np.__version__}" in text
    assert f"backend {mg.backends.get_default_backend()}" in text
    assert "BLAS: " in text and "1 thread(s)" in text


def test_environment_reports_a_forced_blas_kernel(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Sandybridge")
    assert "OPENBLAS_CORETYPE=Sandybridge" in mg.diagnostics.environment()
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    assert "OPENBLAS_CORETYPE not set" in mg.diagnostics.environment()
