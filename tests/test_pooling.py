"""Pooling beyond the registry sweeps: the indices max pooling returns, ties, padding next to
-inf and NaN, integer inputs, output sizes in ceil mode, the layers' tuple outputs, and
PyTorch's errors. PyTorch is the oracle throughout."""

import itertools

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _both(values, requires_grad=False):
    return (mg.tensor(values, requires_grad=requires_grad),
            torch.tensor(values, requires_grad=requires_grad))


def _assert_same(got, want):
    want = want.detach().numpy()
    assert got.shape == want.shape
    assert got.dtype.name == str(want.dtype)
    np.testing.assert_array_equal(got.numpy(), want)


MAX_POOLS = [("max_pool1d", (2, 3, 11)), ("max_pool2d", (2, 3, 9, 8))]


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True},
    {"kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True}])
@pytest.mark.parametrize("name, shape", MAX_POOLS)
def test_max_pool_indices_match_torch(name, shape, kwargs, backend):
    x, tx = _both(np.random.default_rng(0).standard_normal(shape))
    values, indices = getattr(F, name)(x, return_indices=True, **kwargs)
    t_values, t_indices = getattr(TF, name)(tx, return_indices=True, **kwargs)
    _assert_same(values, t_values)
    _assert_same(indices, t_indices)
    assert indices.dtype == mg.int64


@pytest.mark.parametrize("name, shape", MAX_POOLS)
def test_ties_go_to_the_first_in_window_order_values_and_gradient(name, shape):
    # NOTE: values from {0, 1, 2} make every window hold ties; overlapping windows share them
    values = np.random.default_rng(1).integers(0, 3, size=shape).astype(np.float64)
    x, tx = _both(values, requires_grad=True)
    out, indices = getattr(F, name)(x, 3, stride=1, padding=1, return_indices=True)
    t_out, t_indices = getattr(TF, name)(tx, 3, stride=1, padding=1, return_indices=True)
    _assert_same(indices, t_indices)
    cotangent = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(mg.tensor(cotangent))
    t_out.backward(torch.tensor(cotangent))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs", [{"kernel_size": 2, "padding": 1},
                                    {"kernel_size": 3, "stride": 1, "padding": 1},
                                    {"kernel_size": 3, "padding": 1, "dilation": 2,
                                     "ceil_mode": True}])
def test_padding_never_wins_even_next_to_minus_inf_and_nan(kwargs):
    row = [-np.inf, -np.inf, 3.0, -np.inf, np.nan, 1.0, np.nan, 2.0, -np.inf]
    x, tx = _both(np.array([[row, row[::-1]]]), requires_grad=True)
    out, indices = F.max_pool1d(x, return_indices=True, **kwargs)
    t_out, t_indices = TF.max_pool1d(tx, return_indices=True, **kwargs)
    np.testing.assert_array_equal(out.numpy(), t_out.detach().numpy())  # NaN == NaN here
    _assert_same(indices, t_indices)
    out.backward(mg.ones(out.shape, dtype=mg.float64))
    t_out.backward(torch.ones(t_out.shape, dtype=torch.float64))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("kwargs", [{"kernel_size": 3, "stride": 2, "padding": 1,
                                     "ceil_mode": True},
                                    {"kernel_size": (2, 3), "stride": 1, "padding": (1, 0)}])
@pytest.mark.parametrize("name, dtype", [("max_pool2d", np.int64), ("max_pool2d", np.int32),
                                         ("max_pool2d", np.uint8), ("avg_pool2d", np.int64)])
def test_integer_input_stays_integer_and_rounds_toward_zero(name, dtype, kwargs):
    low = 0 if dtype == np.uint8 else -50
    x, tx = _both(np.random.default_rng(3).integers(low, 50, size=(2, 3, 7, 6)).astype(dtype))
    _assert_same(getattr(F, name)(x, **kwargs), getattr(TF, name)(tx, **kwargs))


@pytest.mark.parametrize("name, shape, dtype", [
    ("max_pool1d", (1, 4), "int64"), ("avg_pool2d", (1, 4, 4), "int32"),
    ("avg_pool1d", (1, 4), "uint8"), ("adaptive_max_pool2d", (1, 4, 4), "int64")])
def test_integer_dtypes_torch_lacks_a_kernel_for_raise_as_torch(name, shape, dtype):
    values = np.ones(shape, dtype=dtype)
    with pytest.raises(NotImplementedError):
        getattr(TF, name)(torch.tensor(values), 2)
    with pytest.raises(NotImplementedError, match=f"{name}: not implemented for {dtype}"):
        getattr(F, name)(mg.tensor(values), 2)


def test_integer_average_with_divisor_override_truncates_like_torch():
    x, tx = _both(np.arange(-12, 12).reshape(1, 4, 6))
    _assert_same(F.avg_pool2d(x, 2, divisor_override=3), TF.avg_pool2d(tx, 2, divisor_override=3))


def test_output_sizes_match_torch_across_ceil_mode_geometries():
    for length, k, s, p, d, ceil in itertools.product((1, 2, 3, 5, 8), (1, 2, 3), (1, 2, 3),
                                                      (0, 1), (1, 2), (False, True)):
        if p > k // 2:
            continue
        x1, x2 = mg.zeros(1, 2, length), mg.zeros(1, 2, length, 3)
        args = (k, s, p, d, ceil)
        try:
            want = TF.max_pool1d(torch.zeros(1, 2, length), *args).shape
        except RuntimeError:
            with pytest.raises(RuntimeError, match="output size is too small"):
                F.max_pool1d(x1, *args)
            continue
        assert F.max_pool1d(x1, *args).shape == tuple(want), args
        assert F.max_pool2d(x2, (k, 1), (s, 1), (p, 0), (d, 1), ceil).shape[2] == want[-1]
        if d == 1:
            want = TF.avg_pool1d(torch.zeros(1, 2, length), k, s, p, ceil).shape
            assert F.avg_pool1d(x1, k, s, p, ceil).shape == tuple(want), args


@pytest.mark.parametrize("output_size", [0, (0, 3), (3, None), 9])
def test_adaptive_output_sizes_match_torch(output_size):
    x, tx = _both(np.random.default_rng(4).standard_normal((2, 3, 5, 4)), requires_grad=True)
    out = F.adaptive_avg_pool2d(x, output_size)
    t_out = TF.adaptive_avg_pool2d(tx, output_size)
    assert out.shape == tuple(t_out.shape)
    values, indices = F.adaptive_max_pool2d(x, output_size, return_indices=True)
    t_values, t_indices = TF.adaptive_max_pool2d(tx, output_size, return_indices=True)
    _assert_same(indices, t_indices)
    (out.sum() + values.sum()).backward()
    if out.numel() == 0:  # NOTE: PyTorch's backward refuses an empty output; nothing flows
        np.testing.assert_array_equal(x.grad.numpy(), 0.0)
        return
    (t_out.sum() + t_values.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_adaptive_average_keeps_inf_inside_its_windows():
    values = np.random.default_rng(5).standard_normal((1, 1, 5, 6))
    values[0, 0, 2, 3] = np.inf
    x, tx = _both(values)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, (3, 4)).numpy(),
                               TF.adaptive_avg_pool2d(tx, (3, 4)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("make, shape", [
    (lambda nn: nn.MaxPool2d(3, 2, 1, return_indices=True), (2, 3, 7, 6)),
    (lambda nn: nn.MaxPool1d(2, return_indices=True, ceil_mode=True), (2, 3, 7)),
    (lambda nn: nn.AdaptiveMaxPool2d((2, 3), return_indices=True), (3, 7, 6)),
    (lambda nn: nn.AdaptiveMaxPool1d(3, return_indices=True), (2, 7))])
def test_layers_with_return_indices_give_values_and_indices(make, shape):
    x, tx = _both(np.random.default_rng(6).standard_normal(shape))
    (values, indices), (t_values, t_indices) = make(mg.nn)(x), make(torch.nn)(tx)
    _assert_same(values, t_values)
    _assert_same(indices, t_indices)


def test_layers_keep_their_arguments_as_torch():
    assert mg.nn.AvgPool1d(3).kernel_size == (3,) == torch.nn.AvgPool1d(3).kernel_size
    assert mg.nn.MaxPool2d((2, 3)).stride == (2, 3)
    assert mg.nn.AvgPool2d(2, stride=1).stride == 1
    assert mg.nn.AdaptiveMaxPool2d(3, True).return_indices
    assert list(mg.nn.MaxPool2d(2).state_dict()) == []


@pytest.mark.parametrize("name, dtype", [("max_pool2d", mg.float32), ("avg_pool2d", mg.float32),
                                         ("adaptive_avg_pool2d", mg.float32),
                                         ("max_pool1d", mg.float64)])
def test_float_dtype_is_kept_with_its_gradient(name, dtype):
    x = mg.randn(2, 3, 6, 6, dtype=dtype, requires_grad=True)
    if name == "max_pool1d":
        x = mg.randn(2, 3, 6, dtype=dtype, requires_grad=True)
    out = getattr(F, name)(x, 2)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == dtype


ERRORS = [
    (lambda: F.max_pool2d(mg.zeros(1, 1, 6, 6), 2, padding=2), RuntimeError,
     r"max_pool2d: pad should be at most half of effective kernel size, but got pad=2, "
     r"kernel_size=2 and dilation=1 \(input \(1, 1, 6, 6\)\)"),
    (lambda: F.max_pool1d(mg.zeros(1, 1, 9), 3, padding=2, dilation=2), RuntimeError,
     "max_pool1d: pad should be smaller than or equal to half of kernel size"),
    (lambda: F.avg_pool2d(mg.zeros(2, 3, 7, 6), 9), RuntimeError,
     r"avg_pool2d: output size is too small: input \(2, 3, 7, 6\)"),
    (lambda: F.max_pool2d(mg.zeros(7, 6), 2), RuntimeError,
     r"max_pool2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input .* got shape \(7, 6\)"),
    (lambda: F.max_pool1d(mg.zeros(2, 0, 4), 2), RuntimeError, r"got shape \(2, 0, 4\)"),
    (lambda: F.max_pool2d(mg.zeros(1, 4, 4), 2, stride=0), RuntimeError,
     "max_pool2d: stride must be at least 1"),
    (lambda: F.max_pool2d(mg.zeros(1, 4, 4), 2, dilation=0), RuntimeError,
     "max_pool2d: dilation must be at least 1"),
    (lambda: F.avg_pool1d(mg.zeros(1, 1, 4), 2, padding=-1), RuntimeError,
     "avg_pool1d: padding must be at least 0"),
    (lambda: F.max_pool2d(mg.zeros(1, 4, 4), (2, 2, 2)), RuntimeError,
     r"max_pool2d: kernel_size must be an int or a tuple of 2 ints, got \(2, 2, 2\)"),
    (lambda: F.avg_pool2d(mg.zeros(1, 4, 4), 2, divisor_override=0), RuntimeError,
     "divisor must be not zero"),
    (lambda: F.max_pool2d(mg.zeros(1, 4, 4, dtype=mg.bool), 2), NotImplementedError,
     "max_pool2d: not implemented for bool"),
    (lambda: F.adaptive_avg_pool2d(mg.zeros(1, 4, 4, dtype=mg.int64), 2), NotImplementedError,
     "adaptive_avg_pool2d: not implemented for int64"),
    (lambda: F.adaptive_max_pool2d(mg.zeros(1, 4, 4), (2, 2, 2)), RuntimeError,
     "adaptive_max_pool2d: output_size must be an int or a tuple of 2"),
    (lambda: F.adaptive_avg_pool1d(mg.zeros(1, 4, 4), -1), RuntimeError,
     r"adaptive_avg_pool1d: elements of output_size must be >= 0, got \(-1,\)"),
    (lambda: F.adaptive_max_pool1d(mg.zeros(4), 2), RuntimeError, r"got shape \(4,\)"),
]


@pytest.mark.parametrize("call, kind, message", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors_name_the_op_and_shapes(call, kind, message):
    with pytest.raises(kind, match=message):
        call()
