"""Registry entries of getitem (``minigrad/ops/indexing.py``)."""


from minigrad.ops import indexing
from minigrad.testing.op_db.base import OpInfo, SampleInput


def _getitem_samples(make):
    x = make(4, 5)
    return [SampleInput((x,), {"index": (1, slice(None, None, 2))}, name="basic"),
            SampleInput((x,), {"index": (slice(1, 3), None, Ellipsis)}, name="none_ellipsis"),
            SampleInput((x,), {"index": [0, 2, 2, 3, 0]}, name="repeated_rows"),
            SampleInput((x,), {"index": ([0, 1, 1], [4, 2, 2])}, name="pairs_repeated"),
            SampleInput((x,), {"index": (slice(None), make.index(5, 6))}, name="column_gather"),
            SampleInput((make(2, 3, 4),), {"index": (Ellipsis, 1)}, name="last_axis"),
            SampleInput((make(3),), {"index": 1}, name="to_scalar")]


def _index_ref(xp, x, index):
    def convert(part):
        return xp.asarray(part) if isinstance(part, list) else part
    index = tuple(map(convert, index)) if isinstance(index, tuple) else convert(index)
    return x[index]


def _torch_index(torch, x, index):
    def convert(part):
        return torch.tensor(part) if isinstance(part, list) else part
    index = tuple(map(convert, index)) if isinstance(index, tuple) else convert(index)
    return x[index]


OPS = [
    OpInfo("getitem", lambda x, index: x[index], indexing.GetItem, _index_ref,
           _getitem_samples, torch_op=_torch_index),
]

MODULES = []  # no layer of its own
