"""Registry entries of sum, mean, var, max and min (``minigrad/ops/reduction.py``)."""


from minigrad.ops import reduction
from minigrad.testing.op_db.base import Domain, OpInfo, SampleInput


def _reductions(make, with_empty=True):
    samples = [SampleInput((make(3, 4),), name="all"),
               SampleInput((make(3, 4),), {"dim": 1}, name="dim1"),
               SampleInput((make(2, 3, 4),), {"dim": (0, 2)}, name="dims02"),
               SampleInput((make(2, 3, 4),), {"dim": -1, "keepdim": True}, name="keepdim"),
               SampleInput((make(),), name="scalar"),
               SampleInput((make(1),), {"dim": 0}, name="one_element")]
    if with_empty:
        samples.append(SampleInput((make(0, 3),), {"dim": 0}, name="empty"))
    return samples


def _var_samples(make):
    return [SampleInput((make(3, 4),), name="all"),
            SampleInput((make(3, 4),), {"dim": 1}, name="dim1"),
            SampleInput((make(2, 3, 4),), {"dim": (0, 2), "keepdim": True}, name="dims02"),
            SampleInput((make(5),), {"correction": 0}, name="population"),
            SampleInput((make(4, 3),), {"dim": 0, "unbiased": False}, name="biased")]


def _extreme_samples(make):
    return [SampleInput((make(3, 4),), name="all"),
            SampleInput((make(3, 4),), {"dim": 1}, name="dim1"),
            SampleInput((make(2, 3, 4),), {"dim": 0, "keepdim": True}, name="keepdim"),
            SampleInput((make(),), name="scalar"),
            SampleInput((make(1),), {"dim": 0}, name="one_element")]


def _var_ref(xp, x, dim=None, keepdim=False, correction=None, unbiased=None):
    ddof = correction if correction is not None else (0 if unbiased is False else 1)
    return xp.var(x, axis=dim, ddof=ddof, keepdims=keepdim)


def _extreme_ref(pick):
    def ref(xp, x, dim=None, keepdim=False):
        return getattr(xp, pick)(x, axis=dim, keepdims=keepdim)
    return ref


def _torch_extreme(pick):
    def op(torch, x, dim=None, keepdim=False):
        if dim is None:
            return getattr(torch, pick)(x)
        return getattr(torch, pick)(x, dim=dim, keepdim=keepdim).values
    return op


def _torch_var(torch, x, dim=None, keepdim=False, correction=None, unbiased=None):
    if correction is None:
        correction = 0 if unbiased is False else 1
    return torch.var(x, dim=dim, keepdim=keepdim, correction=correction)


OPS = [
    OpInfo("sum", lambda x, **kw: x.sum(**kw), reduction.Sum,
           lambda xp, x, dim=None, keepdim=False: x.sum(axis=dim, keepdims=keepdim),
           _reductions, torch_op=lambda torch, x, dim=None, keepdim=False: (
               x.sum() if dim is None else x.sum(dim=dim, keepdim=keepdim))),
    OpInfo("mean", lambda x, **kw: x.mean(**kw), reduction.Mean,
           lambda xp, x, dim=None, keepdim=False: x.mean(axis=dim, keepdims=keepdim),
           lambda make: _reductions(make, with_empty=False),
           torch_op=lambda torch, x, dim=None, keepdim=False: (
               x.mean() if dim is None else x.mean(dim=dim, keepdim=keepdim))),
    OpInfo("var", lambda x, **kw: x.var(**kw), reduction.Var, _var_ref, _var_samples,
           torch_op=_torch_var, forward_rtol32=1e-4),
    OpInfo("max", lambda x, **kw: x.max(**kw) if "dim" not in kw else x.max(**kw).values,
           reduction.Max, _extreme_ref("max"), _extreme_samples,
           domain=Domain(distinct=True), torch_op=_torch_extreme("max")),
    OpInfo("min", lambda x, **kw: x.min(**kw) if "dim" not in kw else x.min(**kw).values,
           reduction.Min, _extreme_ref("min"), _extreme_samples, domain=Domain(distinct=True),
           torch_op=_torch_extreme("min")),
]

MODULES = []  # no layer of its own
