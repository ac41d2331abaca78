"""``F.interpolate`` and ``nn.Upsample`` beyond the registry sweeps: the source indices
against PyTorch's over a grid of sizes and scale factors (in float32, where a source point
falling on an integer decides which neighbours are read), the one place PyTorch's 1-D
nearest backward is not its forward's transpose, and PyTorch's errors."""

import itertools

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

LENGTHS = [1, 2, 3, 5, 8, 13]
TARGETS = [{"size": 1}, {"size": 4}, {"size": 9}, {"size": 26}, {"scale_factor": 0.45},
           {"scale_factor": 1.1}, {"scale_factor": 2.0}, {"scale_factor": 2.1},
           {"scale_factor": 3.3}, {"scale_factor": 1.7, "recompute_scale_factor": True}]


def _torch_or_none(x, **kwargs):
    try:
        return TF.interpolate(torch.tensor(x), **kwargs)
    except RuntimeError:  # output size 0
        return None


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: "-".join(map(str, t.values())))
def test_nearest_picks_torchs_source_elements(target):
    rng = np.random.default_rng(0)
    for n in LENGTHS:
        for x in (rng.standard_normal((1, 2, n, n + 2)).astype(np.float32),
                  rng.standard_normal((1, 2, n)).astype(np.float32)):
            expected = _torch_or_none(x, **target)
            if expected is None:
                continue
            got = F.interpolate(mg.tensor(x), **target)
            np.testing.assert_array_equal(got.numpy(), expected.numpy(), err_msg=f"{n} {target}")


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: "-".join(map(str, t.values())))
def test_bilinear_matches_torch_in_float32_and_float64(target, align_corners):
    rng = np.random.default_rng(1)
    for n, dtype in itertools.product(LENGTHS, (np.float32, np.float64)):
        x = rng.standard_normal((2, 2, n, n + 3)).astype(dtype)
        kwargs = dict(target, mode="bilinear", align_corners=align_corners)
        expected = _torch_or_none(x, **kwargs)
        if expected is None:
            continue
        got = F.interpolate(mg.tensor(x), **kwargs)
        assert got.dtype.name == np.dtype(dtype).name
        tol = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=tol, atol=tol,
                                   err_msg=f"{n} {kwargs}")


def test_bilinear_gradient_matches_torch_when_upsampling_and_downsampling():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 6, 5))
    for kwargs in ({"size": (13, 3)}, {"scale_factor": (0.4, 2.6)}):
        for align in (False, True):
            mg_x = mg.tensor(x, requires_grad=True)
            t_x = torch.tensor(x, requires_grad=True)
            out = F.interpolate(mg_x, mode="bilinear", align_corners=align, **kwargs)
            t_out = TF.interpolate(t_x, mode="bilinear", align_corners=align, **kwargs)
            cotangent = rng.standard_normal(out.shape)
            out.backward(mg.tensor(cotangent))
            t_out.backward(torch.tensor(cotangent))
            np.testing.assert_allclose(mg_x.grad.numpy(), t_x.grad.numpy(), rtol=1e-12,
                                       atol=1e-12)


def test_1d_nearest_gradient_is_the_transpose_of_its_forward_where_torchs_is_not():
    """With a scale factor that keeps the length (6 * 1.1 -> 6), PyTorch's 1-D forward reads
    elements [0, 0, 1, 2, 3, 4] but its backward copies the gradient straight through; ours
    is the forward's transpose: <g, f(x)> = <f^T g, x>."""
    rng = np.random.default_rng(3)
    x_values, g = rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 3, 6))
    x = mg.tensor(x_values, requires_grad=True)
    out, expected = F.interpolate(x, scale_factor=1.1), TF.interpolate(
        torch.tensor(x_values), scale_factor=1.1)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    out.backward(mg.tensor(g))
    np.testing.assert_allclose((g * out.numpy()).sum(), (x.grad.numpy() * x_values).sum(),
                               rtol=1e-12)
    np.testing.assert_array_equal(x.grad.numpy()[..., -1], 0.0)  # element 5 is never read


def test_upsample_keeps_scale_factor_as_float_and_calls_interpolate():
    layer = mg.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
    assert layer.scale_factor == 2.0 and isinstance(layer.scale_factor, float)
    assert mg.nn.Upsample(scale_factor=(2, 3)).scale_factor == (2.0, 3.0)
    x = np.random.default_rng(4).standard_normal((1, 2, 3, 4))
    expected = torch.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)(
        torch.tensor(x))
    np.testing.assert_allclose(layer(mg.tensor(x)).numpy(), expected.numpy(), rtol=1e-12)


X4 = mg.zeros(1, 1, 3, 4)
ERRORS = [
    (lambda: F.interpolate(X4, size=2, align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes"),
    (lambda: F.interpolate(X4, size=2, scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda: F.interpolate(X4), ValueError, "either size or scale_factor should be defined"),
    (lambda: F.interpolate(X4, size=(2, 3, 4)), ValueError,
     r"spatial dimensions of \[3, 4\] and output size of \(2, 3, 4\)"),
    (lambda: F.interpolate(X4, scale_factor=(2,)), ValueError, "scale_factor of shape"),
    (lambda: F.interpolate(X4, size=2, recompute_scale_factor=True), ValueError,
     "recompute_scale_factor is not meaningful with an explicit size"),
    (lambda: F.interpolate(X4, size=2.5), TypeError, "size must be an int or a tuple of ints"),
    (lambda: F.interpolate(X4, size=2, mode="bicubic"), NotImplementedError,
     r"interpolate: mode='bicubic' on 4-D input \(1, 1, 3, 4\) is not supported"),
    (lambda: F.interpolate(mg.zeros(1, 1, 4), size=2, mode="bilinear"), NotImplementedError,
     "mode='bilinear' on 3-D input"),
    (lambda: F.interpolate(mg.zeros(1, 1, 2, 2, 2), size=2), NotImplementedError,
     "mode='nearest' on 5-D input"),
    (lambda: F.interpolate(X4, size=2, mode="bilinear", antialias=True), NotImplementedError,
     "mode='bilinear' with antialias"),
    (lambda: F.interpolate(X4, size=2, antialias=True), ValueError,
     "Anti-alias option is restricted"),
    (lambda: F.interpolate(X4, scale_factor=0.2), RuntimeError,
     r"input and output sizes should be greater than 0, but got input \(1, 1, 3, 4\) and "
     r"output size \(0, 0\)"),
    (lambda: F.interpolate(mg.zeros(1, 1, 3, 4, dtype=mg.int64), size=2), NotImplementedError,
     "interpolate: mode='nearest' is not implemented for int64"),
]


@pytest.mark.parametrize("call, kind, message", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors_match_torchs_kinds_and_name_the_shapes(call, kind, message):
    with pytest.raises(kind, match=message):
        call()
