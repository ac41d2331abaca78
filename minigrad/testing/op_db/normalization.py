"""Registry entries of batch and layer norm (``minigrad/ops/normalization.py``)."""


from minigrad.nn import functional as F
from minigrad.ops import normalization
from minigrad.testing.op_db.base import ModuleInfo, OpInfo, SampleInput


def _batch_norm_samples(make):
    return [SampleInput((make(6, 3), make(3, low=0.5), make(3)), name="2d"),
            SampleInput((make(4, 3, 5), make(3, low=0.5), make(3)), name="3d"),
            SampleInput((make(5, 2),), name="no_affine"),
            SampleInput((make(2, 4),), {"eps": 1e-3}, name="two_rows_eps")]


def _layer_norm_samples(make):
    return [SampleInput((make(4, 5), make(5, low=0.5), make(5)), {"shape": (5,)}, name="1d"),
            SampleInput((make(2, 3, 4), make(3, 4, low=0.5), make(3, 4)), {"shape": (3, 4)},
                        name="2d"),
            SampleInput((make(3, 6), make(6, low=0.5)), {"shape": (6,)}, name="no_bias"),
            SampleInput((make(3, 6),), {"shape": (6,)}, name="no_affine"),
            SampleInput((make(2, 4, low=1e4 - 2, high=1e4 + 2),), {"shape": (4,)},
                        name="offset_1e4")]


def _standardize_ref(xp, x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / xp.sqrt(var + eps)


def _batch_norm_ref(xp, x, weight=None, bias=None, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = _standardize_ref(xp, x, (0,) if x.ndim == 2 else (0, 2), eps)
    y = y * weight.reshape(shape) if weight is not None else y
    return y + bias.reshape(shape) if bias is not None else y


def _layer_norm_ref(xp, x, weight=None, bias=None, shape=None):
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    y = _standardize_ref(xp, x, axes, 1e-5)
    y = y * weight if weight is not None else y
    return y + bias if bias is not None else y


OPS = [
    OpInfo("batch_norm", lambda x, w=None, b=None, eps=1e-5: F.batch_norm(
               x, None, None, w, b, training=True, eps=eps),
           normalization.BatchNorm,
           lambda xp, x, w=None, b=None, eps=1e-5: _batch_norm_ref(xp, x, w, b, eps),
           _batch_norm_samples, forward_rtol32=1e-4,
           torch_op=lambda torch, x, w=None, b=None, eps=1e-5: torch.nn.functional.batch_norm(
               x, None, None, w, b, training=True, eps=eps)),
    OpInfo("layer_norm", lambda x, w=None, b=None, shape=None: F.layer_norm(x, shape, w, b),
           normalization.LayerNorm, _layer_norm_ref, _layer_norm_samples, forward_rtol32=1e-4,
           torch_op=lambda torch, x, w=None, b=None, shape=None:
               torch.nn.functional.layer_norm(x, shape, w, b)),
]

MODULES = [
    ModuleInfo("LayerNorm", lambda nn: nn.LayerNorm(6), input_shapes=((4, 6), (2, 3, 6)),
               shift=1.0),
    ModuleInfo("LayerNorm-two_dims", lambda nn: nn.LayerNorm((3, 5)), input_shapes=((4, 3, 5),),
               shift=1.0),
    ModuleInfo("LayerNorm-no_bias", lambda nn: nn.LayerNorm(6, bias=False),
               input_shapes=((4, 6),), shift=1.0),
    ModuleInfo("LayerNorm-no_affine", lambda nn: nn.LayerNorm((3, 5), elementwise_affine=False),
               input_shapes=((2, 3, 5),), shift=1.0),
    ModuleInfo("LayerNorm-eps", lambda nn: nn.LayerNorm(6, eps=1e-3), input_shapes=((4, 6),),
               shift=1.0),
    ModuleInfo("BatchNorm1d", lambda nn: nn.BatchNorm1d(4), input_shapes=((8, 4), (6, 4, 5))),
    ModuleInfo("BatchNorm1d-eval", lambda nn: nn.BatchNorm1d(4), input_shapes=((8, 4),),
               eval_mode=True),
]
