"""Registry entries of dropout with an injected mask (``minigrad/ops/dropout.py``)."""


from minigrad.ops import dropout
from minigrad.testing.op_db.base import ModuleInfo, OpInfo, SampleInput


def _dropout_samples(make):
    keep = make.rng.random((4, 5)) >= 0.3
    return [SampleInput((make(4, 5), keep), {"p": 0.3}, name="p0.3"),
            SampleInput((make(4, 5), keep), {"p": 0.0}, name="p0"),
            SampleInput((make(4, 5), keep & False), {"p": 1.0}, name="p1")]


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
]
