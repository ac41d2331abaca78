"""The rules of ``nn.Embedding`` and ``F.embedding`` beyond the registry sweeps, against
PyTorch: the padding row (zero at first, no gradient), repeated indices accumulating,
``max_norm`` renormalizing the table in place, ``scale_grad_by_freq``, ``from_pretrained``
and ``_weight``/``_freeze``, the initial distribution, and PyTorch's errors."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")

INDICES = np.array([[0, 2, 4, 2], [1, 2, 0, 3]])


def _pair_weights(rows=5, cols=3, seed=0):
    values = np.random.default_rng(seed).standard_normal((rows, cols))
    return (mg.tensor(values, requires_grad=True),
            torch.tensor(values, requires_grad=True))


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -5},
                                    {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}],
                         ids=["plain", "padding", "negative_padding", "freq", "both"])
def test_functional_embedding_matches_torch(kwargs, backend):
    w, tw = _pair_weights()
    out = F.embedding(mg.tensor(INDICES), w, **kwargs)
    t_out = torch.nn.functional.embedding(torch.tensor(INDICES), tw, **kwargs)
    np.testing.assert_array_equal(out.numpy(), t_out.detach().numpy())
    cotangent = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(mg.tensor(cotangent))
    t_out.backward(torch.tensor(cotangent))
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_repeated_indices_accumulate_their_gradients():
    w = mg.zeros(4, 2, dtype=mg.float64, requires_grad=True)
    F.embedding(mg.tensor([1, 1, 1, 3]), w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_int32_indices_are_accepted():
    w, tw = _pair_weights()
    out = F.embedding(mg.tensor(INDICES.astype(np.int32)), w)
    assert out.dtype == mg.float64
    np.testing.assert_array_equal(out.numpy(), tw.detach().numpy()[INDICES])


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_max_norm_renormalizes_looked_up_rows_in_place_as_torch(norm_type):
    w, tw = _pair_weights(seed=3)
    w.data *= 2
    with torch.no_grad():
        tw *= 2
    out = F.embedding(mg.tensor(INDICES), w, max_norm=1.5, norm_type=norm_type)
    t_out = torch.nn.functional.embedding(torch.tensor(INDICES), tw, max_norm=1.5,
                                          norm_type=norm_type)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-12)
    norms = np.linalg.norm(w.detach().numpy(), ord=norm_type, axis=1)
    assert (norms[np.unique(INDICES)] <= 1.5 + 1e-6).all()
    out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_max_norm_leaves_rows_not_looked_up_alone():
    weight = mg.full((3, 2), fill_value=10.0)
    nn.Embedding(3, 2, max_norm=1.0, _weight=weight)(mg.tensor([0]))
    np.testing.assert_allclose(np.linalg.norm(weight.numpy(), axis=1), [1.0, 200 ** 0.5,
                                                                        200 ** 0.5], rtol=1e-6)


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    emb = nn.Embedding(6, 4, padding_idx=-2)
    assert emb.padding_idx == 4
    np.testing.assert_array_equal(emb.weight.numpy()[4], 0)
    emb(mg.tensor([[4, 1, 4]])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[4], 0)
    np.testing.assert_array_equal(emb.weight.grad.numpy()[1], 1)


def test_weight_is_standard_normal_float32():
    mg.manual_seed(0)
    weight = nn.Embedding(2000, 50).weight
    assert weight.dtype == mg.float32 and weight.shape == (2000, 50)
    values = weight.numpy()
    assert abs(values.mean()) < 0.01 and abs(values.std() - 1) < 0.01


def test_dtype_argument():
    assert nn.Embedding(3, 2, dtype=mg.float64).weight.dtype == mg.float64


def test_from_pretrained_shares_the_table_and_freezes_it():
    table = mg.tensor(np.arange(6.0).reshape(3, 2))
    emb = nn.Embedding.from_pretrained(table, padding_idx=1)
    assert not emb.weight.requires_grad
    assert (emb.num_embeddings, emb.embedding_dim, emb.padding_idx) == (3, 2, 1)
    np.testing.assert_array_equal(emb.weight.numpy()[1], [2.0, 3.0])  # kept as given
    np.testing.assert_array_equal(emb(mg.tensor([2, 0])).numpy(), [[4.0, 5.0], [0.0, 1.0]])
    assert repr(emb) == repr(torch.nn.Embedding.from_pretrained(torch.tensor(table.numpy()),
                                                                padding_idx=1))
    trainable = nn.Embedding.from_pretrained(table, freeze=False)
    assert trainable.weight.requires_grad
    trainable(mg.tensor([0, 0])).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy(), [[2, 2], [0, 0], [0, 0]])


def test_freeze_flag_of_the_constructor():
    emb = nn.Embedding(3, 2, _weight=mg.ones(3, 2), _freeze=True)
    assert not emb.weight.requires_grad
    assert list(emb.state_dict()) == ["weight"]


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.Embedding(4, 3, padding_idx=4), AssertionError, "Padding_idx"),
    (lambda: nn.Embedding(4, 3, padding_idx=-5), AssertionError, "Padding_idx"),
    (lambda: nn.Embedding(4, 3, _weight=mg.ones(3, 3)), AssertionError, "Shape of weight"),
    (lambda: nn.Embedding.from_pretrained(mg.ones(3)), AssertionError, "2-dimensional"),
])
def test_constructor_errors_as_torch(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("indices, weight, kwargs, error", [
    ([1.0, 2.0], (5, 3), {}, RuntimeError),
    ([5], (5, 3), {}, IndexError),
    ([-1], (5, 3), {}, IndexError),
    ([1], (5,), {}, RuntimeError),
    ([1], (5, 3), {"padding_idx": 5}, AssertionError),
])
def test_functional_errors_have_torchs_types(indices, weight, kwargs, error):
    for lib in (mg, torch):
        with pytest.raises(error):
            lib.nn.functional.embedding(lib.tensor(indices), lib.ones(weight), **kwargs)


def test_sparse_gradients_are_refused_clearly():
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(3, 2, sparse=True)(mg.tensor([0]))
