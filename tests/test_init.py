"""``nn.init``: calculate_gain, fan computation, and the bounds and spreads of the xavier,
kaiming, normal, uniform and constant initialisers."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import init


@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / (1 + 0.2 ** 2))), ("leaky_relu", 1, 1.0),
    ("selu", None, 0.75),
])
def test_calculate_gain(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-12)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="softsign"):
        init.calculate_gain("softsign")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", "0.2")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", True)


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(mg.zeros(4, 5)) == (5, 4)
    assert init._calculate_fan_in_and_fan_out(mg.zeros(4, 5, 3)) == (15, 12)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(mg.zeros(4))


def _assert_uniform_within(tensor, bound):
    values = np.abs(tensor.numpy())
    assert values.max() <= bound * (1 + 1e-6)
    assert values.max() > 0.99 * bound


def test_xavier_uniform_bounds():
    w = mg.zeros(200, 300)
    assert init.xavier_uniform_(w, gain=2.0) is w
    _assert_uniform_within(w, 2.0 * math.sqrt(6 / 500))


@pytest.mark.parametrize("mode, fan", [("fan_in", 400), ("fan_out", 100)])
def test_kaiming_uniform_bounds(mode, fan):
    w = mg.zeros(100, 400)
    init.kaiming_uniform_(w, mode=mode, nonlinearity="relu")
    _assert_uniform_within(w, math.sqrt(2) * math.sqrt(3 / fan))
    init.kaiming_uniform_(w, a=math.sqrt(5), mode=mode)  # Linear's default: 1/sqrt(fan)
    _assert_uniform_within(w, 1 / math.sqrt(fan))


def test_kaiming_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="fan_avg"):
        init.kaiming_uniform_(mg.zeros(3, 3), mode="fan_avg")


@pytest.mark.parametrize("fill, std", [
    (lambda w: init.normal_(w, 0.0, 2.0), 2.0),
    (lambda w: init.xavier_normal_(w), math.sqrt(2 / (500 + 2000))),
    (lambda w: init.xavier_normal_(w, gain=3.0), 3 * math.sqrt(2 / (500 + 2000))),
    (lambda w: init.kaiming_normal_(w, nonlinearity="relu"), math.sqrt(2) / math.sqrt(2000)),
    (lambda w: init.kaiming_normal_(w, mode="fan_out"), math.sqrt(2) / math.sqrt(500)),
], ids=["normal", "xavier", "xavier_gain", "kaiming_fan_in", "kaiming_fan_out"])
def test_normal_inits_have_the_formula_std(fill, std):
    w = mg.zeros(500, 2000)
    assert fill(w) is w
    values = w.numpy()
    assert values.std() == pytest.approx(std, rel=0.02)
    assert abs(values.mean()) < 0.01 * std


def test_constant_inits_and_uniform_range():
    p = nn.Parameter(mg.zeros(3, 4))
    assert init.constant_(p, 0.25) is p and np.all(p.numpy() == 0.25)
    assert np.all(init.ones_(p).numpy() == 1) and not np.any(init.zeros_(p).numpy())
    init.uniform_(p, -3.0, -2.0)
    assert p.numpy().min() >= -3 and p.numpy().max() <= -2
    assert p.is_leaf and p.requires_grad and p.dtype == mg.float32
