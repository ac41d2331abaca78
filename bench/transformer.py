"""W8: a small GPT's training step and the attention op alone, for minigrad and torch alike.

The GPT is the course-sized one of issue 19: token and position embeddings, Pre-LN blocks
(``nn.TransformerEncoderLayer(norm_first=True)`` under a causal mask), a final LayerNorm
and a head tied to the token embedding; cross entropy on next-token targets, AdamW and
``clip_grad_norm_(1.0)``. Both libraries run this one source (``lib`` is ``minigrad`` or
``torch``) from the same weights, drawn here with NumPy by parameter name (GPT-2's
initialisation: matrices N(0, 0.02), LayerNorm weights 1, every bias 0), so their
``state_dict`` keys must agree, which the Transformer modules promise.
"""

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GPTConfig:
    """The model and its fixed training batch."""

    layers: int = 2
    d_model: int = 64
    heads: int = 4
    context: int = 32
    batch: int = 32
    vocab: int = 16
    lr: float = 3e-4
    weight_decay: float = 0.1
    max_norm: float = 1.0


def gpt_class(lib):
    """A GPT ``nn.Module`` subclass of ``lib``: the class is made per library because each
    has its own ``nn.Module``."""
    nn = lib.nn

    class GPT(nn.Module):
        def __init__(self, config):
            super().__init__()
            d = config.d_model
            self.tokens = nn.Embedding(config.vocab, d)
            self.positions = nn.Embedding(config.context, d)
            self.blocks = nn.ModuleList(
                nn.TransformerEncoderLayer(d, config.heads, 4 * d, dropout=0.0,
                                           activation="gelu", batch_first=True,
                                           norm_first=True)
                for _ in range(config.layers))
            self.norm = nn.LayerNorm(d)
            self.head = nn.Linear(d, config.vocab, bias=False)
            self.head.weight = self.tokens.weight  # weight tying
            # NOTE: built once: a causal mask is never materialised per batch
            self.mask = nn.Transformer.generate_square_subsequent_mask(config.context)
            self.where = lib.arange(config.context)

        def forward(self, idx):
            x = self.tokens(idx) + self.positions(self.where)
            for block in self.blocks:
                x = block(x, src_mask=self.mask, is_causal=True)
            return self.head(self.norm(x))

    return GPT


def initial_state(names_and_shapes, seed=0):
    """GPT-2's initialisation by name, in float32: see the module docstring."""
    rng = np.random.default_rng(seed)
    state = {}
    for name, shape in sorted(names_and_shapes):
        if len(shape) >= 2:
            value = rng.normal(0.0, 0.02, shape)
        else:
            value = np.full(shape, 1.0 if "norm" in name and name.endswith("weight") else 0.0)
        state[name] = value.astype(np.float32)
    return state


def gpt_trainer(lib, config, built_with, backend="numpy"):
    """``(model, step)``: ``step()`` is one AdamW step with clipping on the fixed batch."""
    rng = np.random.default_rng(1)
    data = rng.integers(0, config.vocab, (config.batch, config.context + 1))
    with built_with(lib, backend):
        model = gpt_class(lib)(config)
        shapes = [(n, tuple(p.shape)) for n, p in model.named_parameters()]
        model.load_state_dict({n: lib.tensor(v) for n, v in initial_state(shapes).items()},
                              strict=False)
        x, y = lib.tensor(data[:, :-1]), lib.tensor(data[:, 1:].reshape(-1))
    params = list(model.parameters())
    optimizer = lib.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    clip = lib.nn.utils.clip_grad_norm_

    def step():
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x).reshape(-1, config.vocab), y)
        loss.backward()
        clip(params, config.max_norm)
        optimizer.step()
        return loss

    return model, step


def attention_forward_backward(lib, shape, built_with, backend="numpy"):
    """``run(n)``: n causal ``scaled_dot_product_attention`` forward + backward passes on
    fixed (B, heads, T, d) float32 query, key and value with a fixed cotangent."""
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(shape, dtype=np.float32) / math.sqrt(math.sqrt(shape[-1]))
              for _ in range(4)]
    with built_with(lib, backend):
        q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays[:3])
        g = lib.tensor(arrays[3])
    attention = lib.nn.functional.scaled_dot_product_attention

    def run(n):
        for _ in range(n):
            q.grad = k.grad = v.grad = None
            attention(q, k, v, is_causal=True).backward(g)

    return run
