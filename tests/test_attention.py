"""``F.scaled_dot_product_attention`` beyond the registry sweeps: dropout drawn from the seeded
generator (values and gradients against PyTorch on the same mask), rows that may attend
nothing, the saved arrays' lifetime, and PyTorch's argument errors."""

import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.backends import get_backend
from minigrad.errors import DTypeError, ShapeError
from minigrad.ops.attention import ScaledDotProductAttention

torch = pytest.importorskip("torch")

SHAPES = {"query": (2, 3, 4, 5), "key": (2, 3, 6, 5), "value": (2, 3, 6, 7)}


def _qkv(dtype=np.float64, seed=0):
    """Query, key and value as minigrad and torch tensors that require grad."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in SHAPES.values()]
    return ([mg.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def _backward_both(out, t_out, seed=1):
    cotangent = np.random.default_rng(seed).standard_normal(tuple(t_out.shape))
    cotangent = cotangent.astype(out.numpy().dtype)
    out.backward(mg.tensor(cotangent))
    t_out.backward(torch.tensor(cotangent))


def _assert_grads(mine, theirs, rtol=1e-10, atol=1e-12):
    for name, a, b in zip(SHAPES, mine, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of {name}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_dropout_uses_the_seeded_generator_and_matches_torch_on_that_mask(dtype, backend):
    (q, k, v), (tq, tk, tv) = _qkv(dtype)
    p = 0.4
    mg.manual_seed(7)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
    mg.manual_seed(7)
    keep = get_backend(backend).dropout_mask((2, 3, 4, 6), p, np.dtype(dtype))
    keep = mg.tensor(keep, backend=backend).numpy()
    assert 0 < (keep == 0).mean() < 1
    np.testing.assert_allclose(np.unique(keep), [0.0, dtype(1 / (1 - p))])

    probs = torch.softmax(tq @ tk.transpose(-1, -2) / math.sqrt(5), dim=-1)
    expected = (probs * torch.tensor(keep)) @ tv
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=rtol, atol=rtol)
    _backward_both(out, expected)
    _assert_grads((q, k, v), (tq, tk, tv), rtol=10 * rtol, atol=10 * rtol)

    mg.manual_seed(7)
    again = F.scaled_dot_product_attention(q.detach(), k.detach(), v.detach(), dropout_p=p)
    np.testing.assert_array_equal(again.numpy(), out.numpy())


def test_dropout_of_one_drops_everything_and_zero_drops_nothing():
    (q, k, v), (tq, tk, tv) = _qkv()
    assert not F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy().any()
    plain = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv)
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, dropout_p=0.0).numpy(),
                               plain.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_a_row_that_may_attend_nothing_gives_zeros_as_torch(kind):
    (q, k, v), (tq, tk, tv) = _qkv()
    allowed = np.ones((4, 6), dtype=bool)
    allowed[[0, 2]] = False
    mask = allowed if kind == "bool" else np.where(allowed, 0.0, -np.inf)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mg.tensor(mask))
    t_out = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv,
                                                             attn_mask=torch.tensor(mask))
    assert not out.numpy()[:, :, [0, 2]].any()
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    _backward_both(out, t_out)
    assert np.isfinite(q.grad.numpy()).all() and not q.grad.numpy()[:, :, [0, 2]].any()
    _assert_grads((q, k, v), (tq, tk, tv))


def test_float32_stays_float32_and_matches_torch_with_a_causal_mask():
    (q, k, v), (tq, tk, tv) = _qkv(np.float32)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3)
    t_out = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=True,
                                                             scale=0.3)
    assert out.dtype == mg.float32
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    _backward_both(out, t_out)
    assert q.grad.dtype == mg.float32
    _assert_grads((q, k, v), (tq, tk, tv), rtol=1e-4, atol=1e-5)


def test_the_probabilities_are_freed_after_backward_unless_the_graph_is_retained():
    (q, k, v), _ = _qkv()
    out = F.scaled_dot_product_attention(q, k, v)
    node = out.grad_fn
    assert node.name() == "ScaledDotProductAttentionBackward"
    assert node.saved_tensors[3].shape == (2, 3, 4, 6)  # the probabilities
    out.sum().backward(retain_graph=True)
    first = q.grad.numpy().copy()
    out.sum().backward()
    np.testing.assert_allclose(q.grad.numpy(), 2 * first, rtol=1e-12)
    assert node.released
    with pytest.raises(RuntimeError, match="second time"):
        out.sum().backward()


def test_the_weights_output_carries_its_own_gradient():
    """``need_weights`` (what MultiheadAttention asks for) returns the per-head weights,
    and a loss on them reaches the query and key."""
    (q, k, v), (tq, tk, tv) = _qkv()
    out, weights = ScaledDotProductAttention.apply(q, k, v, None, None, 0.5, False, 1, True)
    t_weights = torch.softmax(tq @ tk.transpose(-1, -2) * 0.5, dim=-1)
    t_out = t_weights @ tv
    np.testing.assert_allclose(weights.numpy(), t_weights.detach().numpy(), rtol=1e-12)
    (out.sum() + (weights * weights).sum()).backward()
    (t_out.sum() + (t_weights * t_weights).sum()).backward()
    _assert_grads((q, k, v), (tq, tk, tv))


def _tensors(*shapes, dtype=mg.float32):
    return [mg.randn(*s, dtype=dtype) for s in shapes]


ERRORS = {
    "causal_and_mask": (lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=mg.ones(4, 6, dtype=mg.bool), is_causal=True),
        RuntimeError, "attn_mask should not be set when is_causal"),
    "one_dim_query": (lambda q, k, v: F.scaled_dot_product_attention(q[0, 0, 0], k, v),
                      RuntimeError, "at least 2 dimensional"),
    "mixed_dtypes": (lambda q, k, v: F.scaled_dot_product_attention(q.double(), k, v),
                     DTypeError, r"float64, float32, float32.*\.float\(\)"),
    "integer_inputs": (lambda q, k, v: F.scaled_dot_product_attention(q.long(), k.long(),
                                                                     v.long()),
                       DTypeError, "floating-point"),
    "embedding_mismatch": (lambda q, k, v: F.scaled_dot_product_attention(q, k[..., :4], v),
                           ShapeError, r"key \(2, 3, 6, 4\)"),
    "length_mismatch": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v[:, :, :5]),
                        ShapeError, r"value \(2, 3, 5, 7\)"),
    "integer_mask": (lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=mg.ones(4, 6, dtype=mg.int64)), DTypeError, "int64"),
    "float64_mask": (lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=mg.zeros(4, 6, dtype=mg.float64)), DTypeError, "float64"),
    "mask_shape": (lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=mg.zeros(4, 5)), ShapeError, r"\(4, 5\).*\(2, 3, 4, 6\)"),
    "mask_grows_the_batch": (lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=mg.zeros(1, 2, 1, 4, 6)), ShapeError, "does not broadcast"),
    "batch_mismatch": (lambda q, k, v: F.scaled_dot_product_attention(q, k[:, :2], v[:, :2]),
                       ShapeError, "batch dims do not broadcast"),
    "gqa_heads": (lambda q, k, v: F.scaled_dot_product_attention(
        q, k[:, :2], v[:, :2], enable_gqa=True), RuntimeError, "must divide"),
    "dropout_range": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=1.5),
                      ValueError, "between 0 and 1"),
    "positional_scale": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, None, 0.0,
                                                                        False, 0.5),
                         TypeError, "positional"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_name_the_op_and_shapes(case):
    call, kind, pattern = ERRORS[case]
    with pytest.raises(kind, match=pattern):
        call(*_tensors(*SHAPES.values()))


def test_grouped_query_heads_repeat_key_and_value_heads_as_torch():
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in [(2, 6, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)]]
    mine = [mg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.scaled_dot_product_attention(*mine, enable_gqa=True)
    t_out = torch.nn.functional.scaled_dot_product_attention(*theirs, enable_gqa=True)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-10)
    _backward_both(out, t_out)
    _assert_grads(mine, theirs)
