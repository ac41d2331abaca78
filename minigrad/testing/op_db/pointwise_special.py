"""Registry entries of square, rsqrt, reciprocal, erf, erfc, frac and the binary atan2,
hypot, logaddexp, fmod and remainder (``minigrad/ops/pointwise_special.py``)."""

import math

import minigrad as mg
from minigrad.ops import pointwise_special as special
from minigrad.testing.op_db.base import POSITIVE, Domain, OpInfo, SampleInput, unary_samples

_AWAY_FROM_ZERO = Domain(away_from=(0.0,), margin=0.3)
_AWAY_FROM_INTEGERS = Domain(away_from=(-2.0, -1.0, 0.0, 1.0, 2.0))  # frac jumps there


def _np_special(xp, fn, x):
    return xp.vectorize(fn, otypes=["float64"])(x)  # an oracle independent of backend.erf


def _binary(make):
    return [SampleInput((make(3, 4), make(3, 4)), name="same_shape"),
            SampleInput((make(3, 4), make(4)), name="broadcast_row"),
            SampleInput((make(3, 1), make(1, 4)), name="outer"),
            SampleInput((make(), make(2, 3)), name="scalar_tensor"),
            SampleInput((make(2, 3), 1.5), name="python_scalar"),
            SampleInput((make(0, 3), make(3)), name="empty")]


def _division_samples(make):
    """Pairs whose quotient sits 0.2 to 0.8 past an integer: fmod and remainder jump where
    it is one, and their slope in the divisor is minus that integer."""
    rng, xp = make.rng, make.xp

    def divisor(*shape):
        return xp.asarray(rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape))

    def dividend(b, *shape):
        return xp.asarray((rng.integers(-3, 3, shape) + rng.uniform(0.2, 0.8, shape)) * b)

    same, row, scalar = divisor(3, 4), divisor(4), divisor()
    return [SampleInput((dividend(same, 3, 4), same), name="same_shape"),
            SampleInput((dividend(row, 3, 4), row), name="broadcast_row"),
            SampleInput((dividend(scalar, 2, 3), scalar), name="scalar_divisor"),
            SampleInput((dividend(1.3, 2, 3), 1.3), name="python_scalar"),
            SampleInput((make(0, 3), divisor(3)), name="empty")]


def _torch_binary(name):
    """torch's binary op, given a Python scalar ``other`` as a tensor of input's dtype
    (torch.atan2, hypot and logaddexp take tensors only)."""
    def run(torch, a, b):
        if not isinstance(b, torch.Tensor):
            b = torch.tensor(b, dtype=a.dtype)
        return getattr(torch, name)(a, b)
    return run


OPS = [
    OpInfo("square", mg.square, special.Square, lambda xp, x: xp.square(x), unary_samples,
           torch_op=lambda torch, x: torch.square(x)),
    OpInfo("rsqrt", mg.rsqrt, special.Rsqrt, lambda xp, x: 1 / xp.sqrt(x), unary_samples,
           domain=POSITIVE, torch_op=lambda torch, x: torch.rsqrt(x)),
    OpInfo("reciprocal", mg.reciprocal, special.Reciprocal, lambda xp, x: xp.reciprocal(x),
           unary_samples, domain=_AWAY_FROM_ZERO,
           torch_op=lambda torch, x: torch.reciprocal(x)),
    OpInfo("erf", mg.erf, special.Erf, lambda xp, x: _np_special(xp, math.erf, x),
           unary_samples, torch_op=lambda torch, x: torch.erf(x)),
    OpInfo("erfc", mg.erfc, special.Erfc, lambda xp, x: _np_special(xp, math.erfc, x),
           lambda make: unary_samples(make) + [
               SampleInput((make(3, 4, low=1.5, high=9.0),), name="right_tail")],
           torch_op=lambda torch, x: torch.erfc(x)),
    OpInfo("frac", mg.frac, special.Frac, lambda xp, x: x - xp.trunc(x), unary_samples,
           domain=_AWAY_FROM_INTEGERS, torch_op=lambda torch, x: torch.frac(x)),
    OpInfo("atan2", mg.atan2, special.Atan2, lambda xp, a, b: xp.arctan2(a, b), _binary,
           domain=_AWAY_FROM_ZERO, torch_op=_torch_binary("atan2")),
    OpInfo("hypot", mg.hypot, special.Hypot, lambda xp, a, b: xp.hypot(a, b), _binary,
           domain=_AWAY_FROM_ZERO, torch_op=_torch_binary("hypot")),
    OpInfo("logaddexp", mg.logaddexp, special.LogAddExp, lambda xp, a, b: xp.logaddexp(a, b),
           _binary, torch_op=_torch_binary("logaddexp")),
    OpInfo("fmod", mg.fmod, special.Fmod, lambda xp, a, b: xp.fmod(a, b), _division_samples,
           torch_op=lambda torch, a, b: torch.fmod(a, b)),
    OpInfo("remainder", mg.remainder, special.Remainder, lambda xp, a, b: xp.remainder(a, b),
           _division_samples, torch_op=lambda torch, a, b: torch.remainder(a, b)),
]

MODULES = []  # no layer of its own
