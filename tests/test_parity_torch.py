"""PyTorch parity: every registered op's forward and backward against torch on the same data,
ties in max/min, numerically extreme inputs, and a small MLP end to end.

PyTorch is the contract (API.md), so here it is the oracle: same inputs, same cotangent, and
every value, shape, dtype and gradient must agree to float rounding.
"""

import zlib

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing.gradcheck_sweep import make_args, samples_of
from minigrad.testing.op_db import OP_DB

torch = pytest.importorskip("torch")

DTYPES = [pytest.param(mg.float32, id="float32"), pytest.param(mg.float64, id="float64")]
TORCH_DTYPE = {"float32": torch.float32, "float64": torch.float64}
CASES = [pytest.param(info, sample, id=f"{info.name}-{sample.name}")
         for info in OP_DB if info.torch_op is not None for sample in samples_of(info)]


def _tolerances(dtype, rtol32=1e-5):
    """(rtol, atol) for comparing a minigrad result with torch's in ``dtype``."""
    return (1e-10, 1e-12) if dtype == mg.float64 else (rtol32, 1e-6)


def _rng(name):
    """A generator seeded by the test's name: each case draws its own, repeatable numbers."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def _is_float_array(value):
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def _torch_args(sample, torch_dtype, host_dtype=np.float64):
    """The sample's arguments for torch, as ``make_args`` makes them for minigrad: float
    arrays (rounded through ``host_dtype``) as ``torch_dtype``, requiring grad unless frozen;
    integer and bool arrays as plain tensors; anything else as it is."""
    def convert(position, value):
        if _is_float_array(value):
            return torch.tensor(value.astype(host_dtype), dtype=torch_dtype,
                                requires_grad=position not in sample.frozen)
        if isinstance(value, np.ndarray):
            return torch.tensor(value)
        return value
    return tuple(convert(i, a) for i, a in enumerate(sample.args))


def _torch_run(info, sample, cotangent, torch_dtype, host_dtype):
    """Torch's output and the gradients of its float inputs that require grad (None where
    torch leaves one unset), as NumPy arrays."""
    args = _torch_args(sample, torch_dtype, host_dtype)
    out = info.torch_op(torch, *args, **sample.kwargs)
    out.backward(torch.tensor(cotangent, dtype=torch_dtype))
    grads = [None if a.grad is None else a.grad.numpy() for a in args
             if isinstance(a, torch.Tensor) and a.requires_grad]
    return out.detach().numpy(), grads


def _assert_close(actual, expected, rtol, atol, what):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def _assert_parity(actual, same_dtype, exact, rtol, atol, what):
    """``actual`` is within tolerance of torch in the same dtype or, where torch's float32
    kernel itself loses precision (e.g. layer_norm of rows offset by 1e4), of torch's float64
    result on the same float32 inputs: minigrad must never be worse than torch."""
    close = np.isclose(actual, same_dtype, rtol=rtol, atol=atol)
    if exact is not None:
        close |= np.isclose(actual, exact, rtol=rtol, atol=atol)
    if not close.all():
        _assert_close(actual, same_dtype, rtol, atol, f"{what} (and not close to float64)")


# ---------------------------------------------------------------- every registered op
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("info, sample", CASES)
def test_op_matches_torch(info, sample, dtype, backend):
    mg_args = make_args(sample, backend, dtype)
    out = info.op(*mg_args, **sample.kwargs)
    np_dtype = np.dtype(dtype.name)
    cotangent = _rng(f"{info.name}-{sample.name}").standard_normal(out.shape).astype(np_dtype)
    expected, expected_grads = _torch_run(info, sample, cotangent, TORCH_DTYPE[dtype.name],
                                          np_dtype)
    exact, exact_grads = (None, [None] * len(expected_grads))
    if dtype == mg.float32:  # the float32 inputs, computed exactly (to float64 rounding)
        exact, exact_grads = _torch_run(info, sample, cotangent, torch.float64, np_dtype)

    rtol, atol = _tolerances(dtype, info.forward_rtol32)
    assert out.shape == expected.shape
    assert out.dtype == dtype, f"{info.name} turned {dtype.name} inputs into {out.dtype.name}"
    _assert_parity(out.numpy(), expected, exact, rtol, atol, f"{info.name} forward")

    out.backward(mg.tensor(cotangent, dtype=dtype))
    g_rtol, g_atol = (rtol, atol) if dtype == mg.float64 else (10 * rtol, 10 * atol)
    inputs = [a for a in mg_args if isinstance(a, mg.Tensor) and a.requires_grad]
    assert inputs, f"{info.name}-{sample.name} has no input that requires grad"
    assert len(inputs) == len(expected_grads)
    for position, (x, t_grad, t_exact) in enumerate(zip(inputs, expected_grads, exact_grads)):
        what = f"{info.name} gradient of float input {position}"
        assert x.grad is not None, f"{what} is None"
        assert x.grad.shape == x.shape, what
        assert x.grad.dtype == dtype, what
        t_grad = np.zeros(x.shape) if t_grad is None else t_grad
        _assert_parity(x.grad.numpy(), t_grad, t_exact, g_rtol, g_atol, what)


# ---------------------------------------------------------------- ties in max and min
TIED = np.array([[1.0, 3.0, 3.0], [0.0, 3.0, 2.0], [5.0, 5.0, 5.0]])


def _pair(values, dtype=mg.float64):
    """The same values as a minigrad tensor and a torch tensor, both requiring grad."""
    return (mg.tensor(values, dtype=dtype, requires_grad=True),
            torch.tensor(values, dtype=TORCH_DTYPE[dtype.name], requires_grad=True))


@pytest.mark.parametrize("pick", ["max", "min"])
def test_full_reduction_splits_gradient_among_ties(pick):
    x, tx = _pair(TIED)
    getattr(x, pick)().backward(mg.tensor(1.5, dtype=mg.float64))
    getattr(torch, pick)(tx).backward(torch.tensor(1.5, dtype=torch.float64))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    ties = TIED == getattr(TIED, pick)()
    np.testing.assert_allclose(x.grad.numpy(), np.where(ties, 1.5 / ties.sum(), 0.0))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("pick", ["max", "min"])
def test_reduction_along_dim_sends_gradient_to_returned_index(pick, dim, keepdim):
    x, tx = _pair(TIED)
    values, indices = getattr(x, pick)(dim=dim, keepdim=keepdim)
    t_values, t_indices = getattr(torch, pick)(tx, dim=dim, keepdim=keepdim)
    np.testing.assert_array_equal(values.numpy(), t_values.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    assert indices.dtype == mg.int64

    cotangent = _rng(f"{pick}-{dim}-{keepdim}").standard_normal(values.shape)
    values.backward(mg.tensor(cotangent))
    t_values.backward(torch.tensor(cotangent))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    assert np.count_nonzero(x.grad.numpy()) == cotangent.size  # one winner per reduced slice


@pytest.mark.parametrize("pick", ["maximum", "minimum"])
def test_elementwise_extreme_splits_ties_in_half(pick):
    a_values = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]])
    b_values = np.array([[1.0, 0.0, 3.0], [-1.0, 5.0, 4.0]])  # ties where equal
    a, ta = _pair(a_values)
    b, tb = _pair(b_values)
    cotangent = _rng(pick).standard_normal(a_values.shape)
    getattr(mg, pick)(a, b).backward(mg.tensor(cotangent))
    getattr(torch, pick)(ta, tb).backward(torch.tensor(cotangent))
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12)
    tied = a_values == b_values
    np.testing.assert_allclose(a.grad.numpy()[tied], cotangent[tied] / 2)
    np.testing.assert_allclose(b.grad.numpy()[tied], cotangent[tied] / 2)


# ---------------------------------------------------------------- 0-d tensors
def _reduce(lib_tensor, name, dim, keepdim):
    """``name`` along ``dim`` on a minigrad or torch tensor: values only, population var."""
    if name == "var":
        return lib_tensor.var(dim=dim, keepdim=keepdim, correction=0)
    out = getattr(lib_tensor, name)(dim=dim, keepdim=keepdim)
    return out.values if name in ("max", "min") else out


@pytest.mark.parametrize("name", ["sum", "mean", "var", "max", "min"])
def test_reduction_of_a_0d_tensor_accepts_dim_0_and_minus_1(name):
    # NOTE: PyTorch treats a 0-d tensor as having one dim for dim arguments (as softmax does)
    for dim, keepdim in [(0, False), (-1, False), (0, True), (-1, True)]:
        case = f"{name}(dim={dim}, keepdim={keepdim}) of a 0-d tensor"
        x, tx = _pair(np.array(1.25))
        out = _reduce(x, name, dim, keepdim)
        expected = _reduce(tx, name, dim, keepdim)
        assert out.shape == tuple(expected.shape) == (), case
        _assert_close(out.numpy(), expected.detach().numpy(), 1e-12, 0.0, case)
        out.backward(mg.tensor(2.0, dtype=mg.float64))
        expected.backward(torch.tensor(2.0, dtype=torch.float64))
        _assert_close(x.grad.numpy(), tx.grad.numpy(), 1e-12, 0.0, f"gradient of {case}")


# ---------------------------------------------------------------- numerical stability
HUGE_LOGITS = np.array([[1e4, -1e4, 0.0, 1e4 - 1.0], [-1e4, -1e4, -1e4, 1e4]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_huge_logits_is_finite_and_matches_torch(name, dtype):
    x, tx = _pair(HUGE_LOGITS, dtype)
    out = getattr(x, name)(1)
    expected = getattr(torch, name)(tx, 1)
    rtol, atol = _tolerances(dtype)
    assert np.isfinite(out.numpy()).all(), out
    _assert_close(out.numpy(), expected.detach().numpy(), rtol, atol, f"{name} forward")

    cotangent = _rng(name).standard_normal(out.shape).astype(dtype.name)
    out.backward(mg.tensor(cotangent))
    expected.backward(torch.tensor(cotangent))
    assert np.isfinite(x.grad.numpy()).all(), x.grad
    _assert_close(x.grad.numpy(), tx.grad.numpy(), rtol, 10 * atol, f"{name} gradient")


def test_sigmoid_saturates_without_nan_in_float32():
    x, tx = _pair(np.array([-100.0, -30.0, 0.0, 30.0, 100.0]), mg.float32)
    out = x.sigmoid()
    expected = torch.sigmoid(tx)
    assert np.isfinite(out.numpy()).all(), out
    _assert_close(out.numpy(), expected.detach().numpy(), 1e-6, 1e-7, "sigmoid forward")
    out.backward(mg.ones(5))
    expected.backward(torch.ones(5))
    assert np.isfinite(x.grad.numpy()).all(), x.grad
    _assert_close(x.grad.numpy(), tx.grad.numpy(), 1e-5, 1e-7, "sigmoid gradient")


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_keeps_relative_precision_in_the_negative_tail(dtype):
    # NOTE: sigmoid(-30) = 9.4e-14 is a normal number in float32; PyTorch returns it to a few
    # ulps, and log(sigmoid(x)) stays finite. Relative, not absolute, error is what matters.
    x, tx = _pair(-np.linspace(5.0, 80.0, 16), dtype)
    out = x.sigmoid()
    expected = torch.sigmoid(tx)
    rtol, _ = _tolerances(dtype)
    _assert_close(out.numpy(), expected.detach().numpy(), rtol, 0.0, "sigmoid forward")
    out.backward(mg.ones(16, dtype=dtype))
    expected.backward(torch.ones(16, dtype=TORCH_DTYPE[dtype.name]))
    _assert_close(x.grad.numpy(), tx.grad.numpy(), 10 * rtol, 0.0, "sigmoid gradient")


def test_var_of_offset_data_is_accurate_in_float32():
    n = 50
    data = (1e4 + _rng("var").standard_normal((4, n))).astype(np.float32)
    x, tx = _pair(data, mg.float32)
    out = x.var(dim=1)
    expected = torch.var(tx, dim=1)
    exact = data.astype(np.float64).var(axis=1, ddof=1)  # the float32 data, in float64
    np.testing.assert_allclose(out.numpy(), exact, rtol=1e-4)
    _assert_close(out.numpy(), expected.detach().numpy(), 1e-4, 0.0, "var forward")

    out.backward(mg.ones(4))
    expected.backward(torch.ones(4))
    # NOTE: g = 2 (x - mean) / (n - 1); a float32 mean of values near 1e4 is off by a few
    # ulps of 1e4, which shifts every gradient element by 2 / (n - 1) times that
    g_atol = 2 / (n - 1) * 4 * float(np.spacing(np.float32(1e4)))
    _assert_close(x.grad.numpy(), tx.grad.numpy(), 1e-4, g_atol, "var gradient")


# ---------------------------------------------------------------- a composite model
def test_two_layer_mlp_loss_and_gradients_match_torch():
    rng = _rng("mlp")
    n, features, hidden, classes = 16, 6, 10, 4
    arrays = {"W1": rng.standard_normal((hidden, features)) / np.sqrt(features),
              "b1": rng.standard_normal(hidden) * 0.1,
              "W2": rng.standard_normal((classes, hidden)) / np.sqrt(hidden),
              "b2": rng.standard_normal(classes) * 0.1}
    arrays = {k: v.astype(np.float32) for k, v in arrays.items()}
    inputs = rng.standard_normal((n, features)).astype(np.float32)
    targets = rng.integers(0, classes, size=n)

    params = {k: mg.tensor(v, requires_grad=True) for k, v in arrays.items()}
    t_params = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}

    def loss_of(p, x, rows, cols):  # the same code runs on minigrad and torch tensors
        h = (x @ p["W1"].T + p["b1"]).relu()
        logp = (h @ p["W2"].T + p["b2"]).log_softmax(1)
        return -logp[rows, cols].mean()

    loss = loss_of(params, mg.tensor(inputs), mg.arange(n), mg.tensor(targets))
    t_loss = loss_of(t_params, torch.tensor(inputs), torch.arange(n), torch.tensor(targets))
    assert loss.dtype == mg.float32
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-5)

    loss.backward()
    t_loss.backward()
    for name, p in params.items():
        assert p.grad.shape == p.shape and p.grad.dtype == mg.float32, name
        _assert_close(p.grad.numpy(), t_params[name].grad.numpy(), 1e-4, 1e-6,
                      f"gradient of {name}")
