"""Registry entries of tril, triu, diag, diagonal and trace (``minigrad/ops/diagonals.py``)."""

import minigrad as mg
from minigrad.ops.diagonals import Diag, Diagonal, Trace, Tril, Triu
from minigrad.testing.op_db.base import OpInfo, SampleInput


def _one(make, cases):
    """Samples of an op with one tensor: (name, shape, kwargs) each."""
    return [SampleInput((make(*s),), kw, name=name) for name, s, kw in cases]


def _triangle_samples(make):
    return _one(make, [("wide", (3, 4), {}), ("above", (3, 4), {"diagonal": 1}),
                       ("below", (4, 3), {"diagonal": -1}), ("batch", (2, 3, 3), {}),
                       ("past_the_corner", (3, 4), {"diagonal": 5}),
                       ("one_element", (1, 1), {}), ("empty", (0, 3), {})])


def _diag_samples(make):
    return _one(make, [("vector", (3,), {}), ("vector_above", (3,), {"diagonal": 1}),
                       ("vector_below", (2,), {"diagonal": -2}),
                       ("matrix", (3, 3), {}), ("wide_above", (3, 4), {"diagonal": 1}),
                       ("tall_below", (4, 3), {"diagonal": -2}),
                       ("past_the_corner", (3, 4), {"diagonal": 4}),
                       ("one_element", (1,), {}), ("empty", (0,), {})])


def _diagonal_samples(make):
    return _one(make, [("matrix", (3, 4), {}), ("above", (3, 4), {"offset": 1}),
                       ("batch_outer_dims", (2, 3, 4), {"offset": -1, "dim1": 0, "dim2": 2}),
                       ("reversed_dims", (2, 3, 4), {"offset": 1, "dim1": 2, "dim2": 0}),
                       ("negative_dims", (2, 3, 4), {"dim1": -1, "dim2": -2}),
                       ("past_the_corner", (3, 4), {"offset": -3}),
                       ("one_element", (1, 1), {}), ("empty", (0, 3), {})])


def _trace_samples(make):
    return [SampleInput((make(*s),), name=name) for name, s in
            [("square", (3, 3)), ("wide", (3, 4)), ("tall", (4, 2)), ("one_element", (1, 1)),
             ("empty", (0, 0))]]


OPS = [
    OpInfo("tril", lambda x, **kw: mg.tril(x, **kw), Tril,
           lambda xp, x, diagonal=0: xp.tril(x, diagonal), _triangle_samples,
           torch_op=lambda torch, x, **kw: torch.tril(x, **kw)),
    OpInfo("triu", lambda x, **kw: mg.triu(x, **kw), Triu,
           lambda xp, x, diagonal=0: xp.triu(x, diagonal), _triangle_samples,
           torch_op=lambda torch, x, **kw: torch.triu(x, **kw)),
    OpInfo("diag", lambda x, **kw: mg.diag(x, **kw), Diag,
           lambda xp, x, diagonal=0: xp.diag(x, diagonal), _diag_samples,
           torch_op=lambda torch, x, **kw: torch.diag(x, **kw)),
    OpInfo("diagonal", lambda x, **kw: mg.diagonal(x, **kw), Diagonal,
           lambda xp, x, offset=0, dim1=0, dim2=1: xp.diagonal(x, offset, dim1, dim2),
           _diagonal_samples, torch_op=lambda torch, x, **kw: torch.diagonal(x, **kw)),
    OpInfo("trace", mg.trace, Trace, lambda xp, x: xp.trace(x), _trace_samples,
           torch_op=lambda torch, x: torch.trace(x)),
]

MODULES = []  # no layer of its own
