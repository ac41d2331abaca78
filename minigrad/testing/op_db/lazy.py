"""Registry entries of the lazy layers (``minigrad/nn/layers/lazy.py``): each is built
lazily in its framework and given one dry run, so the sweeps hold the eager layer it turned
into (shapes, state dict keys, repr, forward and gradients) against PyTorch's."""

import importlib

from minigrad.testing.op_db.base import ModuleInfo

OPS = []


def dry_run(layer, nn, shape):
    """``layer`` after one forward of zeros of ``shape`` made by ``nn``'s framework
    (``minigrad`` or ``torch``), which sizes its weights."""
    framework = importlib.import_module(nn.__name__.partition(".")[0])
    layer(framework.zeros(*shape))
    return layer


MODULES = [
    ModuleInfo("LazyLinear", lambda nn: dry_run(nn.LazyLinear(5), nn, (1, 7)),
               input_shapes=((6, 7), (2, 3, 7))),
    ModuleInfo("LazyLinear-no_bias", lambda nn: dry_run(nn.LazyLinear(3, bias=False), nn, (4,)),
               input_shapes=((2, 4),)),
    ModuleInfo("LazyConv1d", lambda nn: dry_run(nn.LazyConv1d(4, 3, padding=1), nn, (3, 9)),
               input_shapes=((2, 3, 9), (3, 9)), scale=1.0),
    ModuleInfo("LazyConv2d-groups", lambda nn: dry_run(nn.LazyConv2d(6, 3, groups=2), nn,
                                                       (1, 4, 5, 5)),
               input_shapes=((2, 4, 5, 6),), scale=1.0),
    ModuleInfo("LazyBatchNorm1d", lambda nn: dry_run(nn.LazyBatchNorm1d(), nn, (4, 3)),
               input_shapes=((6, 3), (4, 3, 5))),
    ModuleInfo("LazyBatchNorm2d", lambda nn: dry_run(nn.LazyBatchNorm2d(momentum=None), nn,
                                                     (2, 3, 4, 4)),
               input_shapes=((2, 3, 4, 5),), scale=1.0),
]
