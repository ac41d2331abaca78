"""Registry entries of arithmetic, exp/log/sqrt/abs, maximum/minimum and where
(``minigrad/ops/elementwise.py``)."""


import minigrad as mg
from minigrad.ops import elementwise
from minigrad.testing.op_db.base import (
    AWAY_FROM_ZERO,
    POSITIVE,
    Domain,
    OpInfo,
    SampleInput,
    unary_samples,
)


def _binary(make):
    return [SampleInput((make(3, 4), make(3, 4)), name="same_shape"),
            SampleInput((make(3, 4), make(4)), name="broadcast_row"),
            SampleInput((make(3, 1), make(1, 4)), name="outer"),
            SampleInput((make(), make(2, 3)), name="scalar_tensor"),
            SampleInput((make(2, 3), 1.5), name="python_scalar"),
            SampleInput((-0.75, make(2, 3)), name="python_scalar_left"),
            SampleInput((make(0, 3), make(3)), name="empty")]


def _separated_pairs(make):
    """Pairs whose elements differ by 0.2 to 1 in a random direction: no ties for max/min."""
    def partner(a):
        step = make.rng.uniform(0.2, 1.0, size=a.shape) * make.rng.choice([-1.0, 1.0], a.shape)
        return a + step
    a, row, col = make(3, 4), make(4), make(3, 1)
    return [SampleInput((a, partner(a)), name="same_shape"),
            SampleInput((make(3, 4), row), name="broadcast_row"),
            SampleInput((col, partner(col) + make(1, 4) * 0), name="outer"),
            SampleInput((make(), make(2, 3)), name="scalar_tensor")]


def _pow_samples(make):
    return [SampleInput((make(3, 4), make(3, 4)), name="tensor_exponent"),
            SampleInput((make(3, 4), make(4)), name="broadcast"),
            SampleInput((make(2, 3), 3), name="int_exponent"),
            SampleInput((make(2, 3), -1.5), name="float_exponent"),
            SampleInput((1.7, make(2, 3)), name="scalar_base"),
            SampleInput((make(), make(2)), name="scalar_tensor")]


def _where_samples(make):
    return [SampleInput((make(3, 4) > 0, make(3, 4), make(3, 4)), name="same_shape"),
            SampleInput((make(3, 1) > 0, make(3, 4), make(4)), name="broadcast"),
            SampleInput((make(2, 3) > 0, make(2, 3), 0.25), name="python_scalar")]


OPS = [
    OpInfo("add", lambda a, b: a + b, elementwise.Add, lambda xp, a, b: a + b, _binary,
           torch_op=lambda torch, a, b: a + b),
    OpInfo("sub", lambda a, b: a - b, elementwise.Sub, lambda xp, a, b: a - b, _binary,
           torch_op=lambda torch, a, b: a - b),
    OpInfo("mul", lambda a, b: a * b, elementwise.Mul, lambda xp, a, b: a * b, _binary,
           torch_op=lambda torch, a, b: a * b),
    OpInfo("div", lambda a, b: a / b, elementwise.Div, lambda xp, a, b: a / b, _binary,
           domain=Domain(away_from=(0.0,), margin=0.3), torch_op=lambda torch, a, b: a / b),
    OpInfo("neg", lambda x: -x, elementwise.Neg, lambda xp, x: -x, unary_samples,
           torch_op=lambda torch, x: -x),
    OpInfo("pow", lambda x, p: x ** p, elementwise.Pow, lambda xp, x, p: xp.power(x, p),
           _pow_samples,
           domain=Domain(low=0.3, high=2.0), torch_op=lambda torch, x, p: x ** p),
    OpInfo("exp", mg.exp, elementwise.Exp, lambda xp, x: xp.exp(x), unary_samples,
           torch_op=lambda torch, x: torch.exp(x)),
    OpInfo("log", mg.log, elementwise.Log, lambda xp, x: xp.log(x), unary_samples, domain=POSITIVE,
           torch_op=lambda torch, x: torch.log(x)),
    OpInfo("sqrt", mg.sqrt, elementwise.Sqrt, lambda xp, x: xp.sqrt(x), unary_samples,
           domain=POSITIVE,
           torch_op=lambda torch, x: torch.sqrt(x)),
    OpInfo("abs", mg.abs, elementwise.Abs, lambda xp, x: xp.abs(x), unary_samples,
           domain=AWAY_FROM_ZERO,
           torch_op=lambda torch, x: torch.abs(x)),
    OpInfo("maximum", mg.maximum, elementwise.Maximum, lambda xp, a, b: xp.maximum(a, b),
           _separated_pairs,
           torch_op=lambda torch, a, b: torch.maximum(a, b)),
    OpInfo("minimum", mg.minimum, elementwise.Minimum, lambda xp, a, b: xp.minimum(a, b),
           _separated_pairs,
           torch_op=lambda torch, a, b: torch.minimum(a, b)),
    OpInfo("where", mg.where, elementwise.Where, lambda xp, c, a, b: xp.where(c, a, b),
           _where_samples,
           torch_op=lambda torch, c, a, b: torch.where(c, a, b)),
]

MODULES = []  # no layer of its own
