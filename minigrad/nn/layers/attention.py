"""Multi-head attention: ``MultiheadAttention``, with PyTorch's parameters, initialization
and ``state_dict`` keys, so weights load from a torch ``state_dict`` and back."""

from minigrad import creation
from minigrad.nn import init
from minigrad.nn.functional_attention import multi_head_attention_forward, once_per_tensor
from minigrad.nn.layers.linear import Linear
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear`` under the name PyTorch gives ``MultiheadAttention.out_proj`` (it keeps
    PyTorch's quantization tools away from it), so the reprs agree."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, dtype=dtype, backend=device)


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads (Vaswani et al., 2017), as
    ``torch.nn.MultiheadAttention``: MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_o,
    head_i = softmax(Q W_q^i (K W_k^i)^T / sqrt(head_dim)) V W_v^i.

    Parameters as PyTorch's: ``in_proj_weight`` (3E, E) packs the query, key and value
    projections when key and value have ``embed_dim`` features, else ``q_proj_weight``
    (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim); ``in_proj_bias`` (3E)
    with ``bias``; ``bias_k``, ``bias_v`` (1, 1, E) with ``add_bias_kv``; ``out_proj`` a
    Linear(E, E). Initialized as PyTorch's: xavier_uniform_ projection weights, zero
    biases, xavier_normal_ ``bias_k`` and ``bias_v``.

    Inputs are sequence-first (L, N, E) unless ``batch_first`` ((N, L, E)), or unbatched
    (L, E). ``forward`` returns (output, weights); see
    ``F.multi_head_attention_forward`` for the masks and the weights.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater than "
                             f"0, got embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"MultiheadAttention: embed_dim must be divisible by "
                                 f"num_heads, got embed_dim={embed_dim} and "
                                 f"num_heads={num_heads}")

        def new(*shape):
            return Parameter(creation.empty(*shape, dtype=dtype, device=device))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = new(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = new(embed_dim, embed_dim)
            self.k_proj_weight = new(embed_dim, self.kdim)
            self.v_proj_weight = new(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = new(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        device=device, dtype=dtype)
        if add_bias_kv:
            self.bias_k, self.bias_v = new(1, 1, embed_dim), new(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """(output, weights): output shaped as the query, weights (N, L, S) averaged over
        the heads, (N, num_heads, L, S) with ``average_attn_weights=False``, or None with
        ``need_weights=False`` (the faster path)."""
        transpose = self.batch_first and query.ndim == 3
        if transpose:
            # NOTE: each distinct tensor once, so self-attention stays recognisable
            query, key, value = once_per_tensor(lambda t: t.transpose(1, 0),
                                                (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        return (out.transpose(1, 0) if transpose else out), weights

