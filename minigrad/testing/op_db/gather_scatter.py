"""Registry entries of gather, scatter, scatter_add, index_select, masked_fill,
masked_select and take_along_dim (``minigrad/ops/gather_scatter.py``).

Index and mask samples are integer and bool arrays, so they reach the op as plain tensors.
The samples of ``scatter`` write each position at most once: where indices repeat, which
write wins is unspecified (in PyTorch too), so only ``scatter_add`` repeats them. A ``src``
larger than the index has no gradient in PyTorch, so its samples are in
``tests/test_gather_scatter.py``, not here."""

from minigrad.ops import gather_scatter
from minigrad.testing.op_db.base import OpInfo, SampleInput


def _index(make, high, *shape):
    return make.xp.asarray(make.index(high, *shape), dtype="int64").reshape(shape)


def _distinct_rows(make, rows, shape):
    """An index of ``shape`` whose values along dim 0 are distinct rows of ``range(rows)``."""
    order = make.xp.argsort(make.rng.uniform(size=(rows,) + shape[1:]), axis=0)
    return order[:shape[0]].astype("int64")


def _mask(make, *shape):
    return make.xp.asarray(make.rng.uniform(size=shape) < 0.5)


def _gather_samples(make):
    return [SampleInput((make(3, 4), _index(make, 4, 3, 5)), {"dim": 1}, name="repeats"),
            SampleInput((make(3, 4), _index(make, 3, 2, 4)), {"dim": 0}, name="dim0"),
            SampleInput((make(3, 4), _index(make, 4, 2, 2)), {"dim": -1},
                        name="index_smaller"),
            SampleInput((make(2, 3, 4), _index(make, 3, 2, 5, 4)), {"dim": 1}, name="3d"),
            SampleInput((make(), make.xp.asarray(0)), {"dim": 0}, name="scalar"),
            SampleInput((make(1), _index(make, 1, 1)), {"dim": 0}, name="one_element"),
            SampleInput((make(3, 4), _index(make, 4, 3, 0)), {"dim": 1}, name="empty")]


def _scatter_samples(make):
    return [SampleInput((make(4, 3), _distinct_rows(make, 4, (2, 3)), make(2, 3)),
                        {"dim": 0}, name="src"),
            SampleInput((make(4, 3), _distinct_rows(make, 4, (3, 3))), {"dim": 0, "value": 1.5},
                        name="value"),
            SampleInput((make(3, 4), _distinct_rows(make, 4, (2, 3)).T.copy(), make(3, 2)),
                        {"dim": -1}, name="last_dim"),
            SampleInput((make(), make.xp.asarray(0), make()), {"dim": 0}, name="scalar"),
            SampleInput((make(4, 3), _index(make, 4, 0, 3), make(0, 3)), {"dim": 0},
                        name="empty")]


def _scatter_add_samples(make):
    return [SampleInput((make(3, 4), _index(make, 3, 5, 4), make(5, 4)), {"dim": 0},
                        name="repeats"),
            SampleInput((make(3, 4), _index(make, 4, 3, 6), make(3, 6)), {"dim": 1},
                        name="dim1"),
            SampleInput((make(2, 3, 4), _index(make, 3, 2, 5, 4), make(2, 5, 4)), {"dim": 1},
                        name="3d"),
            SampleInput((make(), make.xp.asarray(0), make()), {"dim": 0}, name="scalar"),
            SampleInput((make(4, 3), _index(make, 4, 0, 3), make(0, 3)), {"dim": 0},
                        name="empty")]


def _index_select_samples(make):
    return [SampleInput((make(3, 4), make.xp.asarray([3, 0, 3, 1])), {"dim": 1},
                        name="repeats"),
            SampleInput((make(3, 4), make.xp.asarray([2, 0])), {"dim": 0}, name="dim0"),
            SampleInput((make(2, 3, 4), make.xp.asarray(1)), {"dim": -2}, name="0d_index"),
            SampleInput((make(), make.xp.asarray([0])), {"dim": 0}, name="scalar"),
            SampleInput((make(3, 4), make.xp.asarray([], dtype="int64")), {"dim": 1},
                        name="empty")]


def _masked_fill_samples(make):
    return [SampleInput((make(3, 4), _mask(make, 3, 4)), {"value": -1.5}, name="same_shape"),
            SampleInput((make(3, 4), _mask(make, 4), make()), name="tensor_value"),
            SampleInput((make(3, 4), _mask(make, 3, 1)), {"value": 0.0}, name="column_mask"),
            SampleInput((make(4), _mask(make, 3, 4), make()), name="mask_broadcasts_input"),
            SampleInput((make(), make.xp.asarray(True)), {"value": 2.0}, name="scalar"),
            SampleInput((make(0, 3), _mask(make, 0, 3)), {"value": 1.0}, name="empty")]


def _masked_select_samples(make):
    return [SampleInput((make(3, 4), _mask(make, 3, 4)), name="same_shape"),
            SampleInput((make(3, 4), _mask(make, 4)), name="row_mask"),
            SampleInput((make(4), _mask(make, 3, 4)), name="mask_broadcasts_input"),
            SampleInput((make(), make.xp.asarray(True)), name="scalar"),
            SampleInput((make(0, 3), _mask(make, 0, 3)), name="empty")]


def _take_along_dim_samples(make):
    return [SampleInput((make(3, 4), _index(make, 12, 2, 3)), name="flattened"),
            SampleInput((make(3, 4), _index(make, 4, 3, 5)), {"dim": 1}, name="repeats"),
            SampleInput((make(3, 4), _index(make, 4, 1, 2)), {"dim": 1},
                        name="indices_broadcast"),
            SampleInput((make(1, 4), _index(make, 4, 3, 2)), {"dim": 1},
                        name="input_broadcasts"),
            SampleInput((make(), make.xp.asarray(0)), name="scalar_flattened"),
            SampleInput((make(3, 4), _index(make, 3, 0, 4)), {"dim": 0}, name="empty")]


def _positions(xp, index, dim):
    """Where ``index`` points: its own coordinates, with ``index`` in place of ``dim``'s."""
    if index.ndim == 0:  # NOTE: a 0-d index points at the one element of a 0-d input
        return ()
    coords = list(xp.indices(index.shape, sparse=True))
    coords[dim] = index
    return tuple(coords)


def _block(src, index):
    return src[tuple(slice(0, n) for n in index.shape)]


def _gather_ref(xp, x, index, dim):
    return x[_positions(xp, index, dim)]


def _scatter_ref(xp, x, index, src=None, dim=0, value=None):
    out = x.copy()
    out[_positions(xp, index, dim)] = value if src is None else _block(src, index)
    return out


def _scatter_add_ref(xp, x, index, src, dim):
    out = x.copy()
    xp.add.at(out, _positions(xp, index, dim), _block(src, index))
    return out


def _index_select_ref(xp, x, index, dim):
    picked = xp.take(x.reshape(x.shape or (1,)), index.reshape(-1), axis=dim)
    return picked.reshape(x.shape) if x.ndim == 0 else picked


def _masked_fill_ref(xp, x, mask, value):
    return xp.where(mask, value, x)


def _masked_select_ref(xp, x, mask):
    x, mask = xp.broadcast_arrays(x, mask)
    return x[mask]


def _take_along_dim_ref(xp, x, indices, dim=None):
    if dim is None:
        return xp.take_along_axis(x.reshape(-1), indices.reshape(-1), axis=0)
    return xp.take_along_axis(x, indices, axis=dim)


def _method(name):
    """``x.<name>(dim, index, ...)`` with the sample's tensors and its ``dim``."""
    def call(x, index, *rest, dim=0, **kw):
        return getattr(x, name)(dim, index, *rest, **kw)
    return call


def _torch_method(name):
    def call(torch, x, index, *rest, dim=0, **kw):
        return getattr(torch, name)(x, dim, index, *rest, **kw)
    return call


OPS = [
    OpInfo("gather", _method("gather"), gather_scatter.Gather, _gather_ref, _gather_samples,
           torch_op=_torch_method("gather")),
    OpInfo("scatter", _method("scatter"), gather_scatter.Scatter, _scatter_ref,
           _scatter_samples, torch_op=_torch_method("scatter")),
    OpInfo("scatter_add", _method("scatter_add"), gather_scatter.ScatterAdd, _scatter_add_ref,
           _scatter_add_samples, torch_op=_torch_method("scatter_add")),
    OpInfo("index_select", _method("index_select"), gather_scatter.IndexSelect,
           _index_select_ref, _index_select_samples, torch_op=_torch_method("index_select")),
    OpInfo("masked_fill", lambda x, mask, value: x.masked_fill(mask, value),
           gather_scatter.MaskedFill, _masked_fill_ref, _masked_fill_samples,
           torch_op=lambda torch, x, mask, value: torch.masked_fill(x, mask, value)),
    OpInfo("masked_select", lambda x, mask: x.masked_select(mask), gather_scatter.MaskedSelect,
           _masked_select_ref, _masked_select_samples,
           torch_op=lambda torch, x, mask: torch.masked_select(x, mask)),
    OpInfo("take_along_dim", lambda x, indices, dim=None: x.take_along_dim(indices, dim),
           gather_scatter.Gather, _take_along_dim_ref, _take_along_dim_samples,
           torch_op=lambda torch, x, indices, dim=None: torch.take_along_dim(x, indices, dim)),
]

MODULES = []  # no layer of its own
