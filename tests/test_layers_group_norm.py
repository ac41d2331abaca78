"""The rules of ``nn.GroupNorm`` / ``F.group_norm`` and ``nn.RMSNorm`` / ``F.rms_norm``
beyond the registry sweeps, against PyTorch: their parameters, ``eps=None`` meaning the
dtype's machine epsilon, the same statistics in train and eval, float32 stability and
PyTorch's errors."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.errors import DTypeError
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")


def _pair(values, dtype=np.float32):
    values = np.asarray(values, dtype)
    return mg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)


def _assert_forward_and_grad_match(out, t_out, inputs, rtol):
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=rtol, atol=rtol)
    cotangent = np.random.default_rng(0).standard_normal(out.shape).astype(out.numpy().dtype)
    out.backward(mg.tensor(cotangent))
    t_out.backward(torch.tensor(cotangent))
    for x, tx in inputs:
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=10 * rtol,
                                   atol=10 * rtol)


# ----------------------------------------------------------------------------- GroupNorm
def test_group_norm_parameters_and_repr():
    gn = nn.GroupNorm(2, 6)
    assert [name for name, _ in gn.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(gn.weight.numpy(), np.ones(6))
    np.testing.assert_array_equal(gn.bias.numpy(), np.zeros(6))
    assert repr(nn.GroupNorm(3, 6, eps=1e-3, affine=False)) == \
        repr(torch.nn.GroupNorm(3, 6, eps=1e-3, affine=False))
    assert list(nn.GroupNorm(3, 6, affine=False).state_dict()) == []
    assert nn.GroupNorm(2, 4, dtype=mg.float64).weight.dtype == mg.float64


def test_group_norm_uses_the_input_statistics_in_eval_too():
    gn = nn.GroupNorm(2, 4)
    x = mg.randn(3, 4, 5) * 3 + 2
    np.testing.assert_array_equal(gn(x).numpy(), gn.eval()(x).numpy())
    assert list(gn.buffers()) == []


@pytest.mark.parametrize("shape, groups", [((2, 6, 2, 2, 3), 3), ((4, 6), 6), ((1, 4, 7), 1)])
def test_group_norm_matches_torch_on_any_rank(shape, groups, backend):
    rng = np.random.default_rng(1)
    (x, tx), (w, tw), (b, tb) = (_pair(rng.standard_normal(shape) * 2 + 1),
                                 _pair(rng.uniform(0.5, 1.5, shape[1])),
                                 _pair(rng.standard_normal(shape[1])))
    out = F.group_norm(x, groups, w, b, eps=1e-4)
    t_out = torch.nn.functional.group_norm(tx, groups, tw, tb, eps=1e-4)
    _assert_forward_and_grad_match(out, t_out, [(x, tx), (w, tw), (b, tb)], 1e-5)


def test_group_norm_is_stable_for_offset_float32_input():
    rng = np.random.default_rng(2)
    values = (rng.standard_normal((2, 4, 8)) + 1e4).astype(np.float32)
    out = F.group_norm(mg.tensor(values), 2).numpy()
    exact = torch.nn.functional.group_norm(torch.tensor(values, dtype=torch.float64), 2)
    np.testing.assert_allclose(out, exact.numpy(), atol=1e-3)


@pytest.mark.parametrize("call, match", [
    (lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 3), 4), "divisible by num_groups"),
    (lambda lib: lib.nn.functional.group_norm(lib.ones(6), 3), "2"),
    (lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 3), 3, lib.ones(5)), "weight"),
])
def test_group_norm_errors_are_runtime_errors_as_torch(call, match):
    for lib in (mg, torch):
        with pytest.raises(RuntimeError, match=match):
            call(lib)


def test_group_norm_module_rejects_indivisible_channels():
    for lib in (mg, torch):
        with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by "
                                             r"num_groups \(4\)"):
            lib.nn.GroupNorm(4, 6)


# ----------------------------------------------------------------------------- RMSNorm
def test_rms_norm_parameters_and_repr():
    norm = nn.RMSNorm([2, 3])
    assert norm.normalized_shape == (2, 3) and norm.eps is None
    np.testing.assert_array_equal(norm.weight.numpy(), np.ones((2, 3)))
    assert repr(norm) == repr(torch.nn.RMSNorm([2, 3]))
    assert repr(nn.RMSNorm(4, eps=1e-3, elementwise_affine=False)) == \
        repr(torch.nn.RMSNorm(4, eps=1e-3, elementwise_affine=False))
    assert list(nn.RMSNorm(4, elementwise_affine=False).state_dict()) == []


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_rms_norm_default_eps_is_the_dtypes_epsilon(dtype, rtol, backend):
    """At inputs of size 1e-4 the mean square (1e-8) is below float32's epsilon (1.2e-7),
    so the value depends on which eps is used."""
    rng = np.random.default_rng(3)
    (x, tx), (w, tw) = _pair(rng.standard_normal((3, 5)) * 1e-4, dtype), _pair(
        rng.uniform(0.5, 1.5, 5), dtype)
    out = F.rms_norm(x, (5,), w)
    t_out = torch.nn.functional.rms_norm(tx, (5,), tw)
    _assert_forward_and_grad_match(out, t_out, [(x, tx), (w, tw)], rtol)
    eps = np.finfo(dtype).eps
    data = x.detach().numpy().astype(np.float64)
    expected = data / np.sqrt((data ** 2).mean(axis=1, keepdims=True) + eps) * \
        w.detach().numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=10 * rtol)


def test_rms_norm_module_matches_torch_in_float64():
    rng = np.random.default_rng(4)
    values = rng.standard_normal((2, 3, 4, 5)) * 3
    norm, t_norm = nn.RMSNorm((4, 5), eps=1e-6).double(), torch.nn.RMSNorm((4, 5), eps=1e-6)
    t_norm = t_norm.double()
    with torch.no_grad():
        t_norm.weight.uniform_(0.5, 1.5)
    norm.load_state_dict(t_norm.state_dict())
    x, tx = _pair(values, np.float64)
    _assert_forward_and_grad_match(norm(x), t_norm(tx), [(x, tx)], 1e-12)
    np.testing.assert_allclose(norm.weight.grad.numpy(), t_norm.weight.grad.numpy(),
                               rtol=1e-10)


@pytest.mark.parametrize("call, match", [
    (lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 6), (5,)), "normalized_shape"),
    (lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 6), (6,), lib.ones(5)), "weight"),
])
def test_rms_norm_errors_are_runtime_errors_as_torch(call, match):
    for lib in (mg, torch):
        with pytest.raises(RuntimeError, match=match):
            call(lib)


def test_rms_norm_refuses_mixed_float_dtypes():
    with pytest.raises(DTypeError, match="float64"):
        F.rms_norm(mg.ones(2, 3), (3,), mg.ones(3, dtype=mg.float64))
