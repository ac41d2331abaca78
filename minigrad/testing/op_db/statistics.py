"""Registry entries of prod, std, var_mean, std_mean, logsumexp, amax, amin, norm, cumsum
and cumprod (``minigrad/ops/statistics.py``). The tuple-valued var_mean and std_mean are
checked through the sum of their two outputs, so that both gradients count."""

import math

from minigrad.ops import reduction, statistics
from minigrad.testing.op_db.base import AWAY_FROM_ZERO, Domain, OpInfo, SampleInput
from minigrad.testing.op_db.reduction import _var_samples

# NOTE: evenly spaced and asymmetric about 0: no two elements share |x| in these sizes
NO_TIED_MAGNITUDES = Domain(low=-1.3, high=2.1, distinct=True)


def _with_zeros(make, *where):
    x = make(3, 4)
    for index in where:
        x[index] = 0.0
    return x


def _prod_samples(make):
    return [SampleInput((make(3, 4),), name="all"),
            SampleInput((make(3, 4),), {"dim": 1}, name="dim1"),
            SampleInput((make(2, 3, 4),), {"dim": -1, "keepdim": True}, name="keepdim"),
            SampleInput((make(),), name="scalar"),
            SampleInput((make(1),), {"dim": 0}, name="one_element"),
            SampleInput((make(0, 3),), {"dim": 0}, name="empty"),
            SampleInput((_with_zeros(make, (1, 2)),), name="one_zero"),
            SampleInput((_with_zeros(make, (1, 2)),), {"dim": 1}, name="one_zero_dim1"),
            SampleInput((_with_zeros(make, (1, 2), (1, 0), (2, 3)),), {"dim": 1},
                        name="two_zeros_in_a_row")]


def _over_dims(make, dim_name="dim"):
    """Samples of a reduction that takes a dim (or dims) and keepdim."""
    return [SampleInput((make(3, 4),), {dim_name: 1}, name="dim1"),
            SampleInput((make(2, 3, 4),), {dim_name: (0, 2)}, name="dims02"),
            SampleInput((make(2, 3, 4),), {dim_name: -1, "keepdim": True}, name="keepdim"),
            SampleInput((make(),), {dim_name: 0}, name="scalar"),
            SampleInput((make(1),), {dim_name: 0}, name="one_element")]


def _logsumexp_samples(make):
    return _over_dims(make) + [
        SampleInput((make(3, 4, low=500.0, high=502.0),), {"dim": 1}, name="large")]


def _extreme_samples(make):
    return _over_dims(make) + [SampleInput((make(3, 4),), name="all")]


def _norm_samples(make):
    samples = [SampleInput((make(3, 4),), name="fro"),
               SampleInput((make(3, 4),), {"p": "fro", "dim": (0, 1)}, name="fro_dims")]
    for p, label in ((2, "2"), (1, "1"), (math.inf, "inf"), (-math.inf, "minus_inf"),
                     (3, "3"), (1.5, "1.5"), (0, "0"), (-1, "minus_1")):
        samples += [SampleInput((make(3, 4),), {"p": p}, name=f"p{label}"),
                    SampleInput((make(2, 3, 4),), {"p": p, "dim": 1, "keepdim": True},
                                name=f"p{label}_keepdim")]
    return samples + [SampleInput((make(),), {"p": 2}, name="scalar"),
                      SampleInput((make(1),), {"p": 1, "dim": 0}, name="one_element")]


def _cumulative_samples(make):
    return [SampleInput((make(3, 4),), {"dim": 0}, name="dim0"),
            SampleInput((make(3, 4),), {"dim": -1}, name="dim_last"),
            SampleInput((make(2, 3, 4),), {"dim": 1}, name="3d"),
            SampleInput((make(),), {"dim": 0}, name="scalar"),
            SampleInput((make(1),), {"dim": 0}, name="one_element"),
            SampleInput((make(0, 3),), {"dim": 0}, name="empty")]


def _ddof(correction, unbiased):
    return correction if correction is not None else (0 if unbiased is False else 1)


def _spread_ref(name):
    """NumPy's ``var`` or ``std`` with the arguments as the op takes them."""
    def ref(xp, x, dim=None, keepdim=False, correction=None, unbiased=None):
        return getattr(xp, name)(x, axis=dim, ddof=_ddof(correction, unbiased), keepdims=keepdim)
    return ref


def _with_mean(spread):
    """A reference of ``(spread, mean)`` as the sum the registry checks."""
    def ref(xp, x, dim=None, keepdim=False, **kw):
        return spread(xp, x, dim, keepdim, **kw) + x.mean(axis=dim, keepdims=keepdim)
    return ref


def _summed(call):
    def op(*args, **kw):
        spread, average = call(*args, **kw)
        return spread + average
    return op


def _torch_spread(name):
    """``torch.<name>`` with minigrad's ``unbiased``/``correction`` turned into torch's."""
    def op(torch, x, dim=None, keepdim=False, correction=None, unbiased=None):
        return getattr(torch, name)(x, dim=dim, keepdim=keepdim,
                                    correction=_ddof(correction, unbiased))
    return op


def _logsumexp_ref(xp, x, dim, keepdim=False):
    shift = x.max(axis=dim, keepdims=True)
    out = xp.log(xp.exp(x - shift).sum(axis=dim, keepdims=True)) + shift
    return out if keepdim else out.squeeze(axis=dim)


def _extreme_ref(pick):
    def ref(xp, x, dim=None, keepdim=False):
        return getattr(xp, pick)(x, axis=dim, keepdims=keepdim)
    return ref


def _norm_ref(xp, x, p="fro", dim=None, keepdim=False):
    magnitude = xp.abs(x)
    if p == 0:
        return (x != 0).sum(axis=dim, keepdims=keepdim).astype(x.dtype)
    if p in ("fro", 2):
        return xp.sqrt((x * x).sum(axis=dim, keepdims=keepdim))
    if math.isinf(p):
        return (magnitude.max if p > 0 else magnitude.min)(axis=dim, keepdims=keepdim)
    return (magnitude ** p).sum(axis=dim, keepdims=keepdim) ** (1 / p)


def _cumulative_ref(name):
    def ref(xp, x, dim):
        flat = x.reshape(x.shape or (1,))  # NOTE: NumPy has no axis 0 on a 0-d array
        return getattr(xp, name)(flat, axis=dim).reshape(x.shape)
    return ref


def _method(name):
    return lambda x, **kw: getattr(x, name)(**kw)


def _torch(name):
    return lambda torch, x, **kw: getattr(torch, name)(x, **kw)


OPS = [
    OpInfo("prod", _method("prod"), statistics.Prod,
           lambda xp, x, dim=None, keepdim=False: x.prod(axis=dim, keepdims=keepdim),
           _prod_samples, torch_op=_torch("prod")),
    OpInfo("std", _method("std"), reduction.Var, _spread_ref("std"), _var_samples,
           torch_op=_torch_spread("std"), forward_rtol32=1e-4),
    OpInfo("var_mean", _summed(statistics.var_mean), reduction.Var,
           _with_mean(_spread_ref("var")), _var_samples,
           torch_op=_summed(_torch_spread("var_mean")), forward_rtol32=1e-4),
    OpInfo("std_mean", _summed(statistics.std_mean), reduction.Var,
           _with_mean(_spread_ref("std")), _var_samples,
           torch_op=_summed(_torch_spread("std_mean")), forward_rtol32=1e-4),
    OpInfo("logsumexp", _method("logsumexp"), statistics.LogSumExp, _logsumexp_ref,
           _logsumexp_samples, torch_op=_torch("logsumexp")),
    OpInfo("amax", _method("amax"), statistics.AMax, _extreme_ref("max"), _extreme_samples,
           domain=Domain(distinct=True), torch_op=_torch("amax")),
    OpInfo("amin", _method("amin"), statistics.AMin, _extreme_ref("min"), _extreme_samples,
           domain=Domain(distinct=True), torch_op=_torch("amin")),
    OpInfo("norm", _method("norm"), statistics.Norm, _norm_ref, _norm_samples,
           domain=NO_TIED_MAGNITUDES, torch_op=_torch("norm"), forward_rtol32=1e-4),
    OpInfo("cumsum", _method("cumsum"), statistics.CumSum, _cumulative_ref("cumsum"),
           _cumulative_samples, torch_op=_torch("cumsum")),
    # NOTE: cumprod's backward divides by x: its samples stay away from zero
    OpInfo("cumprod", _method("cumprod"), statistics.CumProd, _cumulative_ref("cumprod"),
           _cumulative_samples, domain=AWAY_FROM_ZERO, torch_op=_torch("cumprod")),
]

MODULES = []  # no layer of its own
