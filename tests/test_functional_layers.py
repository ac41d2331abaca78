"""``F.one_hot``, ``F.pad``, ``F.normalize``, ``F.cosine_similarity`` and ``nn.Bilinear``
beyond the registry sweeps, against PyTorch: one-hot codes and their errors, padding of
integer tensors and PyTorch's limits per mode, the eps clamps near zero, and the bilinear
layer's init, values and gradients."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")


def _raises_like_torch(call, error, match):
    """``call(lib)`` raises ``error`` in both minigrad and torch; minigrad's says ``match``."""
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=match):
        call(mg)


# ----------------------------------------------------------------------------- one_hot
@pytest.mark.parametrize("labels, num_classes", [([2, 0, 1], -1), ([[1, 3], [0, 0]], 5),
                                                 (1, 3), ([], 4)],
                         ids=["inferred", "2d", "scalar", "empty"])
def test_one_hot_matches_torch(labels, num_classes, backend):
    out = F.one_hot(mg.tensor(labels, dtype=mg.int64), num_classes)
    expected = torch.nn.functional.one_hot(torch.tensor(labels, dtype=torch.int64),
                                           num_classes)
    assert out.dtype == mg.int64 and out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("labels, dtype, num_classes, match", [
    ([1, 2], "int32", -1, "int64"),
    ([], "int64", -1, "empty"),
    ([-1], "int64", -1, "non-negative"),
    ([3], "int64", 3, "smaller than num_classes"),
])
def test_one_hot_errors_as_torch(labels, dtype, num_classes, match):
    _raises_like_torch(lambda lib: lib.nn.functional.one_hot(
        lib.tensor(labels, dtype=getattr(lib, dtype)), num_classes), RuntimeError, match)


# ----------------------------------------------------------------------------- pad
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(2, 1), (-1, 3), (3, -2), (0, 0, 1, 2), (1, 1, -1, 1)])
def test_pad_positions_match_torch(mode, pad, backend):
    """An arange input shows which element lands where, crops included."""
    values = np.arange(2 * 4 * 5, dtype=np.float32).reshape(2, 4, 5)
    out = F.pad(mg.tensor(values), pad, mode)
    expected = torch.nn.functional.pad(torch.tensor(values), pad, mode)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_edge_modes_accept_a_zero_value_as_torch():
    x = mg.tensor([[1.0, 2.0]])
    np.testing.assert_array_equal(F.pad(x, (1, 1), "replicate", 0.0).numpy(), [[1, 1, 2, 2]])


def test_constant_pad_of_integers_stays_integer():
    out = F.pad(mg.tensor([[1, 2]]), (1, 1), value=7)
    assert out.dtype == mg.int64
    np.testing.assert_array_equal(out.numpy(), [[7, 1, 2, 7]])


def test_reflect_pad_gradient_adds_up_copies():
    x = mg.tensor([[1.0, 2.0, 3.0]], dtype=mg.float64, requires_grad=True)
    F.pad(x, (2, 2), "reflect").sum().backward()  # 3 2 | 1 2 3 | 2 1
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 3.0, 2.0]])


@pytest.mark.parametrize("call, error, match", [
    (lambda lib: lib.nn.functional.pad(lib.zeros(2, 2), (1,)), RuntimeError, "divisible"),
    (lambda lib: lib.nn.functional.pad(lib.zeros(2, 2), (1, 1, 1, 1, 1, 1)), RuntimeError,
     "covers 3 dims"),
    (lambda lib: lib.nn.functional.pad(lib.zeros(2, 2), (-3, 1)), RuntimeError, "crops"),
    (lambda lib: lib.nn.functional.pad(lib.zeros(2, 2), (1, 1), "reflect", 2.5), RuntimeError,
     "value"),
    (lambda lib: lib.nn.functional.pad(lib.zeros(2, 2), (1, 1), "bogus"),
     NotImplementedError, "bogus"),
    (lambda lib: lib.nn.functional.pad(lib.zeros(5), (1, 1), "replicate"),
     NotImplementedError, "1-D"),
    (lambda lib: lib.nn.functional.pad(lib.zeros(2, 2, 2, 2), (1, 1), "circular"),
     NotImplementedError, "4-D"),
    (lambda lib: lib.nn.functional.pad(lib.zeros(1, 3), (3, 0), "reflect"), RuntimeError,
     "too wide"),
    (lambda lib: lib.nn.functional.pad(lib.zeros(1, 3), (-1, 3), "circular"), RuntimeError,
     "too wide"),
    (lambda lib: lib.nn.functional.pad(lib.zeros(1, 3), (-3, 0), "replicate"), RuntimeError,
     "too wide"),
])
def test_pad_errors_as_torch(call, error, match):
    _raises_like_torch(call, error, match)


# ----------------------------------------------------------------------------- normalize
def _pair(values):
    return (mg.tensor(values, dtype=mg.float64, requires_grad=True),
            torch.tensor(values, dtype=torch.float64, requires_grad=True))


def _assert_same_values_and_grads(out, t_out, inputs):
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-12, atol=1e-15)
    cotangent = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(mg.tensor(cotangent))
    t_out.backward(torch.tensor(cotangent))
    for x, tx in inputs:
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


def test_normalize_clamps_tiny_norms_at_eps_as_torch():
    values = np.array([[3e-13, -4e-13], [3.0, 4.0], [0.0, 0.0]])
    (x, tx) = _pair(values)
    out = F.normalize(x, eps=1e-12)
    _assert_same_values_and_grads(out, torch.nn.functional.normalize(tx, eps=1e-12), [(x, tx)])
    np.testing.assert_allclose(out.numpy(), [[0.3, -0.4], [0.6, 0.8], [0.0, 0.0]])


def test_cosine_similarity_near_zero_matches_torchs_formula():
    """Below eps the norms are clamped for the value, while the gradient still goes
    through the unclamped norm (PyTorch clamps without recording it)."""
    a = np.array([[1e-9, 2e-9, -1e-9], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    b = np.array([[1.0, 0.5, 2.0], [3e-10, 1e-10, 0.0], [1.0, 1.0, 1.0]])
    (x1, t1), (x2, t2) = _pair(a), _pair(b)
    out = F.cosine_similarity(x1, x2, eps=1e-8)
    t_out = torch.nn.functional.cosine_similarity(t1, t2, eps=1e-8)
    _assert_same_values_and_grads(out, t_out, [(x1, t1), (x2, t2)])


def test_cosine_similarity_of_parallel_vectors_is_one_as_torch():
    values = np.random.default_rng(2).standard_normal((200, 7))
    out = F.cosine_similarity(mg.tensor(values), mg.tensor(2.5 * values)).numpy()
    expected = torch.nn.functional.cosine_similarity(torch.tensor(values),
                                                     torch.tensor(2.5 * values)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    np.testing.assert_allclose(out, 1.0, rtol=1e-15)


@pytest.mark.parametrize("call, error", [
    (lambda lib: lib.nn.functional.cosine_similarity(lib.ones(3), lib.ones(3)), IndexError),
    (lambda lib: lib.nn.functional.cosine_similarity(lib.ones(2, 3), lib.ones(4, 3)),
     RuntimeError),
    (lambda lib: lib.nn.functional.cosine_similarity(lib.tensor([[1, 2]]),
                                                     lib.tensor([[1, 2]])), RuntimeError),
])
def test_cosine_similarity_errors_as_torch(call, error):
    _raises_like_torch(call, error, "cosine_similarity")


# ----------------------------------------------------------------------------- Bilinear
def test_bilinear_layer_matches_torch(backend):
    torch_layer = torch.nn.Bilinear(3, 2, 4).double()
    layer = nn.Bilinear(3, 2, 4, dtype=mg.float64)
    layer.load_state_dict(torch_layer.state_dict())
    rng = np.random.default_rng(1)
    (x1, t1), (x2, t2) = _pair(rng.standard_normal((2, 5, 3))), _pair(
        rng.standard_normal((2, 5, 2)))
    _assert_same_values_and_grads(layer(x1, x2), torch_layer(t1, t2), [(x1, t1), (x2, t2)])
    for name, p in torch_layer.named_parameters():
        np.testing.assert_allclose(getattr(layer, name).grad.numpy(), p.grad.numpy(),
                                   rtol=1e-10, err_msg=name)


def test_bilinear_init_is_uniform_within_one_over_sqrt_in1():
    layer = nn.Bilinear(16, 7, 300)
    assert layer.weight.shape == (300, 16, 7) and layer.bias.shape == (300,)
    for p in (layer.weight, layer.bias):
        values = p.numpy()
        assert np.abs(values).max() <= 0.25 and np.abs(values).max() > 0.24
        assert abs(values.std() - 0.25 / np.sqrt(3)) < 0.01
    assert nn.Bilinear(2, 3, 4, bias=False).bias is None


@pytest.mark.parametrize("shapes, match", [
    (((2, 3), (3, 4), (2, 3, 4), None), "batch"),
    (((2, 3), (2, 5), (2, 3, 4), None), "input2 has 5 features"),
    (((2, 3), (2, 4), (2, 3, 4), (3,)), "bias"),
])
def test_bilinear_errors_as_torch(shapes, match):
    def call(lib):
        args = [lib.ones(*shape) if shape else None for shape in shapes]
        return lib.nn.functional.bilinear(*args)
    _raises_like_torch(call, RuntimeError, match)
