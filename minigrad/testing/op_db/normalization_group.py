"""Registry entries of group_norm and rms_norm (``minigrad/ops/normalization_group.py``) and
the ``nn.GroupNorm`` and ``nn.RMSNorm`` layers."""

import math

from minigrad.nn import functional as F
from minigrad.ops import normalization_group
from minigrad.testing.op_db.base import ModuleInfo, OpInfo, SampleInput


def _group_norm_samples(make):
    return [SampleInput((make(4, 6, 3), make(6, low=0.5), make(6)), {"groups": 3},
                        name="3d"),
            SampleInput((make(3, 4),), {"groups": 2}, name="2d_no_affine"),
            SampleInput((make(2, 4, 2, 3), make(4, low=0.5)), {"groups": 1, "eps": 1e-3},
                        name="4d_one_group_no_bias"),
            SampleInput((make(2, 4, 3, 2), make(4, low=0.5), make(4)), {"groups": 2},
                        name="4d_two_groups"),
            SampleInput((make(2, 3, 5), make(3, low=0.5), make(3)), {"groups": 3},
                        name="instance_norm"),
            SampleInput((make(0, 4, 3),), {"groups": 2}, name="empty_batch"),
            SampleInput((make(2, 4, 3, low=1e4 - 2, high=1e4 + 2),), {"groups": 2},
                        name="offset_1e4")]


def _group_norm_ref(xp, x, weight=None, bias=None, groups=1, eps=1e-5):
    grouped = x.reshape(x.shape[0], groups, math.prod(x.shape[1:]) // groups)
    mean = grouped.mean(axis=2, keepdims=True)
    var = ((grouped - mean) ** 2).mean(axis=2, keepdims=True)
    y = ((grouped - mean) / xp.sqrt(var + eps)).reshape(x.shape)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = y * weight.reshape(shape) if weight is not None else y
    return y + bias.reshape(shape) if bias is not None else y


def _rms_norm_samples(make):
    return [SampleInput((make(4, 5), make(5, low=0.5)), {"shape": (5,)}, name="1d"),
            SampleInput((make(2, 3, 4), make(3, 4, low=0.5)), {"shape": (3, 4)}, name="2d"),
            SampleInput((make(3, 6),), {"shape": (6,), "eps": 1e-3}, name="no_weight_eps"),
            SampleInput((make(5), make(5, low=0.5)), {"shape": (5,)}, name="unbatched"),
            SampleInput((make(1, 1),), {"shape": (1,)}, name="one_element"),
            SampleInput((make(0, 3), make(3, low=0.5)), {"shape": (3,)}, name="empty_batch")]


def _rms_norm_ref(xp, x, weight=None, shape=None, eps=None):
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    eps = xp.finfo(x.dtype).eps if eps is None else eps
    y = x / xp.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
    return y * weight if weight is not None else y


OPS = [
    OpInfo("group_norm", lambda x, w=None, b=None, groups=1, eps=1e-5: F.group_norm(
               x, groups, w, b, eps),
           normalization_group.GroupNorm, _group_norm_ref, _group_norm_samples,
           forward_rtol32=1e-4,
           torch_op=lambda torch, x, w=None, b=None, groups=1, eps=1e-5:
               torch.nn.functional.group_norm(x, groups, w, b, eps)),
    OpInfo("rms_norm", lambda x, w=None, shape=None, eps=None: F.rms_norm(x, shape, w, eps),
           normalization_group.RMSNorm, _rms_norm_ref, _rms_norm_samples, forward_rtol32=1e-4,
           torch_op=lambda torch, x, w=None, shape=None, eps=None:
               torch.nn.functional.rms_norm(x, shape, w, eps)),
]

MODULES = [
    ModuleInfo("GroupNorm", lambda nn: nn.GroupNorm(2, 4), input_shapes=((3, 4), (2, 4, 5),
                                                                         (2, 4, 3, 2)),
               shift=1.0),
    ModuleInfo("GroupNorm-instance", lambda nn: nn.GroupNorm(3, 3, eps=1e-3),
               input_shapes=((2, 3, 6),)),
    ModuleInfo("GroupNorm-no_affine", lambda nn: nn.GroupNorm(1, 6, affine=False),
               input_shapes=((4, 6, 2),)),
    ModuleInfo("GroupNorm-no_bias", lambda nn: nn.GroupNorm(2, 6, bias=False),
               input_shapes=((4, 6, 2),)),
    ModuleInfo("RMSNorm", lambda nn: nn.RMSNorm(6), input_shapes=((4, 6), (2, 3, 6))),
    ModuleInfo("RMSNorm-two_dims", lambda nn: nn.RMSNorm([3, 5], eps=1e-3),
               input_shapes=((4, 3, 5),)),
    ModuleInfo("RMSNorm-no_affine", lambda nn: nn.RMSNorm(4, elementwise_affine=False),
               input_shapes=((5, 4),)),
]
