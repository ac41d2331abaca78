"""The rules of ``nn.Linear`` (default init, no bias, shape errors) and ``nn.ReLU``
(PyTorch's gradient at dead units and at NaN inputs, on every backend)."""

import math

import numpy as np
import pytest
from nn_helpers import names

import minigrad as mg
from minigrad import nn


# ----------------------------------------------------------------------------- Linear
def test_linear_default_init_and_shapes():
    layer = nn.Linear(50, 30)
    bound = 1 / math.sqrt(50)
    assert layer.weight.shape == (30, 50) and layer.bias.shape == (30,)
    for p in (layer.weight, layer.bias):
        values = p.numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.9 * bound  # spread over the interval, not tiny
    assert layer(mg.randn(2, 7, 50)).shape == (2, 7, 30)


def test_linear_without_bias():
    layer = nn.Linear(4, 3, bias=False)
    assert layer.bias is None
    assert names(layer.named_parameters()) == ["weight"]
    assert list(layer.state_dict()) == ["weight"]
    x = mg.randn(2, 4)
    np.testing.assert_allclose(layer(x).numpy(), x.numpy() @ layer.weight.numpy().T, rtol=1e-6)


def test_linear_wrong_in_features_names_both_shapes():
    with pytest.raises(RuntimeError) as info:
        nn.Linear(10, 5)(mg.randn(32, 7))
    assert "(32, 7)" in str(info.value) and "(5, 10)" in str(info.value)


# ----------------------------------------------------------------------------- ReLU
def test_relu_sends_no_gradient_to_dead_units_even_a_nan_one(backend):
    """As PyTorch: the gradient at a unit with input <= 0 is 0, whatever arrives there."""
    x = mg.tensor([[-1.0, 2.0, 0.0, 3.0]], requires_grad=True)
    nn.ReLU()(x).backward(mg.tensor([[np.nan, 5.0, np.inf, -np.inf]]))
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 5.0, 0.0, -np.inf]])


def test_relu_keeps_a_nan_input_and_passes_its_gradient(backend):
    """As PyTorch: relu(NaN) is NaN, so detect_anomaly sees it, and its gradient flows."""
    x = mg.tensor([np.nan, -1.0, 2.0], requires_grad=True)
    y = nn.ReLU()(x)
    np.testing.assert_array_equal(y.numpy(), [np.nan, 0.0, 2.0])
    y.backward(mg.tensor([3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 5.0])
