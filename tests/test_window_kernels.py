"""The Numba backend's window kernels (max pooling, conv2d's compiled col2im)
on what the registry samples leave out: ties, NaN and -inf next to padding, inputs that
are not contiguous, integer input (which takes the generic op), conv2d's strides,
dilations, groups and asymmetric padding, and a second backward through one graph.
PyTorch is the oracle; each case checks that the compiled path ran."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.backends import available_backends
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
pytestmark = pytest.mark.skipif("numba" not in available_backends(),
                                reason="numba backend not usable here: pip install numba")

RNG = np.random.default_rng(0)
NAN_ROW = [-np.inf, -np.inf, 3.0, -np.inf, np.nan, 1.0, np.nan, 2.0, -np.inf]


def _both(values, requires_grad=True):
    return (mg.tensor(values, requires_grad=requires_grad, backend="numba"),
            torch.tensor(values, requires_grad=requires_grad))


def _assert_close(got, want, exact=False):
    want = want.detach().numpy()
    assert got.shape == want.shape and got.dtype.name == str(want.dtype)
    if exact:  # NOTE: NaN == NaN here
        np.testing.assert_array_equal(got.numpy(), want)
    else:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


def _check_max_pool(name, values, kwargs):
    """Values, indices and the input's gradient against PyTorch's."""
    x, tx = _both(values)
    out, indices = getattr(F, name)(x, return_indices=True, **kwargs)
    t_out, t_indices = getattr(TF, name)(tx, return_indices=True, **kwargs)
    assert out.grad_fn.fused, "the kernel fell back to the generic op"
    _assert_close(out, t_out, exact=True)
    _assert_close(indices, t_indices, exact=True)
    cotangent = RNG.standard_normal(tuple(t_out.shape))
    out.backward(mg.tensor(cotangent, backend="numba"))
    t_out.backward(torch.tensor(cotangent))
    _assert_close(x.grad, tx.grad)


TIES = RNG.integers(0, 3, size=(2, 3, 9, 8)).astype(np.float64)  # every window holds ties


@pytest.mark.parametrize("name, values, kwargs", [
    ("max_pool2d", TIES, {"kernel_size": 3, "stride": 1, "padding": 1}),
    ("max_pool2d", TIES, {"kernel_size": (2, 3), "stride": 2, "padding": (1, 0),
                          "dilation": (2, 1), "ceil_mode": True}),
    ("max_pool1d", TIES[0, :, 0], {"kernel_size": 3, "stride": 1, "padding": 1}),
    ("max_pool1d", np.array([[NAN_ROW, NAN_ROW[::-1]]]), {"kernel_size": 2, "padding": 1}),
    ("max_pool1d", np.array([[NAN_ROW, NAN_ROW[::-1]]]),
     {"kernel_size": 3, "padding": 1, "dilation": 2, "ceil_mode": True}),
    ("max_pool2d", np.array([[NAN_ROW[:8]] * 3]), {"kernel_size": 3, "stride": 1,
                                                    "padding": 1}),
])
def test_max_pool_ties_nan_and_padding_match_torch(name, values, kwargs):
    _check_max_pool(name, values, kwargs)


def test_max_pool_takes_input_that_is_not_contiguous():
    x, tx = _both(RNG.standard_normal((5, 6, 3, 2)).astype(np.float32))
    out = F.max_pool2d(x.permute(3, 2, 1, 0), 2, padding=1)
    t_out = TF.max_pool2d(tx.permute(3, 2, 1, 0), 2, padding=1)
    assert out.grad_fn.fused
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-6)
    out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.int64, np.uint8])
def test_integer_input_takes_the_generic_op(dtype):
    x, tx = _both(RNG.integers(0, 50, size=(2, 3, 7, 6)).astype(dtype), requires_grad=False)
    _assert_close(F.max_pool2d(x, 3, 2, 1), TF.max_pool2d(tx, 3, 2, 1), exact=True)


@pytest.mark.parametrize("kwargs, weight_shape", [
    ({"stride": 2, "padding": 1}, (4, 3, 3, 3)),
    ({"stride": (1, 2), "dilation": (2, 1), "padding": (2, 0)}, (4, 3, 3, 2)),
    ({"padding": "same"}, (4, 3, 2, 4)),  # NOTE: even kernels pad one more after
    ({"groups": 3, "stride": 2, "padding": 1}, (6, 1, 3, 3))])
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_conv2d_gradients_match_torch(kwargs, weight_shape):
    (x, tx), (w, tw) = _both(RNG.standard_normal((2, 3, 9, 8))), \
        _both(RNG.standard_normal(weight_shape))
    b, tb = _both(RNG.standard_normal(weight_shape[0]))
    out, t_out = F.conv2d(x, w, b, **kwargs), TF.conv2d(tx, tw, tb, **kwargs)
    assert out.grad_fn.fused
    cotangent = RNG.standard_normal(tuple(t_out.shape))
    out.backward(mg.tensor(cotangent, backend="numba"))
    t_out.backward(torch.tensor(cotangent))
    for got, want in ((x, tx), (w, tw), (b, tb)):
        _assert_close(got.grad, want.grad)


def test_conv2d_second_backward_and_a_frozen_input():
    (x, tx), (w, tw) = _both(RNG.standard_normal((2, 3, 6, 6))), \
        _both(RNG.standard_normal((4, 3, 3, 3)))
    out, t_out = F.conv2d(x, w, padding=1), TF.conv2d(tx, tw, padding=1)
    for _ in range(2):  # NOTE: the kernel hands the generic backward a masked needs_input_grad
        out.sum().backward(retain_graph=True)
        t_out.sum().backward(retain_graph=True)
    _assert_close(x.grad, tx.grad)
    _assert_close(w.grad, tw.grad)
    frozen = mg.tensor(x.numpy(), backend="numba")
    w.grad, tw.grad = None, None
    F.conv2d(frozen, w, padding=1).sum().backward()
    TF.conv2d(tx.detach(), tw, padding=1).sum().backward()
    _assert_close(w.grad, tw.grad)
