"""The functional forms of attention: ``F.scaled_dot_product_attention`` and
``F.multi_head_attention_forward``. Both check their arguments as PyTorch does and end in
the one ``ScaledDotProductAttention`` Function of ``minigrad.ops.attention``."""

import math
import warnings

from minigrad import creation
from minigrad.errors import DTypeError, ShapeError
from minigrad.nn.functional_layers import pad
from minigrad.ops._operands import require_tensor
from minigrad.ops.attention import ScaledDotProductAttention
from minigrad.ops.linalg import linear
from minigrad.ops.shape import cat

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]

_SDPA = "scaled_dot_product_attention"


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, *, scale=None, enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, as
    ``torch.nn.functional.scaled_dot_product_attention``: query (..., L, E), key (..., S, E),
    value (..., S, Ev) give (..., L, Ev); batch dims broadcast.

    ``attn_mask`` is boolean (True = take part in attention) or a float added to the scores
    (-inf masks), broadcast to (..., L, S). ``is_causal`` lets query i attend keys 0..i
    only. ``scale`` defaults to 1 / sqrt(E). ``dropout_p`` drops attention probabilities
    (always, as PyTorch: pass 0.0 in evaluation) with the backend's seeded generator.
    ``enable_gqa`` lets key and value have fewer heads (dim -3) than the query, each
    serving ``query heads / key heads`` query heads. A query row that may attend nothing
    gives zeros, as PyTorch 2.13.
    """
    tensors = (query, key, value)
    for name, t in zip(("query", "key", "value"), tensors):
        require_tensor(_SDPA, name, t)
    shapes = tuple(tuple(t.shape) for t in tensors)
    described = f"query {shapes[0]}, key {shapes[1]}, value {shapes[2]}"
    if min(t.ndim for t in tensors) < 2:
        raise RuntimeError(f"{_SDPA}: Expected query, key, and value to all be at least 2 "
                           f"dimensional ({described})")
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1 or query.data.dtype.kind != "f":
        raise DTypeError(f"{_SDPA}: query, key and value must share one floating-point dtype, "
                         f"got {', '.join(t.dtype.name for t in tensors)} ({described}); "
                         "convert with .float() or .double()")
    if shapes[0][-1] != shapes[1][-1] or shapes[1][-2] != shapes[2][-2]:
        raise ShapeError(f"{_SDPA}: the query and the key need one embedding size (E) and the "
                         f"key and the value one length (S) ({described})")
    if attn_mask is not None and is_causal:
        raise RuntimeError(f"{_SDPA}: Explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    groups = _gqa_groups(query, key, value, enable_gqa, described)
    batches = [shapes[0][:-2]] + [s[:-3] + (s[-3] * groups,) if groups > 1 else s[:-2]
                                   for s in shapes[1:]]
    scores_shape = _broadcast(batches, described) + (shapes[0][-2], shapes[1][-2])
    if attn_mask is not None:
        _check_sdpa_mask(attn_mask, query, scores_shape)
    if scale is None:  # NOTE: with E = 0 every score is 0 whatever the scale (PyTorch: uniform)
        scale = 1.0 / math.sqrt(shapes[0][-1]) if shapes[0][-1] else 1.0
    scale = float(scale)
    keep = None
    if dropout_p > 0:
        keep = query._backend.dropout_mask(scores_shape, dropout_p, query.data.dtype)
    return ScaledDotProductAttention.apply(query, key, value, attn_mask, keep, scale,
                                           is_causal, groups, False)


def _gqa_groups(query, key, value, enable_gqa, described):
    """How many query heads share one key and value head: 1 unless ``enable_gqa``."""
    if not enable_gqa or query.ndim < 3:
        return 1
    heads, key_heads, value_heads = query.shape[-3], key.shape[-3], value.shape[-3]
    if key_heads != value_heads or key_heads == 0 or heads % key_heads:
        raise RuntimeError(f"{_SDPA}: Number of heads in key and value must divide the number "
                           f"of heads in query ({described})")
    return heads // key_heads


def _broadcast(shapes, described):
    """The broadcast of the batch ``shapes``; ``described`` names the operands."""
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + s for s in shapes]
    result = []
    for sizes in zip(*padded):
        wide = {s for s in sizes if s != 1}
        if len(wide) > 1:
            raise ShapeError(f"{_SDPA}: the batch dims do not broadcast ({described})")
        result.append(wide.pop() if wide else 1)
    return tuple(result)


def _check_sdpa_mask(mask, query, scores_shape):
    if mask.dtype.name != "bool" and mask.dtype != query.dtype:
        raise DTypeError(f"{_SDPA}: Expected attn_mask dtype to be bool or float or to match "
                         f"query dtype, but got attn_mask.dtype: {mask.dtype.name} and "
                         f"query.dtype: {query.dtype.name} instead")
    shape = tuple(mask.shape)
    if len(shape) > len(scores_shape) or any(
            m not in (1, s) for m, s in zip(reversed(shape), reversed(scores_shape))):
        raise ShapeError(f"{_SDPA}: attn_mask of shape {shape} does not broadcast to the "
                         f"attention scores {scores_shape}")


# ------------------------------------------------------------------ multi-head attention
_MHA = "MultiheadAttention"


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """The forward pass of ``nn.MultiheadAttention``, as
    ``torch.nn.functional.multi_head_attention_forward``: sequence-first (L, N, E) query and
    (S, N, E_k), (S, N, E_v) key and value, or unbatched (L, E), (S, E_k), (S, E_v).

    Projects the inputs (packed ``in_proj_weight``, or ``q/k/v_proj_weight`` with
    ``use_separate_proj_weight``), appends ``bias_k``/``bias_v`` and a zero position
    (``add_zero_attn``) to the keys and values, splits ``num_heads`` heads, attends with
    the masks (boolean True, or -inf in a float mask, means "do not attend"; a
    ``key_padding_mask`` (N, S) drops padded keys, an ``attn_mask`` is (L, S) or
    (N * num_heads, L, S)) and projects back. Returns (output, weights), the weights
    averaged over the heads (N, L, S) unless ``average_attn_weights=False`` (N, heads, L,
    S), or None when ``need_weights=False``. ``is_causal`` is only a hint that
    ``attn_mask`` is the causal mask, which must be given.

    Unlike PyTorch, which returns NaN rows with ``need_weights=True``, a query that may
    attend no key gets zero weights on both paths.
    """
    batched = _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = once_per_tensor(lambda t: t.unsqueeze(1), (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask = _additive_mask(key_padding_mask, "key_padding_mask", query, attn_mask)
    if is_causal and attn_mask is None:
        raise RuntimeError(f"{_MHA}: Need attn_mask if specifying the is_causal hint. You may "
                           "use the Transformer module method `generate_square_subsequent_mask` "
                           "to create this mask.")
    # NOTE: as PyTorch: without weights or padding the hint stands in for the causal mask;
    # otherwise the mask itself is used and the hint ignored
    causal = is_causal and key_padding_mask is None and not need_weights
    attn_mask = None if causal else _additive_mask(attn_mask, "attn_mask", query)
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"{_MHA}: was expecting embedding dimension of "
                             f"{embed_dim_to_check}, but got {embed_dim} (query "
                             f"{tuple(query.shape)})")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"{_MHA}: embed_dim {embed_dim} not divisible by num_heads "
                             f"{num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"{_MHA}: key's sequence and batch dims {tuple(key.shape[:2])} "
                                 f"do not match value's {tuple(value.shape[:2])}")
        biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = (linear(x, w, b) for x, w, b in zip(
            (query, key, value), (q_proj_weight, k_proj_weight, v_proj_weight), biases))
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"{_MHA}: key shape {tuple(key.shape)} does not match value "
                                 f"shape {tuple(value.shape)}")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    src_len = k.shape[0]
    attn_mask = _batched_attn_mask(attn_mask, tgt_len, src_len, bsz * num_heads)

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError(f"{_MHA}: bias cannot be added to static key or value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask, key_padding_mask = _pad_masks(attn_mask, key_padding_mask)
    elif (bias_k is None) != (bias_v is None):
        raise AssertionError(f"{_MHA}: bias_k and bias_v must be given together")

    q = _split_heads(q, bsz * num_heads, head_dim)
    k = _split_heads(k, bsz * num_heads, head_dim) if static_k is None else \
        _check_static("static_k", static_k, bsz * num_heads, head_dim)
    v = _split_heads(v, bsz * num_heads, head_dim) if static_v is None else \
        _check_static("static_v", static_v, bsz * num_heads, head_dim)
    if add_zero_attn:
        zeros = creation.zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype, backend=k._backend)
        k, v = cat([k, zeros], dim=1), cat([v, zeros], dim=1)
        attn_mask, key_padding_mask = _pad_masks(attn_mask, key_padding_mask)
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"{_MHA}: Expected key_padding_mask of shape {(bsz, src_len)}"
                                 f" (batch, source length), but got "
                                 f"{tuple(key_padding_mask.shape)}")
        per_head = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
        per_head = per_head.reshape(bsz * num_heads, 1, src_len)
        attn_mask = per_head if attn_mask is None else attn_mask + per_head
    keep = None
    if training and dropout_p > 0:
        keep = q._backend.dropout_mask((bsz * num_heads, tgt_len, src_len), dropout_p,
                                       q.data.dtype)
    result = ScaledDotProductAttention.apply(q, k, v, attn_mask, keep, 1.0 / math.sqrt(head_dim),
                                             causal, 1, need_weights)
    out, weights = result if need_weights else (result, None)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if weights is not None:
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
    if not batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights


def _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads):
    """PyTorch's shape rules: batched (3-D) or unbatched (2-D) inputs and masks to match.
    Returns whether the input is batched."""
    shapes = (f"(query {tuple(query.shape)}, key {tuple(key.shape)}, value "
              f"{tuple(value.shape)})")
    if query.ndim not in (2, 3):
        raise AssertionError(f"{_MHA}: query should be unbatched 2D or batched 3D tensor but "
                             f"received {query.ndim}-D query tensor {shapes}")
    batched = query.ndim == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(f"{_MHA}: For {kind} `query`, expected `key` and `value` to be "
                             f"{query.ndim}-D but found {key.ndim}-D and {value.ndim}-D "
                             f"tensors respectively {shapes}")
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise AssertionError(f"{_MHA}: For {kind} `query`, expected `key_padding_mask` to be "
                             f"`None` or {query.ndim - 1}-D but found {key_padding_mask.ndim}-D "
                             f"tensor instead {tuple(key_padding_mask.shape)}")
    if attn_mask is not None:
        if attn_mask.ndim not in (2, 3):
            raise AssertionError(f"{_MHA}: For {kind} `query`, expected `attn_mask` to be "
                                 f"`None`, 2-D or 3-D but found {attn_mask.ndim}-D tensor "
                                 f"instead {tuple(attn_mask.shape)}")
        expected = (num_heads, query.shape[0], key.shape[0])
        if not batched and attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
            raise AssertionError(f"{_MHA}: Expected `attn_mask` shape to be {expected} but got "
                                 f"{tuple(attn_mask.shape)}")
    return batched


def once_per_tensor(fn, tensors):
    """``fn(t)`` for each of ``tensors``, computed once per distinct tensor, so that
    self-attention (query is key is value) stays recognisable and projects with one matrix
    product."""
    done = {}
    for t in tensors:
        if id(t) not in done:
            done[id(t)] = fn(t)
    return tuple(done[id(t)] for t in tensors)


def _additive_mask(mask, name, query, other=None):
    """A boolean mask (True = do not attend) as a float one of -inf and 0 in the query's
    dtype; a float mask as it is. Warns, as PyTorch, when the key padding mask and the
    attention mask differ in type."""
    if mask is None:
        return None
    is_bool = mask.dtype.name == "bool"
    if not is_bool and mask.data.dtype.kind != "f":
        raise AssertionError(f"{_MHA}: only bool and floating types of {name} are supported, "
                             f"got {mask.dtype.name}")
    if other is not None and other.dtype != mask.dtype:
        warnings.warn(f"Support for mismatched {name} and attn_mask is deprecated. Use same "
                      "type for both instead.", stacklevel=3)
    if not is_bool:
        return mask
    return creation.zeros_like(mask, dtype=query.dtype).masked_fill(mask, -math.inf)


def _in_projection_packed(query, key, value, weight, bias):
    """The packed (3E, E) projection: one matrix product for self-attention, two when key
    is value (encoder-decoder attention), three otherwise."""
    embed_dim = query.shape[-1]
    if key is value and query is key:
        return linear(query, weight, bias).chunk(3, dim=-1)
    if key is value:
        w_q, w_kv = weight.split([embed_dim, 2 * embed_dim])
        b_q, b_kv = (None, None) if bias is None else bias.split([embed_dim, 2 * embed_dim])
        return (linear(query, w_q, b_q), *linear(key, w_kv, b_kv).chunk(2, dim=-1))
    biases = (None,) * 3 if bias is None else bias.chunk(3)
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weight.chunk(3),
                                                    biases))


def _batched_attn_mask(mask, tgt_len, src_len, batch_heads):
    """An (L, S) mask as (1, L, S); a 3-D one must be (N * num_heads, L, S)."""
    if mask is None:
        return None
    if mask.ndim == 2:
        if tuple(mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"{_MHA}: The shape of the 2D attn_mask is {tuple(mask.shape)}, "
                               f"but should be {(tgt_len, src_len)}.")
        return mask.unsqueeze(0)
    if tuple(mask.shape) != (batch_heads, tgt_len, src_len):
        raise RuntimeError(f"{_MHA}: The shape of the 3D attn_mask is {tuple(mask.shape)}, but "
                           f"should be {(batch_heads, tgt_len, src_len)}.")
    return mask


def _pad_masks(*masks):
    """Each mask (or None) with one more key position, open to attention."""
    return tuple(None if m is None else pad(m, (0, 1)) for m in masks)


def _split_heads(x, batch_heads, head_dim):
    """(T, N, E) -> (N * heads, T, head_dim)."""
    return x.reshape(x.shape[0], batch_heads, head_dim).transpose(0, 1)


def _check_static(name, static, batch_heads, head_dim):
    if static.shape[0] != batch_heads or static.shape[2] != head_dim:
        raise AssertionError(f"{_MHA}: expecting {name} of shape ({batch_heads}, S, "
                             f"{head_dim}), but got {tuple(static.shape)}")
    return static
