"""The convolutions beyond the registry sweeps: PyTorch's errors for bad arguments, integer
inputs, the patch matrix kept for backward (and only it), the identities that relate the
ops (conv2d is unfold and a matmul; conv_transpose2d is conv2d's adjoint; fold undoes
unfold up to the window counts), and the layers' construction, initialization,
``output_size`` and state dicts against ``torch.nn``."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.errors import DTypeError
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _pair(shape, rng, dtype=np.float64):
    values = rng.standard_normal(shape).astype(dtype)
    return mg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)


# ----------------------------------------------------------------- errors, as PyTorch's
X, W = (2, 3, 5, 6), (4, 3, 3, 3)
BAD_CALLS = {
    "channels": ("conv2d", (X, (4, 2, 3, 3)), {}),
    "groups_not_dividing_out_channels": ("conv2d", (X, (4, 1, 3, 3)), {"groups": 3}),
    "kernel_larger_than_padded_input": ("conv2d", (X, (4, 3, 7, 3)), {}),
    "dilated_kernel_too_large": ("conv2d", (X, (4, 3, 3, 3)), {"dilation": 3}),
    "bias_size": ("conv2d", (X, W, (5,)), {}),
    "same_with_stride": ("conv2d", (X, W), {"padding": "same", "stride": 2}),
    "padding_string": ("conv2d", (X, W), {"padding": "full"}),
    "negative_padding": ("conv2d", (X, W), {"padding": -1}),
    "zero_stride": ("conv2d", (X, W), {"stride": 0}),
    "zero_dilation": ("conv2d", (X, W), {"dilation": 0}),
    "three_strides": ("conv2d", (X, W), {"stride": (1, 2, 3)}),
    "zero_groups": ("conv2d", (X, W), {"groups": 0}),
    "2d_input": ("conv2d", ((5, 6), W), {}),
    "conv1d_4d_input": ("conv1d", ((2, 3, 5, 6), (4, 3, 3)), {}),
    "conv1d_4d_weight": ("conv1d", ((2, 3, 6), W), {}),
    "transpose_channels": ("conv_transpose2d", (X, (4, 2, 3, 3)), {}),
    "transpose_groups": ("conv_transpose2d", (X, (3, 2, 3, 3)), {"groups": 2}),
    "transpose_bias": ("conv_transpose2d", (X, (3, 2, 3, 3), (3,)), {}),
    "output_padding_too_large": ("conv_transpose2d", (X, (3, 2, 3, 3)),
                                 {"stride": 2, "output_padding": 2}),
    "negative_output_padding": ("conv_transpose2d", (X, (3, 2, 3, 3)), {"output_padding": -1}),
    "unfold_kernel_too_large": ("unfold", (X,), {"kernel_size": 7}),
    "unfold_zero_kernel": ("unfold", (X,), {"kernel_size": 0}),
    "unfold_negative_padding": ("unfold", (X,), {"kernel_size": 2, "padding": -1}),
    "fold_rows": ("fold", ((2, 13, 6),), {"output_size": (4, 5), "kernel_size": 2}),
    "fold_columns": ("fold", ((2, 12, 6),), {"output_size": (4, 5), "kernel_size": 2}),
    "fold_4d_input": ("fold", ((2, 3, 4, 5),), {"output_size": (4, 5), "kernel_size": 2}),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_arguments_raise_runtime_errors_naming_the_op_as_torch(case):
    name, shapes, kwargs = BAD_CALLS[case]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    with pytest.raises(RuntimeError):
        getattr(TF, name)(*[torch.tensor(a) for a in arrays], **kwargs)
    with pytest.raises(RuntimeError) as error:
        getattr(F, name)(*[mg.tensor(a) for a in arrays], **kwargs)
    message = str(error.value)
    assert message.startswith(f"{name}: ")
    if case in ("channels", "kernel_larger_than_padded_input", "bias_size"):
        assert str(X) in message and str(shapes[1]) in message


def test_padding_string_of_a_transposed_convolution_is_a_type_error():
    with pytest.raises(TypeError):
        TF.conv_transpose2d(torch.ones(X), torch.ones(3, 2, 3, 3), padding="same")
    with pytest.raises(TypeError, match="conv_transpose2d"):
        F.conv_transpose2d(mg.ones(*X), mg.ones(3, 2, 3, 3), padding="same")


def test_mixed_float_dtypes_raise_and_say_how_to_convert():
    with pytest.raises(DTypeError, match=r"conv2d: .*float32.*float64.*\.float\(\)"):
        F.conv2d(mg.ones(*X), mg.ones(*W, dtype=mg.float64))
    with pytest.raises(DTypeError, match="conv_transpose2d"):
        F.conv_transpose2d(mg.ones(*X), mg.ones(3, 2, 3, 3), mg.ones(2, dtype=mg.float64))


# ----------------------------------------------------------------- integer inputs
@pytest.mark.parametrize("name, weight_shape, kwargs", [
    ("conv2d", (4, 3, 2, 2), {"stride": 2, "padding": 1}),
    ("conv1d", (4, 3, 2), {"dilation": 2}),
    ("conv_transpose2d", (3, 2, 2, 2), {"stride": 2}),
])
def test_integer_convolutions_stay_integer_and_match_torch(name, weight_shape, kwargs):
    x = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    x = x[:, :, 0] if name == "conv1d" else x
    weight = np.arange(math.prod(weight_shape)).reshape(weight_shape) - 10
    out = getattr(F, name)(mg.tensor(x), mg.tensor(weight), **kwargs)
    expected = getattr(TF, name)(torch.tensor(x), torch.tensor(weight), **kwargs)
    assert out.dtype == mg.int64
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


# ----------------------------------------------------------------- what backward keeps
def test_conv2d_keeps_one_patch_matrix_and_frees_it_after_backward():
    x, w = mg.randn(2, 3, 5, 6, requires_grad=True), mg.randn(4, 3, 3, 3, requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    weight, cols = out.grad_fn.saved_tensors
    assert weight is w.data
    assert cols.shape == (2, 1, 3 * 3 * 3, 5 * 6)  # (N, groups, C / groups * kh * kw, oh * ow)
    out.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.grad_fn.saved_tensors  # noqa: B018 - the access is what raises


def test_conv2d_keeps_no_patch_matrix_when_the_weight_needs_no_gradient():
    x = mg.randn(2, 3, 5, 6, requires_grad=True)
    out = F.conv2d(x, mg.randn(4, 3, 3, 3))
    assert out.grad_fn.saved_tensors[1] is None
    out.sum().backward()
    assert x.grad.shape == x.shape


def test_retain_graph_keeps_the_patch_matrix_for_a_second_backward():
    rng = np.random.default_rng(1)
    (x, tx), (w, tw) = _pair((2, 3, 5, 6), rng), _pair((4, 3, 2, 2), rng)
    out, expected = F.conv2d(x, w, stride=2), TF.conv2d(tx, tw, stride=2)
    for _ in range(2):
        out.sum().backward(retain_graph=True)
        expected.sum().backward(retain_graph=True)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


# ----------------------------------------------------------------- identities
def test_conv2d_is_unfold_then_one_matmul():
    rng = np.random.default_rng(2)
    x, w = mg.tensor(rng.standard_normal((2, 3, 6, 7))), mg.tensor(rng.standard_normal(W))
    cols = F.unfold(x, 3, padding=1, stride=2)  # (2, 27, 3 * 4)
    via_matmul = (w.reshape(4, -1) @ cols).reshape(2, 4, 3, 4)
    np.testing.assert_allclose(via_matmul.numpy(), F.conv2d(x, w, padding=1, stride=2).numpy(),
                               rtol=1e-12, atol=1e-12)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """<conv2d(x, w), y> = <x, conv_transpose2d(y, w)>, which makes conv_transpose2d the
    input gradient of conv2d."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 6, 7, 8)), rng.standard_normal((4, 3, 3, 2))
    geometry = {"stride": 2, "padding": 1, "dilation": (1, 2), "groups": 2}
    y = rng.standard_normal(tuple(F.conv2d(mg.tensor(x), mg.tensor(w), **geometry).shape))
    forward = F.conv2d(mg.tensor(x), mg.tensor(w), **geometry).numpy()
    back = F.conv_transpose2d(mg.tensor(y), mg.tensor(w), output_padding=(0, 1),
                              **geometry).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose((forward * y).sum(), (x * back).sum(), rtol=1e-12)


def test_fold_of_unfold_multiplies_each_pixel_by_its_window_count():
    """As PyTorch documents: fold(unfold(x)) == x * fold(unfold(ones))."""
    rng = np.random.default_rng(4)
    x = mg.tensor(rng.standard_normal((2, 3, 5, 6)))
    geometry = {"kernel_size": (2, 3), "dilation": (2, 1), "padding": 1, "stride": (1, 2)}
    counts = F.fold(F.unfold(mg.ones(1, 1, 5, 6, dtype=mg.float64), **geometry), (5, 6),
                    **geometry)
    round_trip = F.fold(F.unfold(x, **geometry), (5, 6), **geometry)
    np.testing.assert_allclose(round_trip.numpy(), (x * counts).numpy(), rtol=1e-12)
    assert counts.numpy().min() >= 1 and counts.numpy().max() > 1


def test_unfold_returns_a_fresh_array_even_for_1x1_windows():
    x = mg.randn(1, 2, 3, 3)
    cols = F.unfold(x, 1)
    cols.data[...] = 0
    assert x.numpy().any()
