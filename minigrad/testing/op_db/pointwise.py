"""Registry entries of the trigonometric, hyperbolic and log/exp pointwise ops
(``minigrad/ops/pointwise.py``)."""

import minigrad as mg
from minigrad.ops import pointwise
from minigrad.testing.op_db.base import POSITIVE, Domain, OpInfo, unary_samples

_EVERYWHERE = Domain()
_INSIDE_UNIT = Domain(low=-0.9, high=0.9)  # asin/acos: their slopes blow up at +-1


def _unary(name, function, domain=_EVERYWHERE):
    """An entry for ``mg.<name>``, held against NumPy's and torch's function of that name
    (NumPy spells the inverse trigonometric ones ``arc...``)."""
    np_name = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}.get(name, name)
    return OpInfo(name, getattr(mg, name), function,
                  lambda xp, x: getattr(xp, np_name)(x), unary_samples, domain=domain,
                  torch_op=lambda torch, x: getattr(torch, name)(x))


OPS = [
    _unary("sin", pointwise.Sin),
    _unary("cos", pointwise.Cos),
    _unary("tan", pointwise.Tan, Domain(low=-1.2, high=1.2)),  # poles at +-pi/2
    _unary("asin", pointwise.Asin, _INSIDE_UNIT),
    _unary("acos", pointwise.Acos, _INSIDE_UNIT),
    _unary("atan", pointwise.Atan),
    _unary("sinh", pointwise.Sinh),
    _unary("cosh", pointwise.Cosh),
    _unary("log1p", pointwise.Log1p, Domain(low=-0.8, high=2.0)),
    _unary("expm1", pointwise.Expm1),
    _unary("log2", pointwise.Log2, POSITIVE),
    _unary("log10", pointwise.Log10, POSITIVE),
    _unary("exp2", pointwise.Exp2),
]

MODULES = []  # no layer of its own
