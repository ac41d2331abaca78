"""Translations of the reductions and scans: ONNX's Reduce ops over the recorded axes."""

import math

from minigrad.onnx.registry import Table

TABLE = Table()

# op name -> the ONNX reduction of the same name
REDUCTIONS = {"sum": "ReduceSum", "mean": "ReduceMean", "amax": "ReduceMax",
              "amin": "ReduceMin", "prod": "ReduceProd", "logsumexp": "ReduceLogSumExp"}


def _reduction(op_type):
    def translate(g, call):
        x, axes, keepdim = call.args
        return g.reduce(op_type, x, axes, keepdim)
    return translate


for _name, _op_type in REDUCTIONS.items():
    TABLE.register(_name)(_reduction(_op_type))


def count(g, x, reduced):
    """How many elements of x each value of ``reduced`` (x reduced with keepdim) stands for,
    as a 0-d value of x's dtype: from the runtime sizes when x's shape is dynamic."""
    if not g.is_dynamic(x):
        return g.scalar(math.prod(x.shape) // max(math.prod(reduced.shape), 1), x)
    ratio = g.op("Div", g.op("Size", x), g.op("Size", reduced.name))
    return g.cast(ratio, x.dtype)


@TABLE.register("var")
def _var(g, call):
    """sum((x - mean)^2) / (n - correction), n the count of each reduced slice."""
    x, axes, keepdim, correction = call.args
    mean = g.reduce("ReduceMean", x, axes, True)
    centered = g.op("Sub", x, mean)
    total = g.reduce("ReduceSum", g.op("Mul", centered, centered), axes, keepdim)
    kept = x._replace(name=mean, shape=tuple(1 if i in axes or not axes else n
                                             for i, n in enumerate(x.shape)))
    divisor = g.op("Sub", count(g, x, kept), g.scalar(correction, x))
    return g.op("Div", total, divisor)


@TABLE.register("max", "min")
def _extreme(g, call):
    """Over all elements one value; along a dim the values and their (first) indices."""
    x, dim, keepdim = call.args
    reduce = "ReduceMax" if call.op == "max" else "ReduceMin"
    if dim is None:
        return g.reduce(reduce, x, None, False)
    values = g.reduce(reduce, x, (dim,), keepdim)
    indices = g.op("ArgMax" if call.op == "max" else "ArgMin", x, axis=dim,
                   keepdims=int(keepdim))
    return values, indices


@TABLE.register("norm")
def _norm(g, call):
    """(sum |x|^p)^(1/p): ONNX's L1 and L2 reductions, max or min |x| for p = +-inf."""
    x, p, axes, keepdim = call.args
    if p == 2:
        return g.reduce("ReduceL2", x, axes, keepdim)
    if p == 1:
        return g.reduce("ReduceL1", x, axes, keepdim)
    magnitude = g.op("Abs", x)
    if math.isinf(p):
        return g.reduce("ReduceMax" if p > 0 else "ReduceMin", magnitude, axes, keepdim)
    if p == 0:
        nonzero = g.cast(g.op("Not", g.op("Equal", x, g.scalar(0, x))), x.dtype)
        return g.reduce("ReduceSum", nonzero, axes, keepdim)
    powered = g.op("Pow", magnitude, g.scalar(p, x))
    return g.op("Pow", g.reduce("ReduceSum", powered, axes, keepdim), g.scalar(1 / p, x))


@TABLE.register("cumsum")
def _cumsum(g, call):
    x, axis = call.args
    if axis is None:  # NOTE: a 0-d tensor is its own cumulative sum
        return g.op("Identity", x)
    return g.op("CumSum", x, g.constant(int(axis), "int64"))
