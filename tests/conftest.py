"""Shared fixtures: every test starts from the same seed, grad mode on, numpy backend."""

import pytest

import minigrad as mg


@pytest.fixture(autouse=True)
def _fresh_state():
    mg.manual_seed(0)
    mg.set_default_backend("numpy")
    with mg.enable_grad():
        yield
