"""Channel dropout (``F.dropout1d/2d/3d``, ``nn.Dropout1d/2d/3d``): whole channels zeroed,
the survivors scaled by 1/(1-p), the gradient the same mask, p = 0 and p = 1, eval, seeded
repeats, and PyTorch's ranks, warnings and errors, on every backend (Numba draws its masks
with its own compiled generator)."""

import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

# function, input shape, the number of leading dims that index the channels (N, C or C)
CASES = [(F.dropout1d, (40, 50, 3), 2), (F.dropout1d, (400, 3), 1),
         (F.dropout2d, (20, 100, 2, 3), 2), (F.dropout3d, (10, 20, 2, 2, 2), 2),
         (F.dropout3d, (300, 2, 1, 3), 1)]
IDS = ["1d", "1d_unbatched", "2d", "3d", "3d_unbatched"]


@pytest.fixture(autouse=True)
def _on_every_backend(backend):
    """Every test here runs once per backend (the ``backend`` fixture of conftest)."""


def _channels(y, leading):
    """y with each channel's values flattened: (channels, values per channel)."""
    return y.reshape(int(np.prod(y.shape[:leading])), -1)


@pytest.mark.parametrize("fn, shape, leading", CASES, ids=IDS)
def test_whole_channels_drop_and_the_rest_scale(fn, shape, leading):
    p = 0.3
    y = _channels(fn(mg.ones(*shape), p).numpy(), leading)
    dropped = (y == 0).all(axis=1)
    np.testing.assert_allclose(y[~dropped], 1 / (1 - p), rtol=1e-6)  # no channel half-dropped
    assert abs(dropped.mean() - p) < 0.05  # 1,000 to 2,000 channels


@pytest.mark.parametrize("fn, shape, leading", CASES, ids=IDS)
def test_the_gradient_is_the_scaled_channel_mask(fn, shape, leading):
    p = 0.6
    x = mg.randn(*shape, dtype=mg.float64, requires_grad=True)
    y = fn(x, p)
    assert y.dtype == mg.float64
    cotangent = np.random.default_rng(1).standard_normal(shape)
    y.backward(mg.tensor(cotangent))
    mask = _channels(y.numpy() / x.numpy(), leading)[:, :1]  # 0 or 1/(1-p) per channel
    want = _channels(cotangent, leading) * mask
    np.testing.assert_allclose(_channels(x.grad.numpy(), leading), want, rtol=1e-12)


@pytest.mark.parametrize("fn, shape, leading", CASES[:3], ids=IDS[:3])
def test_p_zero_and_eval_are_the_identity_and_p_one_zeros_everything(fn, shape, leading):
    x = mg.randn(*shape, requires_grad=True)
    assert fn(x, 0.0) is x and fn(x, 0.7, training=False) is x
    y = fn(x, 1.0)
    y.sum().backward()
    assert not np.any(y.numpy()) and not np.any(x.grad.numpy())
    assert np.all(np.isfinite(x.grad.numpy()))


@pytest.mark.parametrize("layer, shape", [("Dropout1d", (4, 5, 6)), ("Dropout2d", (2, 3, 4, 5)),
                                          ("Dropout3d", (2, 3, 2, 2, 2))])
def test_modules_drop_channels_in_training_only(layer, shape):
    module = getattr(nn, layer)(0.5)
    x = mg.ones(*shape)
    y = _channels(module(x).numpy(), 2)
    assert set(np.unique(y)) <= {0.0, 2.0} and ((y == 0).all(1) | (y == 2).all(1)).all()
    np.testing.assert_array_equal(module.eval()(x).numpy(), x.numpy())


def test_masks_repeat_with_the_seed():
    x = mg.ones(8, 16, 3, 3)
    mg.manual_seed(7)
    first, second = F.dropout2d(x).numpy(), F.dropout2d(x).numpy()
    mg.manual_seed(7)
    np.testing.assert_array_equal(F.dropout2d(x).numpy(), first)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_outside_the_unit_interval_raises(p):
    for fn in (F.dropout1d, F.dropout2d, F.dropout3d):
        with pytest.raises(ValueError, match="between 0 and 1"):
            fn(mg.ones(2, 3, 4), p)
    for layer in (nn.Dropout1d, nn.Dropout2d, nn.Dropout3d):
        with pytest.raises(ValueError, match="between 0 and 1"):
            layer(p)


def test_dropout1d_refuses_other_ranks():
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input, but received a 4D"):
        F.dropout1d(mg.ones(2, 3, 4, 5))


def test_dropout2d_takes_3d_input_as_batched_1d_with_pytorchs_warning():
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        y = F.dropout2d(mg.ones(30, 40, 5), 0.5).numpy()
    per_channel = _channels(y, 2)
    assert ((per_channel == 0).all(1) | (per_channel == 2).all(1)).all()
    # NOTE: one draw per (N, C), as PyTorch: read as (C, H, W), each of the 30 would drop whole
    dropped = (per_channel == 0).all(1).reshape(30, 40)
    assert dropped.any(1).all() and not dropped.all(1).any()


def test_dropout2d_and_3d_warn_for_other_ranks_and_need_two_dims():
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        assert F.dropout2d(mg.ones(3, 4), training=False).shape == (3, 4)
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        F.dropout3d(mg.ones(3, 4, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="at least 2 dimensions"):
            F.dropout2d(mg.ones(5))
        with pytest.raises(RuntimeError, match="at least 2 dimensions"):
            F.dropout3d(mg.tensor(1.0))


def test_repr_is_pytorchs():
    assert repr(nn.Dropout2d(0.2, inplace=True)) == "Dropout2d(p=0.2, inplace=True)"
    assert repr(nn.Dropout1d()) == "Dropout1d(p=0.5, inplace=False)"
