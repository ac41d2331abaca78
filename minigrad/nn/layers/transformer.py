"""Transformer layers and stacks: ``TransformerEncoderLayer``, ``TransformerDecoderLayer``,
``TransformerEncoder``, ``TransformerDecoder``, ``Transformer`` (Vaswani et al., 2017,
"Attention Is All You Need"), with PyTorch's arguments, submodule names (so state dicts load
both ways), initialization and mask handling.

Each layer is a few residual blocks, ``x + block(x)``: self-attention, (for the decoder)
attention over the encoder's output ``memory``, and a two-layer feed-forward network. The
LayerNorm comes after each residual sum (``norm_first=False``, the paper's "post-norm") or
before each block (``norm_first=True``, "pre-norm", which trains deep stacks more easily).
Everything is composed from ``MultiheadAttention``, ``Linear``, ``LayerNorm`` and ``Dropout``,
so autograd gives backward with no extra code.

NOTE: PyTorch's inference fast path (fused kernels and nested tensors, taken in eval mode under
``no_grad``) is a speed optimization with no counterpart here: minigrad always runs the
composed form, which gives the fused kernel's values. One visible difference: on that path a
``TransformerEncoder`` given a ``src_key_padding_mask`` (batch first) returns zeros, then
normalized, at the padded positions; minigrad returns what the layers compute there.
"""

import copy

from minigrad import creation
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.layers import attention
from minigrad.nn.layers.container import ModuleList
from minigrad.nn.layers.dropout import Dropout
from minigrad.nn.layers.linear import Linear
from minigrad.nn.layers.normalization import LayerNorm
from minigrad.nn.module import Module
from minigrad.ops import diagonals

__all__ = ["Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerEncoderLayer"]


def generate_square_subsequent_mask(sz, device=None, dtype=None):
    """The (sz, sz) causal mask: -inf above the diagonal (a position may not attend to later
    ones), 0 elsewhere; added to the attention scores."""
    return diagonals.triu(creation.full((sz, sz), float("-inf"), dtype=dtype, device=device),
                         diagonal=1)


def _activation_function(activation):
    """``"relu"`` and ``"gelu"`` name ``F.relu`` and ``F.gelu``; a callable is kept."""
    if not isinstance(activation, str):
        return activation
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _sequence_length(x, batch_first):
    """The sequence length of ``x``: (S, E) unbatched, (S, N, E) or (N, S, E) batched."""
    if x.dim() == 2:
        return x.size(0)
    return x.size(1 if batch_first else 0)


def _detect_is_causal_mask(mask, is_causal, size):
    """PyTorch's reading of an ``is_causal`` hint: ``None`` means "check ``mask``": True when
    it equals the causal mask of ``size``. The hint lets attention skip the mask addition."""
    if is_causal is not None or mask is None:
        return bool(is_causal)
    causal = generate_square_subsequent_mask(size, dtype=mask.dtype, device=mask.device)
    return mask.shape == causal.shape and bool((mask == causal).all())


class _TransformerLayer(Module):
    """What both layers share: their attention modules (``attention_names``), the
    feed-forward network ``linear2(dropout(activation(linear1(x))))``, one LayerNorm and one
    Dropout per residual block, registered in PyTorch's order so state dict keys match."""

    attention_names = ()

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        for name in self.attention_names:
            setattr(self, name, attention.MultiheadAttention(
                d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                device=device, dtype=dtype))
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, device=device, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, device=device, dtype=dtype)
        self.norm_first = norm_first
        blocks = range(1, len(self.attention_names) + 2)
        for i in blocks:
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                device=device, dtype=dtype))
        for i in blocks:
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation_function(activation)

    def _residual(self, x, i, block, *args):
        """Residual block ``i``: ``x + block(norm_i(x))`` pre-norm, ``norm_i(x + block(x))``
        post-norm; ``block``'s output goes through ``dropout_i``."""
        norm, drop = getattr(self, f"norm{i}"), getattr(self, f"dropout{i}")
        if self.norm_first:
            return x + drop(block(norm(x), *args))
        return norm(x + drop(block(x, *args)))

    def _self_attention(self, x, attn_mask, key_padding_mask, is_causal):
        return self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                              need_weights=False, is_causal=is_causal)[0]

    def _feed_forward(self, x):
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then a feed-forward network, each a residual block with a LayerNorm.

    Inputs are (S, N, E), or (N, S, E) with ``batch_first=True``, or unbatched (S, E).
    ``src_mask`` (S, S) or (N * nhead, S, S) is added to the attention scores (bool: True
    masks out); ``src_key_padding_mask`` (N, S) masks out padded keys; ``is_causal=True``
    is a hint that ``src_mask`` is the causal mask.
    """

    attention_names = ("self_attn",)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = self._residual(src, 1, self._self_attention, src_mask, src_key_padding_mask,
                           is_causal)
        return self._residual(x, 2, self._feed_forward)


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention over the target, attention over ``memory`` (the encoder's output),
    then a feed-forward network, each a residual block with a LayerNorm.

    ``tgt`` is (T, N, E) and ``memory`` (S, N, E) (batch first with ``batch_first=True``,
    or unbatched without N). ``tgt_mask`` (T, T) and ``memory_mask`` (T, S) are added to the
    scores of the two attentions, the key padding masks (N, T) and (N, S) mask out padded
    keys; the ``*_is_causal`` flags are hints that the masks are causal.
    """

    attention_names = ("self_attn", "multihead_attn")

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = self._residual(tgt, 1, self._self_attention, tgt_mask, tgt_key_padding_mask,
                           tgt_is_causal)
        x = self._residual(x, 2, self._memory_attention, memory, memory_mask,
                           memory_key_padding_mask, memory_is_causal)
        return self._residual(x, 3, self._feed_forward)

    def _memory_attention(self, x, memory, attn_mask, key_padding_mask, is_causal):
        return self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                   key_padding_mask=key_padding_mask, need_weights=False,
                                   is_causal=is_causal)[0]


def _clones(layer, num_layers):
    """``num_layers`` independent deep copies of ``layer`` (same initial weights, as in
    PyTorch), registered as ``layers.0``, ``layers.1``, ..."""
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer``, then ``norm`` if given.

    The copies start with the same weights (re-initialize them if that matters).
    ``enable_nested_tensor`` and ``mask_check`` are accepted for PyTorch's signature; they
    steer its nested-tensor fast path, which minigrad does not have.
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """``is_causal=None`` checks whether ``mask`` is the causal mask."""
        seq_len = _sequence_length(src, self.layers[0].self_attn.batch_first)
        is_causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=is_causal)
        return output if self.norm is None else self.norm(output)


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer``, each attending to the same
    ``memory``, then ``norm`` if given."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        """``tgt_is_causal=None`` checks whether ``tgt_mask`` is the causal mask."""
        seq_len = _sequence_length(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder model of "Attention Is All You Need": an encoder stack (with a
    final LayerNorm) reads ``src``, a decoder stack (with a final LayerNorm) reads ``tgt`` and
    attends to the encoder's output. ``custom_encoder``/``custom_decoder`` replace the stacks.

    Every parameter with more than one dimension is re-initialized ``xavier_uniform_``, as
    PyTorch does (biases and LayerNorm parameters keep their defaults).
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation=F.relu, custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        super().__init__()
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                      batch_first, norm_first, bias, device, dtype)

        def final_norm():
            return LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device,
                             dtype=dtype)

        self.encoder = custom_encoder if custom_encoder is not None else TransformerEncoder(
            TransformerEncoderLayer(*layer_args), num_encoder_layers, final_norm())
        self.decoder = custom_decoder if custom_decoder is not None else TransformerDecoder(
            TransformerDecoderLayer(*layer_args), num_decoder_layers, final_norm())
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        """Encode ``src`` into ``memory``, decode ``tgt`` against it; the output is shaped
        as ``tgt``. The masks are those of the encoder's and decoder's ``forward``."""
        batch_dim = 0 if self.batch_first else 1
        if src.dim() == 3 and src.size(batch_dim) != tgt.size(batch_dim):
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.size(-1) != self.d_model or tgt.size(-1) != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)
