"""Registry entries of batch, instance and layer norm (``minigrad/ops/normalization.py``)
and their layers."""


from minigrad.nn import functional as F
from minigrad.ops import normalization
from minigrad.testing.op_db.base import ModuleInfo, OpInfo, SampleInput


def _batch_norm_samples(make):
    def stats(channels):
        return make(channels), make(channels, low=0.5)

    return [SampleInput((make(6, 3), make(3, low=0.5), make(3)), name="2d"),
            SampleInput((make(4, 3, 5), make(3, low=0.5), make(3)), name="3d"),
            SampleInput((make(5, 2),), name="no_affine"),
            SampleInput((make(2, 4),), {"eps": 1e-3}, name="two_rows_eps"),
            SampleInput((make(3, 2, 2, 3), make(2, low=0.5), make(2)), name="4d"),
            SampleInput((make(4, 3, 1, 1), make(3, low=0.5)), name="4d_one_pixel_no_bias"),
            SampleInput((make(2, 2, 2, 2, 3), make(2, low=0.5), make(2)), name="5d"),
            SampleInput((make(2, 2, 3, 2, low=1e4 - 2, high=1e4 + 2),), name="4d_offset_1e4"),
            SampleInput((make(2, 3, 2, 2), make(3, low=0.5), make(3), *stats(3)),
                        {"training": False}, name="4d_eval", frozen=(3, 4)),
            SampleInput((make(2, 2, 2, 1, 2), None, None, *stats(2)), {"training": False},
                        name="5d_eval_no_affine", frozen=(3, 4))]


def _instance_norm_samples(make):
    return [SampleInput((make(2, 3, 5), make(3, low=0.5), make(3)), name="3d"),
            SampleInput((make(2, 3, 2, 3), make(3, low=0.5), make(3)), name="4d"),
            SampleInput((make(3, 2, 4, 1), make(2, low=0.5)), name="4d_no_bias"),
            SampleInput((make(1, 2, 2, 2, 2),), {"eps": 1e-3}, name="5d_no_affine_eps"),
            SampleInput((make(2, 2, 3, 2, low=1e4 - 2, high=1e4 + 2),), name="4d_offset_1e4"),
            SampleInput((make(2, 3, 2, 2), make(3, low=0.5), make(3), make(3),
                         make(3, low=0.5)), {"use_input_stats": False},
                        name="4d_running_stats", frozen=(3, 4))]


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


def _affine_ref(y, weight, bias):
    shape = (1, -1) + (1,) * (y.ndim - 2)
    y = y * weight.reshape(shape) if weight is not None else y
    return y + bias.reshape(shape) if bias is not None else y


def _batch_norm_ref(xp, x, weight=None, bias=None, mean=None, var=None, eps=1e-5,
                    training=True):
    if training:
        y = _standardize_ref(xp, x, (0,) + tuple(range(2, x.ndim)), eps)
    else:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        y = (x - mean.reshape(shape)) / xp.sqrt(var.reshape(shape) + eps)
    return _affine_ref(y, weight, bias)


def _instance_norm_ref(xp, x, weight=None, bias=None, mean=None, var=None, eps=1e-5,
                       use_input_stats=True):
    if not use_input_stats:
        return _batch_norm_ref(xp, x, weight, bias, mean, var, eps, training=False)
    return _affine_ref(_standardize_ref(xp, x, tuple(range(2, x.ndim)), eps), weight, bias)


def _layer_norm_ref(xp, x, weight=None, bias=None, shape=None):
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    y = _standardize_ref(xp, x, axes, 1e-5)
    y = y * weight if weight is not None else y
    return y + bias if bias is not None else y


OPS = [
    OpInfo("batch_norm", lambda x, w=None, b=None, mean=None, var=None, eps=1e-5,
           training=True: F.batch_norm(x, mean, var, w, b, training=training, eps=eps),
           normalization.BatchNorm, _batch_norm_ref, _batch_norm_samples, forward_rtol32=1e-4,
           torch_op=lambda torch, x, w=None, b=None, mean=None, var=None, eps=1e-5,
           training=True: torch.nn.functional.batch_norm(x, mean, var, w, b,
                                                         training=training, eps=eps)),
    # NOTE: instance norm is batch norm of the (1, N * C, *) view: its Function is BatchNorm
    OpInfo("instance_norm", lambda x, w=None, b=None, mean=None, var=None, eps=1e-5,
           use_input_stats=True: F.instance_norm(x, mean, var, w, b, use_input_stats,
                                                 eps=eps),
           normalization.BatchNorm, _instance_norm_ref, _instance_norm_samples,
           forward_rtol32=1e-4,
           torch_op=lambda torch, x, w=None, b=None, mean=None, var=None, eps=1e-5,
           use_input_stats=True: torch.nn.functional.instance_norm(
               x, mean, var, w, b, use_input_stats, eps=eps)),
    OpInfo("layer_norm", lambda x, w=None, b=None, shape=None: F.layer_norm(x, shape, w, b),
           normalization.LayerNorm, _layer_norm_ref, _layer_norm_samples, forward_rtol32=1e-4,
           torch_op=lambda torch, x, w=None, b=None, shape=None:
               torch.nn.functional.layer_norm(x, shape, w, b)),
]


def _tracked_instance_norm_2d(nn):
    return nn.InstanceNorm2d(3, affine=True, track_running_stats=True)


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
    ModuleInfo("BatchNorm2d", lambda nn: nn.BatchNorm2d(3), input_shapes=((4, 3, 3, 2),
                                                                         (2, 3, 1, 5))),
    ModuleInfo("BatchNorm2d-eval", lambda nn: nn.BatchNorm2d(3), input_shapes=((2, 3, 2, 2),),
               eval_mode=True),
    ModuleInfo("BatchNorm2d-no_affine", lambda nn: nn.BatchNorm2d(2, momentum=None,
                                                                  affine=False),
               input_shapes=((3, 2, 2, 2),), shift=1.0),
    ModuleInfo("BatchNorm3d", lambda nn: nn.BatchNorm3d(2), input_shapes=((2, 2, 2, 3, 2),)),
    ModuleInfo("BatchNorm3d-eval", lambda nn: nn.BatchNorm3d(2, eps=1e-3),
               input_shapes=((2, 2, 2, 1, 3),), eval_mode=True),
    ModuleInfo("InstanceNorm1d", lambda nn: nn.InstanceNorm1d(3), input_shapes=((2, 3, 5),
                                                                               (3, 5))),
    ModuleInfo("InstanceNorm1d-affine", lambda nn: nn.InstanceNorm1d(3, affine=True),
               input_shapes=((2, 3, 5), (3, 4))),
    ModuleInfo("InstanceNorm2d-tracked", _tracked_instance_norm_2d,
               input_shapes=((2, 3, 3, 2), (3, 2, 4))),
    ModuleInfo("InstanceNorm2d-tracked-eval", _tracked_instance_norm_2d,
               input_shapes=((2, 3, 3, 2),), eval_mode=True),
    ModuleInfo("InstanceNorm2d-eval", lambda nn: nn.InstanceNorm2d(2),
               input_shapes=((2, 2, 3, 3),), eval_mode=True),
    ModuleInfo("InstanceNorm3d", lambda nn: nn.InstanceNorm3d(2, affine=True),
               input_shapes=((2, 2, 2, 2, 3), (2, 3, 2, 2))),
]
