"""The op registry: one ``OpInfo`` per differentiable op, swept by every gradient test, and
one ``ModuleInfo`` per layer, swept by the module parity and state-dict tests.

The entries live by family, one file per file of ``minigrad/ops``: an op's entry sits in
``op_db/<family>.py`` as ``OPS``, its layers' as ``MODULES``. An entry says how to call
the op, which ``Function`` does the work, a float64 reference written against the array
namespace ``xp`` (NumPy when run), how to draw sample inputs, and where the op's
derivative is defined: kinks and poles are data here (``Domain``), not special cases in
tests. Sample arguments that are float arrays become tensors that require grad (unless
listed in ``frozen``), integer and bool arrays become plain tensors, anything else is
passed as it is.
"""

from minigrad.testing.op_db import (
    activation,
    activation_piecewise,
    activation_smooth,
    attention,
    convolution,
    diagonals,
    dropout,
    elementwise,
    embedding,
    gather_scatter,
    indexing,
    interpolation,
    lazy,
    linalg,
    loss,
    loss_regression,
    normalization,
    normalization_group,
    normalization_sync,
    pointwise,
    pointwise_special,
    pointwise_ternary,
    pooling,
    products,
    recurrent,
    reduction,
    shape,
    shape_move,
    shape_repeat,
    sorting,
    statistics,
)
from minigrad.testing.op_db.base import Domain, ModuleInfo, OpInfo, SampleInput, SampleMaker

FAMILIES = (elementwise, linalg, reduction, shape, indexing, activation, activation_piecewise,
            activation_smooth, normalization, dropout, loss, loss_regression, recurrent, pointwise,
            pointwise_special, statistics, shape_repeat, shape_move, diagonals, gather_scatter,
            sorting, products, pointwise_ternary, embedding, normalization_group,
            convolution, pooling, interpolation, attention, lazy, normalization_sync)
OP_DB = [info for family in FAMILIES for info in family.OPS]
OPS_BY_NAME = {info.name: info for info in OP_DB}
MODULE_DB = [info for family in FAMILIES for info in family.MODULES]

__all__ = ["Domain", "FAMILIES", "MODULE_DB", "ModuleInfo", "OPS_BY_NAME", "OP_DB", "OpInfo",
           "SampleInput", "SampleMaker"]
