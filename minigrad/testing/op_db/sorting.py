"""Registry entries of sort and topk (``minigrad/ops/sorting.py``), checked through their
values (the indices carry no gradient). Samples have distinct values, so the order, and
where each gradient goes, is the same in every library; ties are in
``tests/test_sorting.py``."""

from minigrad.ops import sorting
from minigrad.testing.op_db.base import Domain, OpInfo, SampleInput

DISTINCT = Domain(distinct=True)


def _sort_samples(make):
    return [SampleInput((make(3, 5),), name="last_dim"),
            SampleInput((make(3, 5),), {"dim": 0, "descending": True}, name="dim0_descending"),
            SampleInput((make(2, 3, 4),), {"dim": 1, "stable": True}, name="3d_stable"),
            SampleInput((make(),), name="scalar"),
            SampleInput((make(1),), {"descending": True}, name="one_element"),
            SampleInput((make(0, 3),), {"dim": 0}, name="empty")]


def _topk_samples(make):
    return [SampleInput((make(3, 5),), {"k": 2}, name="largest"),
            SampleInput((make(3, 5),), {"k": 3, "dim": 0, "largest": False}, name="smallest"),
            SampleInput((make(2, 3, 4),), {"k": 4, "dim": -1}, name="all_of_them"),
            SampleInput((make(),), {"k": 1}, name="scalar"),
            SampleInput((make(4),), {"k": 0}, name="none_of_them")]


def _sort_ref(xp, x, dim=-1, descending=False, stable=False):
    if x.ndim == 0:
        return x
    ascending = xp.sort(x, axis=dim)
    return xp.flip(ascending, axis=dim) if descending else ascending


def _topk_ref(xp, x, k, dim=-1, largest=True):
    ordered = _sort_ref(xp, x, dim, descending=largest)
    return ordered if x.ndim == 0 else xp.take(ordered, xp.arange(k), axis=dim)


OPS = [
    OpInfo("sort", lambda x, **kw: x.sort(**kw).values, sorting.Sort, _sort_ref,
           _sort_samples, domain=DISTINCT,
           torch_op=lambda torch, x, **kw: torch.sort(x, **kw).values),
    OpInfo("topk", lambda x, **kw: x.topk(**kw).values, sorting.TopK, _topk_ref, _topk_samples,
           domain=DISTINCT, torch_op=lambda torch, x, **kw: torch.topk(x, **kw).values),
]

MODULES = []  # no layer of its own
