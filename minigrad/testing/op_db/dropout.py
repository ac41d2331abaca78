"""Registry entries of dropout with an injected mask (``minigrad/ops/dropout.py``), per
element or per channel (broadcast), and the dropout layers in evaluation (the identity)."""


from minigrad.ops import dropout
from minigrad.testing.op_db.base import ModuleInfo, OpInfo, SampleInput


def _dropout_samples(make):
    keep = make.rng.random((4, 5)) >= 0.3
    return [SampleInput((make(4, 5), keep), {"p": 0.3}, name="p0.3"),
            SampleInput((make(4, 5), keep), {"p": 0.0}, name="p0"),
            SampleInput((make(4, 5), keep & False), {"p": 1.0}, name="p1"),
            SampleInput((make(3, 4, 2, 2), make.rng.random((3, 4, 1, 1)) >= 0.5), {"p": 0.5},
                        name="channel_mask_p0.5")]


def _dropout_op(x, keep, p):
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return dropout.Dropout.apply(x, keep.to(x.dtype) * scale)


OPS = [
    OpInfo("dropout", _dropout_op, dropout.Dropout,
           lambda xp, x, keep, p: x * keep * (0.0 if p == 1 else 1 / (1 - p)),
           _dropout_samples),
]

MODULES = [
    ModuleInfo("Dropout-eval", lambda nn: nn.Dropout(0.3), eval_mode=True),
    ModuleInfo("Dropout1d-eval", lambda nn: nn.Dropout1d(0.3), eval_mode=True),
    ModuleInfo("Dropout2d-eval", lambda nn: nn.Dropout2d(0.4), input_shapes=((2, 3, 4, 5),),
               eval_mode=True),
    ModuleInfo("Dropout3d-eval", lambda nn: nn.Dropout3d(), input_shapes=((2, 3, 2, 2, 2),
                                                                         (3, 2, 2, 2)),
               eval_mode=True),
]
