"""Registry entries of embedding, pad, normalize and cosine_similarity
(``minigrad/ops/embedding.py``) and the ``nn.Embedding`` layer."""

import math

from minigrad.nn import functional as F
from minigrad.ops import elementwise, embedding
from minigrad.testing.op_db.base import AWAY_FROM_ZERO, Domain, ModuleInfo, OpInfo, SampleInput


def _embedding_samples(make):
    """Plain lookups only: ``padding_idx`` and ``scale_grad_by_freq`` change the gradient on
    purpose (it is no longer the derivative), so their tests compare with PyTorch."""
    def index(values):
        return make.xp.asarray(values, dtype="int64")

    return [SampleInput((index(make.index(5, 2, 3)), make(5, 4)), name="batch"),
            SampleInput((index([[1, 3, 1], [4, 1, 0]]), make(5, 4)), name="repeated"),
            SampleInput((index(3), make(5, 2)), name="scalar_index"),
            SampleInput((index([0]), make(1, 3)), name="one_element"),
            SampleInput((index(make.index(4, 0)), make(4, 3)), name="empty")]


def _embedding_ref(xp, indices, weight, **_):
    return weight[indices]


def _pad_samples(make, mode):
    if mode == "constant":
        return [SampleInput((make(2, 3), (1, 2)), name="last_dim"),
                SampleInput((make(2, 3, 4), (1, 0, 2, 1)), {"value": 1.5}, name="two_dims"),
                SampleInput((make(2, 3), (-1, 2, 1, -1)), name="negative_crops"),
                SampleInput((make(4), (0, 0)), name="zero"),
                SampleInput((make(1), (2, 1)), name="one_element"),
                SampleInput((make(0, 3), (1, 1, 0, 2)), name="empty")]
    samples = [SampleInput((make(2, 5), (2, 3)), name="2d"),
               SampleInput((make(2, 3, 4), (1, 2, 2, 0)), name="two_dims"),
               SampleInput((make(1, 2, 3, 3, 4), (1, 1, 0, 2, 2, 1)), name="three_dims"),
               SampleInput((make(2, 5), (-1, 3)), name="negative_crop"),
               SampleInput((make(0, 2, 4), (3, 1)), name="empty_batch")]
    if mode == "replicate":
        samples.append(SampleInput((make(2, 1), (3, 2)), name="one_element_dim"))
    return samples


_TORCH_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}


def _pad_ref(xp, x, pad, mode, value=None):
    """NumPy's pad (reflect, edge and wrap are PyTorch's reflect, replicate and circular)
    with PyTorch's crops: a negative width slices the dim after (circular: before)
    padding."""
    widths = [(0, 0)] * (x.ndim - len(pad) // 2) + [
        (pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]
    if mode == "circular":
        x = x[tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, widths))]
        widths = [(max(b, 0), max(a, 0)) for b, a in widths]
    extra = {"constant_values": value or 0} if mode == "constant" else {}
    padded = xp.pad(x, [(max(b, 0), max(a, 0)) for b, a in widths], _TORCH_MODE[mode],
                    **extra)
    return padded[tuple(slice(max(-b, 0), padded.shape[i] - max(-a, 0))
                        for i, (b, a) in enumerate(widths))]


def _pad_info(mode):
    function = embedding.ConstantPad if mode == "constant" else embedding.EdgePad
    name = "pad" if mode == "constant" else f"pad_{mode}"
    return OpInfo(name, lambda x, pad, **kw: F.pad(x, pad, mode, **kw), function,
                  lambda xp, x, pad, **kw: _pad_ref(xp, x, pad, mode, **kw),
                  lambda make: _pad_samples(make, mode),
                  torch_op=lambda torch, x, pad, **kw: torch.nn.functional.pad(x, pad, mode,
                                                                               **kw))


def _p_norm(xp, x, p, axis):
    if math.isinf(p):
        return xp.abs(x).max(axis=axis, keepdims=True)
    return (xp.abs(x) ** p).sum(axis=axis, keepdims=True) ** (1 / p)


def _normalize_samples(make):
    return [SampleInput((make(4, 3),), name="rows"),
            SampleInput((make(3, 4),), {"p": 1.0, "dim": 0}, name="p1_dim0"),
            SampleInput((make(2, 3, 4),), {"p": 3.0, "dim": -1}, name="p3_3d"),
            SampleInput((make(2, 5),), {"p": math.inf}, name="inf"),
            SampleInput((make(),), {"dim": 0}, name="scalar"),
            SampleInput((make(1, 1),), name="one_element"),
            SampleInput((make(0, 3),), name="empty")]


def _normalize_ref(xp, x, p=2.0, dim=1):
    axis = dim if x.ndim else None
    return x / xp.maximum(_p_norm(xp, x, p, axis), 1e-12)


def _cosine_samples(make):
    return [SampleInput((make(4, 3), make(4, 3)), name="rows"),
            SampleInput((make(4, 3), make(3)), name="broadcast"),
            SampleInput((make(3, 1, 4), make(2, 4)), {"dim": -1}, name="broadcast_3d"),
            SampleInput((make(3, 4), make(3, 4)), {"dim": 0, "eps": 1e-3}, name="dim0_eps"),
            SampleInput((make(), make()), {"dim": 0}, name="scalar"),
            SampleInput((make(1, 1), make(1, 1)), name="one_element"),
            SampleInput((make(0, 3), make(0, 3)), name="empty")]


def _cosine_ref(xp, x1, x2, dim=1, eps=1e-8):
    x1, x2 = xp.broadcast_arrays(x1, x2)
    axis = dim if x1.ndim else None
    u1 = x1 / xp.maximum(_p_norm(xp, x1, 2, axis), eps)
    u2 = x2 / xp.maximum(_p_norm(xp, x2, 2, axis), eps)
    return (u1 * u2).sum(axis=axis)


OPS = [
    OpInfo("embedding", F.embedding, embedding.Embedding, _embedding_ref, _embedding_samples,
           torch_op=lambda torch, *args, **kw: torch.nn.functional.embedding(*args, **kw)),
    *[_pad_info(mode) for mode in _TORCH_MODE],
    # NOTE: normalize is composed of norm, clamp and div; scaling div's backward scales
    # the whole gradient, which is what the wrong-backward checks need
    OpInfo("normalize", F.normalize, elementwise.Div, _normalize_ref, _normalize_samples,
           domain=AWAY_FROM_ZERO,
           torch_op=lambda torch, x, **kw: torch.nn.functional.normalize(x, **kw)),
    OpInfo("cosine_similarity", F.cosine_similarity, embedding.CosineSimilarity, _cosine_ref,
           _cosine_samples, domain=Domain(away_from=(0.0,), margin=0.2),
           torch_op=lambda torch, *args, **kw: torch.nn.functional.cosine_similarity(*args,
                                                                                     **kw)),
]

MODULES = [
    ModuleInfo("Embedding", lambda nn: nn.Embedding(10, 4), input_shapes=((6,), (2, 3)),
               index_high=10),
    ModuleInfo("Embedding-padding_idx", lambda nn: nn.Embedding(6, 3, padding_idx=2),
               input_shapes=((4, 5),), index_high=6),
    ModuleInfo("Embedding-options", lambda nn: nn.Embedding(
        5, 3, padding_idx=-1, max_norm=2.0, norm_type=1.0, scale_grad_by_freq=True),
        input_shapes=((3, 4),), index_high=5),
]
