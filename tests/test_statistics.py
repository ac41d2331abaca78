"""Behaviour of ``minigrad/ops/statistics.py`` that the registry sweeps cannot reach: the
gradient of prod through zeros, ties in amax/amin and the norm at 0, the non-differentiable
all/any/count_nonzero, and the argument errors, each against PyTorch."""

import math

import pytest

import minigrad as mg

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")


def _grads(values, call, **kwargs):
    """The output and input gradient of ``call`` (``mg`` or ``torch`` function of the same
    name) on float64 ``values``, in minigrad and in PyTorch."""
    results = []
    for lib, make in ((mg, mg.tensor), (torch, torch.tensor)):
        x = make(np.asarray(values, dtype=np.float64), requires_grad=True)
        out = getattr(lib, call)(x, **kwargs)
        out.sum().backward()
        results.append((np.asarray(out.detach().numpy()), np.asarray(x.grad.numpy())))
    return results


@pytest.mark.parametrize("values, kwargs", [
    ([[1.0, 0.0, 3.0], [2.0, 4.0, 5.0]], {}),
    ([[1.0, 0.0, 3.0], [2.0, 4.0, 5.0]], {"dim": 1}),
    ([[0.0, 0.0, 3.0], [2.0, 0.0, 5.0]], {"dim": 1, "keepdim": True}),
    ([[0.0, 0.0, 3.0], [2.0, 0.0, 5.0]], {}),
], ids=["one_zero", "one_zero_dim", "two_zeros_dim", "three_zeros"])
def test_prod_gradient_through_zeros_matches_torch(values, kwargs, backend):
    (out, grad), (t_out, t_grad) = _grads(values, "prod", **kwargs)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_array_equal(grad, t_grad)


@pytest.mark.parametrize("call", ["amax", "amin"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": (0, 1), "keepdim": True}])
def test_amax_amin_share_the_gradient_among_ties(call, kwargs, backend):
    values = [[1.0, 3.0, 3.0, -2.0], [-2.0, 0.5, 3.0, -2.0]]
    (out, grad), (t_out, t_grad) = _grads(values, call, **kwargs)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-15)


@pytest.mark.parametrize("p", [2, "fro", 3, math.inf])
def test_norm_gradient_at_zero_is_zero_as_torch(p, backend):
    (out, grad), (t_out, t_grad) = _grads([0.0, 0.0, 0.0], "norm", p=p)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_array_equal(grad, t_grad)
    assert not grad.any()


def test_logsumexp_is_stable_and_handles_minus_inf(backend):
    values = [[1000.0, 1000.0], [-math.inf, -math.inf], [-math.inf, 0.0]]
    (out, grad), (t_out, t_grad) = _grads(values, "logsumexp", dim=1)
    np.testing.assert_allclose(out, t_out, rtol=1e-15)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-15)


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": (0, 2)}, {"dim": -1, "keepdim": True}])
@pytest.mark.parametrize("call", ["all", "any"])
def test_all_any_return_bool_tensors_as_torch(call, kwargs, backend):
    values = np.array([[[1, 0, 2], [3, 4, 5]], [[0, 0, 0], [1, 1, 1]]])
    out = getattr(mg, call)(mg.tensor(values), **kwargs)
    expected = getattr(torch, call)(torch.tensor(values), **kwargs)
    assert isinstance(out, mg.Tensor) and out.dtype == mg.bool
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    method = getattr(mg.tensor(values), call)(**kwargs)
    np.testing.assert_array_equal(method.numpy(), expected.numpy())


@pytest.mark.parametrize("dim", [None, 0, (0, 2), -1])
def test_count_nonzero_matches_torch(dim, backend):
    values = np.array([[[1.0, 0.0, 2.0], [3.0, 0.0, 5.0]], [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]])
    out = mg.count_nonzero(mg.tensor(values), dim)
    expected = torch.count_nonzero(torch.tensor(values), dim)
    assert out.dtype == mg.int64
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_tuple_results_and_integer_prod(backend):
    x = mg.tensor([[1.0, 2.0], [3.0, 5.0]])
    spread, average = mg.std_mean(x, dim=0, correction=0)
    t_spread, t_average = torch.std_mean(torch.tensor(x.numpy()), dim=0, correction=0)
    np.testing.assert_allclose(spread.numpy(), t_spread.numpy(), rtol=1e-6)
    np.testing.assert_allclose(average.numpy(), t_average.numpy(), rtol=1e-6)
    product = mg.tensor([2, 3, 4]).prod()
    assert product.dtype == mg.int64 and product.item() == 24


def test_errors_name_the_op(backend):
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match="prod: dim"):
        mg.prod(x, (0, 1))
    with pytest.raises(ValueError, match="norm: p"):
        mg.norm(x, p="nuc")
    with pytest.raises(IndexError, match="cumsum: dim 2"):
        mg.cumsum(x, 2)
    with pytest.raises(TypeError, match="logsumexp"):
        mg.logsumexp(mg.tensor([1, 2]), 0)
