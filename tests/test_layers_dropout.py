"""``nn.Dropout`` and ``F.dropout``: argument checks, identity in eval and for p=0, p=1,
mask statistics, seeded repeats and the gradient, on every backend."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_probability_outside_unit_interval_raises(p):
    with pytest.raises(ValueError, match=str(p)):
        nn.Dropout(p)
    with pytest.raises(ValueError):
        F.dropout(mg.ones(3), p)


def test_dropout_is_the_identity_in_eval_and_for_p_zero():
    x = mg.randn(20, 30)
    np.testing.assert_array_equal(nn.Dropout(0.5).eval()(x).numpy(), x.numpy())
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).numpy(), x.numpy())


def test_dropout_with_p_one_gives_zeros_and_zero_gradients(backend):
    x = mg.randn(10, 10, requires_grad=True)
    y = nn.Dropout(1.0)(x)
    assert not np.any(y.numpy()) and np.all(np.isfinite(y.numpy()))
    y.sum().backward()
    assert not np.any(x.grad.numpy()) and np.all(np.isfinite(x.grad.numpy()))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_statistics(p, backend):
    """On every backend: Numba draws its masks with its own compiled generator."""
    y = nn.Dropout(p)(mg.ones(1000, 1000)).numpy()
    assert abs(np.mean(y == 0) - p) < 0.005
    assert abs(y.mean() - 1.0) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)


def test_dropout_mask_repeats_with_the_seed(backend):
    x = mg.ones(50, 50)
    mg.manual_seed(123)
    first = F.dropout(x, 0.5).numpy()
    second = F.dropout(x, 0.5).numpy()
    mg.manual_seed(123)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), first)
    assert not np.array_equal(first, second)


def test_dropout_gradient_is_the_scaled_mask(backend):
    p = 0.3
    x = mg.ones(40, 50, requires_grad=True)
    y = nn.Dropout(p)(x)
    cotangent = np.random.default_rng(1).standard_normal((40, 50)).astype(np.float32)
    (y * mg.tensor(cotangent)).sum().backward()
    mask = y.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), cotangent * mask / (1 - p), rtol=1e-6)
