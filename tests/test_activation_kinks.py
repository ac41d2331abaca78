"""The activations of ``ops/activation_piecewise.py`` and ``ops/activation_smooth.py`` where
the registry sweeps do not look: the gradient exactly at a kink (the registry keeps its
samples away from kinks), NaN inputs, inputs where a naive exp overflows, PyTorch's
argument errors, softmin's implicit dim, and what the families export."""

import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import activation_piecewise, activation_smooth
from minigrad.testing.op_db import OP_DB

torch = pytest.importorskip("torch")

DTYPES = {"float32": (mg.float32, torch.float32), "float64": (mg.float64, torch.float64)}
SELU_SLOPE_AT_0 = 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


def _run(library, name, values, dtype, kwargs, weight=None):
    """``F.<name>(x, **kwargs)`` (and the weight, for prelu) in minigrad or torch on
    ``values``; the output and the input's gradient under a cotangent of ones, as arrays."""
    if library == "minigrad":
        x = mg.tensor(np.asarray(values), dtype=DTYPES[dtype][0], requires_grad=True)
        args = () if weight is None else (mg.tensor(np.asarray(weight), dtype=x.dtype),)
        out = getattr(mg.nn.functional, name)(x, *args, **kwargs)
        out.backward(mg.ones(out.shape, dtype=out.dtype))
        return out.numpy(), x.grad.numpy()
    x = torch.tensor(values, dtype=DTYPES[dtype][1], requires_grad=True)
    args = () if weight is None else (torch.tensor(weight, dtype=x.dtype),)
    out = getattr(torch.nn.functional, name)(x, *args, **kwargs)
    out.backward(torch.ones_like(out))
    return out.detach().numpy(), x.grad.numpy()


# name, kwargs, the kinks, the gradient there (PyTorch's side), the prelu weight
KINKS = [
    ("hardtanh", {}, [-1.0, 1.0], [0.0, 0.0], None),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, [-2.0, 3.0], [0.0, 0.0], None),
    ("relu6", {}, [0.0, 6.0], [0.0, 0.0], None),
    ("hardswish", {}, [-3.0, 3.0], [0.0, 1.0], None),
    ("hardsigmoid", {}, [-3.0, 3.0], [0.0, 0.0], None),
    ("threshold", {"threshold": 0.5, "value": -2.0}, [0.5], [0.0], None),
    ("prelu", {}, [0.0, 0.0], [0.25, 0.25], [0.25]),
    ("selu", {}, [0.0], [SELU_SLOPE_AT_0], None),
    ("celu", {"alpha": 2.0}, [0.0], [1.0], None),
    ("softsign", {}, [0.0], [1.0], None),
]


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("name, kwargs, kinks, slopes, weight", KINKS,
                         ids=[f"{k[0]}{k[1] or ''}" for k in KINKS])
def test_gradient_at_a_kink_is_pytorchs(name, kwargs, kinks, slopes, weight, dtype, backend):
    out, grad = _run("minigrad", name, kinks, dtype, kwargs, weight)
    t_out, t_grad = _run("torch", name, kinks, dtype, kwargs, weight)
    np.testing.assert_allclose(out, t_out, rtol=1e-6, atol=0, err_msg=f"{name} at {kinks}")
    np.testing.assert_allclose(grad, t_grad, rtol=1e-6, atol=0,
                               err_msg=f"{name}'s gradient at {kinks}")
    np.testing.assert_allclose(grad, slopes, rtol=1e-6, atol=0)


ELEMENTWISE = ["hardtanh", "relu6", "hardswish", "hardsigmoid", "silu", "mish", "selu", "celu",
               "logsigmoid", "softsign"]


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("name", ELEMENTWISE + ["threshold"])
def test_nan_input_gives_pytorchs_output_and_gradient(name, dtype, backend):
    kwargs = {"threshold": 0.5, "value": 2.0} if name == "threshold" else {}
    values = [float("nan"), -4.0, 0.25, 4.0]
    got, want = (_run(lib, name, values, dtype, kwargs) for lib in ("minigrad", "torch"))
    for what, a, b in zip(("output", "gradient"), got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=0, equal_nan=True,
                                   err_msg=f"{name} {what} with a NaN input")


TAILS = [-1e4, -800.0, -100.0, -30.0, 30.0, 100.0, 800.0, 1e4]


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("name", ["silu", "mish", "logsigmoid", "softsign", "selu", "celu",
                                  "glu"])
def test_far_tails_are_finite_exact_and_warning_free(name, dtype, backend):
    """exp(89) overflows float32 and exp(710) float64: no form here may take either."""
    values = [[v, -v] for v in TAILS] if name == "glu" else TAILS
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NOTE: NumPy's overflow warning fails the test
        out, grad = _run("minigrad", name, values, dtype, {})
    assert np.isfinite(out).all() and np.isfinite(grad).all(), (out, grad)
    t_out, t_grad = _run("torch", name, values, "float64", {})  # exact, for these inputs
    # NOTE: float32's atol covers its subnormals (mish(-100) = -3.7e-42 holds ~5 bits); the
    # gradients' covers 1 - sigmoid(30) = 0 in float32 (glu's gate, as PyTorch computes it)
    rtol, atol, g_atol = (1e-6, 1e-30, 1e-6) if dtype == "float32" else (1e-12, 0.0, 1e-12)
    np.testing.assert_allclose(out, t_out, rtol=rtol, atol=atol, err_msg=f"{name} forward")
    np.testing.assert_allclose(grad, t_grad, rtol=rtol, atol=g_atol,
                               err_msg=f"{name} gradient")


def test_logsigmoid_keeps_relative_precision_in_both_tails():
    # NOTE: the gradient sigmoid(-x) at x = 30 is 9.4e-14; 1 - sigmoid(x) would give 0 in
    # float32 and 1e-3 relative error in float64
    x = mg.tensor(np.linspace(-60.0, 60.0, 13), requires_grad=True, dtype=mg.float64)
    out = mg.nn.functional.logsigmoid(x)
    out.backward(mg.ones(13, dtype=mg.float64))
    values = x.numpy()
    np.testing.assert_allclose(out.numpy(), -np.logaddexp(0, -values), rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), np.exp(-np.logaddexp(0, values)), rtol=1e-14)


# ----------------------------------------------------------------------------- errors
ERRORS = {  # case -> (call on (functional module f, tensor maker t), op in the message)
    "hardtanh min_val > max_val": (lambda f, t: f.hardtanh(t([1.0]), 2.0, 1.0), "hardtanh"),
    "celu alpha 0": (lambda f, t: f.celu(t([1.0]), alpha=0.0), "celu"),
    "glu odd dim": (lambda f, t: f.glu(t([[1.0, 2.0, 3.0]])), "glu"),
    "glu 0-d": (lambda f, t: f.glu(t(1.0)), "glu"),
    "glu dim out of range": (lambda f, t: f.glu(t([[1.0, 2.0]]), dim=2), "glu"),
    "prelu 2-d weight": (lambda f, t: f.prelu(t([[1.0, 2.0]]), t([[0.25]])), "prelu"),
    "prelu channels": (lambda f, t: f.prelu(t([[1.0, 2.0, 3.0]]), t([0.1, 0.2])), "prelu"),
    "prelu 1-d input": (lambda f, t: f.prelu(t([1.0, 2.0]), t([0.1, 0.2])), "prelu"),
    "prelu 0-d input": (lambda f, t: f.prelu(t(1.0), t([0.1, 0.2])), "prelu"),
    "threshold without value": (lambda f, t: f.threshold(t([1.0]), 0.5), "threshold"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_argument_errors_are_pytorchs(case):
    call, op = ERRORS[case]
    with pytest.raises(Exception) as theirs:
        call(torch.nn.functional, torch.tensor)
    expected = next(k for k in (IndexError, TypeError, ValueError, RuntimeError)
                    if isinstance(theirs.value, k))
    with pytest.raises(expected, match=op):
        call(mg.nn.functional, mg.tensor)


@pytest.mark.parametrize("bounds", [(1.0, 1.0), (2.0, -1.0)])
def test_hardtanh_module_refuses_an_empty_range_as_pytorch(bounds):
    with pytest.raises(AssertionError):
        torch.nn.Hardtanh(*bounds)
    with pytest.raises(AssertionError, match="max_val"):
        mg.nn.Hardtanh(*bounds)


def test_hardtanh_deprecated_keywords_warn_and_apply():
    with pytest.warns(FutureWarning, match="deprecated") as caught:
        layer = mg.nn.Hardtanh(min_value=-0.5, max_value=0.5)
    assert ["min_value" in str(w.message) for w in caught] == [True, False]
    assert (layer.min_val, layer.max_val) == (-0.5, 0.5)
    assert repr(layer) == "Hardtanh(min_val=-0.5, max_val=0.5)"


def test_prelu_module_weight_init_dtype_and_channel_check():
    layer = mg.nn.PReLU(3, init=0.1, dtype=mg.float64)
    assert layer.weight.dtype == mg.float64 and layer.weight.shape == (3,)
    np.testing.assert_array_equal(layer.weight.numpy(), [0.1] * 3)
    assert list(layer.state_dict()) == ["weight"]
    with pytest.raises(RuntimeError, match="channel size = 4"):
        layer(mg.ones(2, 4, dtype=mg.float64))
    with pytest.raises(mg.errors.DTypeError):
        layer(mg.ones(2, 3))  # float32 input, float64 weight: minigrad never promotes


def test_inplace_is_accepted_and_returns_a_new_tensor():
    x = mg.tensor([-4.0, -1.0, 0.5, 4.0])
    before = x.numpy().copy()
    for name in ["hardtanh", "relu6", "hardswish", "hardsigmoid", "silu", "mish", "selu",
                 "celu"]:
        out = getattr(mg.nn.functional, name)(x, inplace=True)
        assert out is not x, name
        np.testing.assert_array_equal(x.numpy(), before, err_msg=name)


# ----------------------------------------------------------------------------- softmin
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 2)])
def test_softmin_without_dim_warns_and_takes_pytorchs_legacy_dim(shape):
    values = np.random.default_rng(3).standard_normal(shape)
    with pytest.warns(UserWarning, match="dim"):
        expected = torch.nn.functional.softmin(torch.tensor(values))
    with pytest.warns(UserWarning, match="softmin"):
        out = mg.nn.functional.softmin(mg.tensor(values))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)
    with pytest.warns(UserWarning):
        module_expected = torch.nn.Softmin()(torch.tensor(values))
    np.testing.assert_allclose(mg.nn.Softmin()(mg.tensor(values)).numpy(),
                               module_expected.numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- exports
FAMILIES = (activation_piecewise, activation_smooth)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_family_is_exported_as_pytorch_names_it(family):
    assert set(family.__all__) <= set(mg.nn.functional.__all__) & set(mg.ops.__all__)
    assert [n for n in family.__all__ if not hasattr(torch.nn.functional, n)] == []
    assert set(family.__all__) <= {info.name for info in OP_DB}  # every one is swept


TOP_LEVEL = {  # name -> its arguments after the input, built with mg.tensor or torch.tensor
    "relu": lambda t: (), "sigmoid": lambda t: (), "tanh": lambda t: (),
    "softmax": lambda t: (1,), "log_softmax": lambda t: (1,), "selu": lambda t: (),
    "celu": lambda t: (0.5,), "prelu": lambda t: (t(np.array([0.3])),),
    "threshold": lambda t: (0.5, -1.0),
}


@pytest.mark.parametrize("name", list(TOP_LEVEL))
def test_top_level_functions_are_torchs(name):
    assert name in mg.__all__ and hasattr(torch, name)
    values = np.linspace(-2.0, 2.0, 6).reshape(2, 3)
    out = getattr(mg, name)(mg.tensor(values), *TOP_LEVEL[name](mg.tensor))
    expected = getattr(torch, name)(torch.tensor(values), *TOP_LEVEL[name](torch.tensor))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


def test_tensor_prelu_method_matches_torch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    w = np.array([0.1, -0.2, 0.3], np.float32)
    expected = torch.tensor(x).prelu(torch.tensor(w)).numpy()
    np.testing.assert_allclose(mg.tensor(x).prelu(mg.tensor(w)).numpy(), expected, rtol=1e-6)
