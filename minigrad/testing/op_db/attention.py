"""Registry entries of attention (``minigrad/ops/attention.py``) and its layers."""

import math

from minigrad.nn import functional as F
from minigrad.ops import attention
from minigrad.testing.op_db.base import ModuleInfo, OpInfo, SampleInput


def _sdpa_op(query, key, value, mask=None, keep=None, p=0.0, **kwargs):
    """F.scaled_dot_product_attention; with ``keep`` (a boolean dropout mask, the
    probability ``p``) the Function itself, so the dropped positions are fixed."""
    if keep is None:
        return F.scaled_dot_product_attention(query, key, value, attn_mask=mask, **kwargs)
    scale = 1.0 / math.sqrt(query.shape[-1])
    return attention.ScaledDotProductAttention.apply(
        query, key, value, mask, keep.to(query.dtype) * (1.0 / (1.0 - p)), scale, False, 1,
        False)


def _sdpa_ref(xp, query, key, value, mask=None, keep=None, p=0.0, is_causal=False,
              scale=None, enable_gqa=False):
    """The attention written out: which positions are allowed, their scores' exponentials
    over the allowed ones, normalized (zero for a row with none), optionally dropped."""
    if enable_gqa:
        groups = query.shape[-3] // key.shape[-3]
        key, value = (xp.repeat(x, groups, axis=-3) for x in (key, value))
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = xp.einsum("...le,...se->...ls", query, key) * scale
    length, source = scores.shape[-2:]
    allowed = xp.ones(scores.shape, dtype=bool)
    if is_causal:
        allowed &= xp.arange(source)[None, :] <= xp.arange(length)[:, None]
    if mask is not None and mask.dtype == bool:
        allowed &= mask
    elif mask is not None:
        scores = scores + mask
        allowed &= xp.isfinite(scores)
    safe = xp.where(allowed, scores, 0.0)
    peak = xp.where(allowed, safe, -1e300).max(axis=-1, keepdims=True, initial=-1e300)
    e = xp.exp(xp.where(allowed, safe - peak, -math.inf))
    total = e.sum(axis=-1, keepdims=True)
    probs = e / xp.where(total > 0, total, 1.0)
    if keep is not None:
        probs = probs * keep / (1.0 - p)
    return xp.einsum("...ls,...sv->...lv", probs, value)


def _sdpa_torch(torch, query, key, value, mask=None, keep=None, p=0.0, **kwargs):
    if keep is None:
        return torch.nn.functional.scaled_dot_product_attention(query, key, value,
                                                                attn_mask=mask, **kwargs)
    scores = query @ key.transpose(-1, -2) / math.sqrt(query.shape[-1])
    probs = torch.softmax(scores if mask is None else scores + mask, dim=-1)
    return (probs * keep / (1.0 - p)) @ value


def _sdpa_samples(make):
    bool_mask = make.rng.random((4, 6)) > 0.3
    bool_mask[1] = False  # a query row that may attend nothing
    float_mask = make(4, 6)
    float_mask[2, :3] = -math.inf
    keep = make.rng.random((2, 3, 4, 6)) >= 0.25
    qkv = (make(2, 3, 4, 5), make(2, 3, 6, 5), make(2, 3, 6, 7))
    return [SampleInput(qkv, name="4d"),
            SampleInput((*qkv, bool_mask), name="bool_mask"),
            SampleInput((*qkv, float_mask), name="float_mask"),
            SampleInput((*qkv, make(3, 1, 6)), name="float_mask_broadcast"),
            SampleInput(qkv, {"is_causal": True}, name="causal"),
            SampleInput(qkv, {"scale": 0.7}, name="scale"),
            SampleInput((*qkv, None, keep), {"p": 0.25}, name="dropout_mask"),
            SampleInput((make(3, 4, 5), make(3, 6, 5), make(3, 6, 7)), {"is_causal": True},
                        name="3d_causal"),
            SampleInput((make(4, 5), make(6, 5), make(6, 7)), name="2d"),
            SampleInput((make(2, 3, 4, 5), make(3, 6, 5), make(1, 3, 6, 7)),
                        name="broadcast_batch"),
            SampleInput((make(2, 6, 4, 5), make(2, 2, 6, 5), make(2, 2, 6, 7)),
                        {"enable_gqa": True}, name="grouped_query"),
            SampleInput((make(1, 1, 1, 1), make(1, 1, 1, 1), make(1, 1, 1, 1)),
                        name="one_element"),
            SampleInput((make(2, 0, 5), make(2, 6, 5), make(2, 6, 7)), name="empty_queries"),
            SampleInput((make(2, 4, 5), make(2, 0, 5), make(2, 0, 7)), name="empty_keys")]


OPS = [
    OpInfo("scaled_dot_product_attention", _sdpa_op, attention.ScaledDotProductAttention,
           _sdpa_ref, _sdpa_samples, torch_op=_sdpa_torch),
]


def _mha(**kwargs):
    return lambda nn: nn.MultiheadAttention(**kwargs)


# NOTE: attention takes three inputs and returns a pair, so the sweeps hold its state_dict
# and repr against PyTorch; tests/test_multihead_attention.py compares its values
MODULES = [
    ModuleInfo("MultiheadAttention", _mha(embed_dim=8, num_heads=2), input_shapes=()),
    ModuleInfo("MultiheadAttention-kdim-vdim-bias_kv",
               _mha(embed_dim=8, num_heads=4, kdim=3, vdim=5, add_bias_kv=True),
               input_shapes=()),
    ModuleInfo("MultiheadAttention-no-bias-batch_first",
               _mha(embed_dim=6, num_heads=3, bias=False, batch_first=True, add_zero_attn=True),
               input_shapes=()),
    # NOTE: the Transformer layers (minigrad/nn/layers/transformer.py): the sweeps hold their
    # state_dict and repr. Their values are compared in tests/test_transformer.py: the
    # decoders take two inputs, and the sweep's uniform(0.5, 1.5) weights leave even PyTorch's
    # own float32 gradients of an encoder layer 3e-5 to 6e-4 away from its float64 ones
    ModuleInfo("TransformerEncoderLayer",
               lambda nn: nn.TransformerEncoderLayer(8, 2, 16, activation="gelu",
                                                     batch_first=True, norm_first=True),
               input_shapes=()),
    ModuleInfo("TransformerEncoderLayer-module_activation-no_bias",
               lambda nn: nn.TransformerEncoderLayer(8, 2, 16, activation=nn.GELU("tanh"),
                                                     bias=False), input_shapes=()),
    ModuleInfo("TransformerEncoder",
               lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2,
                                                norm=nn.LayerNorm(8),
                                                enable_nested_tensor=False), input_shapes=()),
    ModuleInfo("TransformerDecoderLayer",
               lambda nn: nn.TransformerDecoderLayer(8, 2, 16, bias=False), input_shapes=()),
    ModuleInfo("TransformerDecoder",
               lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 2,
                                                norm=nn.LayerNorm(8)), input_shapes=()),
    ModuleInfo("Transformer", lambda nn: nn.Transformer(8, 2, 2, 1, 16, batch_first=True),
               input_shapes=()),
    ModuleInfo("Transformer-custom_encoder",
               lambda nn: nn.Transformer(8, 2, num_decoder_layers=1, dim_feedforward=16,
                                         custom_encoder=nn.TransformerEncoder(
                                             nn.TransformerEncoderLayer(8, 2, 16), 1,
                                             enable_nested_tensor=False)), input_shapes=()),
]
