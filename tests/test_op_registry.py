"""Sweeps over the op registry: every op's backward against finite differences, its forward
against the NumPy reference, and the checker itself against deliberately wrong backwards."""

import pytest

import minigrad as mg
from minigrad.autograd.gradcheck import check_gradients
from minigrad.testing.gradcheck_sweep import bind_kwargs, make_args, reference_output, samples_of
from minigrad.testing.op_db import OP_DB

np = pytest.importorskip("numpy")

CASES = [pytest.param(info, sample, id=f"{info.name}-{sample.name}")
         for info in OP_DB for sample in samples_of(info)]


def _differentiable(args):
    return [a for a in args if isinstance(a, mg.Tensor) and a.requires_grad]


@pytest.mark.parametrize("info, sample", CASES)
def test_backward_matches_finite_differences(info, sample, backend):
    args = make_args(sample, backend)
    report = check_gradients(bind_kwargs(info.op, sample.kwargs), args)
    assert report.passed, report.message


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("info, sample", CASES)
def test_forward_matches_reference(info, sample, dtype, backend):
    out = info.op(*make_args(sample, backend, dtype), **sample.kwargs)
    expected = reference_output(info, sample)
    assert out.shape == np.shape(expected)
    assert out.dtype == dtype, f"{info.name} promoted or demoted {dtype} to {out.dtype}"
    rtol = 1e-12 if dtype == mg.float64 else info.forward_rtol32
    np.testing.assert_allclose(out.numpy(), expected, rtol=rtol, atol=rtol * 10)


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("info, sample", CASES)
def test_gradient_has_input_shape_and_dtype(info, sample, dtype, backend):
    args = make_args(sample, backend, dtype)
    out = info.op(*args, **sample.kwargs)
    out.backward(mg.ones(out.shape, dtype=dtype))
    for t in _differentiable(args):
        assert t.grad is not None
        assert t.grad.shape == t.shape
        assert t.grad.dtype == t.dtype


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("info, sample", CASES)
def test_every_backend_agrees_with_numpy(info, sample, dtype, backend):
    """Forward values and every gradient on ``backend`` equal the NumPy backend's, to
    float rounding (fused kernels sum in another order, and in float64)."""
    results = []
    for name in ("numpy", backend):
        args = make_args(sample, name, dtype)
        out = info.op(*args, **sample.kwargs)
        cotangent = np.random.default_rng(1).standard_normal(out.shape)
        out.backward(mg.tensor(cotangent, dtype=dtype, backend=name))
        results.append([out.numpy()] + [t.grad.numpy() for t in _differentiable(args)])
    rtol = 1e-12 if dtype == mg.float64 else 1e-5
    for reference, got in zip(*results):
        np.testing.assert_allclose(got, reference, rtol=rtol, atol=rtol)


def _wrong_backward(monkeypatch, function, factor):
    """Make ``function``'s backward scale every gradient it returns by ``factor``."""
    original = function.backward

    def scaled(ctx, *grads):
        result = original(ctx, *grads)
        result = result if isinstance(result, tuple) else (result,)
        return tuple(None if g is None else g * factor for g in result)

    monkeypatch.setattr(function, "backward", staticmethod(scaled))


@pytest.mark.parametrize("info", OP_DB, ids=lambda i: i.name)
def test_gradcheck_catches_one_percent_error(info, monkeypatch):
    _wrong_backward(monkeypatch, info.function, 1.01)
    sample = samples_of(info)[0]
    report = check_gradients(bind_kwargs(info.op, sample.kwargs), make_args(sample))
    assert not report.passed


@pytest.mark.parametrize("info", OP_DB, ids=lambda i: i.name)
def test_gradcheck_catches_a_tenth_of_a_percent_with_tight_rtol(info, monkeypatch):
    _wrong_backward(monkeypatch, info.function, 1.001)
    sample = samples_of(info)[0]
    report = check_gradients(bind_kwargs(info.op, sample.kwargs), make_args(sample),
                             atol=1e-8, rtol=1e-4)
    assert not report.passed


def test_every_core_op_of_the_foundation_is_registered():
    required = {"add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "clamp",
                "maximum", "minimum", "where", "matmul", "sum", "mean", "max", "min", "var",
                "reshape", "transpose", "permute", "squeeze", "unsqueeze", "flatten",
                "getitem", "cat", "stack", "relu", "leaky_relu", "elu", "sigmoid", "tanh",
                "gelu", "softmax", "log_softmax"}
    assert required <= {info.name for info in OP_DB}


def test_every_registered_op_has_broadcast_scalar_or_edge_samples():
    for info in OP_DB:
        assert len(samples_of(info)) >= 2, info.name
