"""Registry entries of narrow, flip, roll, movedim, swapaxes, swapdims, t, mT, view_as,
reshape_as, split and chunk (``minigrad/ops/shape_move.py``). split and chunk return tuples:
they are checked through their pieces joined back, piece i scaled by i + 1, so that each
piece's gradient counts and a mix-up between pieces shows."""

import minigrad as mg
from minigrad.ops import indexing, shape, shape_move
from minigrad.testing.op_db.base import OpInfo, SampleInput


def _one(make, cases):
    """Samples of an op with one tensor: (name, shape, kwargs) each."""
    return [SampleInput((make(*s),), kw, name=name) for name, s, kw in cases]


def _narrow_samples(make):
    return _one(make, [("middle", (3, 4), {"dim": 1, "start": 1, "length": 2}),
                       ("negative_start", (3, 4), {"dim": 0, "start": -2, "length": 2}),
                       ("last_dim", (2, 3, 4), {"dim": -1, "start": 0, "length": 4}),
                       ("one_element", (1,), {"dim": 0, "start": 0, "length": 1}),
                       ("empty", (3, 4), {"dim": 1, "start": 4, "length": 0})])


def _narrow_ref(xp, x, dim, start, length):
    start = start + x.shape[dim] if start < 0 else start
    return xp.take(x, xp.arange(start, start + length), axis=dim)


def _flip_samples(make):
    return _one(make, [("two_dims", (2, 3, 4), {"dims": (0, 2)}),
                       ("negative", (3, 4), {"dims": (-1,)}),
                       ("none", (3, 4), {"dims": ()}),
                       ("scalar", (), {"dims": (0,)}),
                       ("one_element", (1,), {"dims": (0,)}),
                       ("empty", (0, 3), {"dims": (1,)})])


def _roll_samples(make):
    return _one(make, [("flattened", (3, 4), {"shifts": 5}),
                       ("two_dims", (3, 4), {"shifts": (1, -2), "dims": (0, 1)}),
                       ("past_the_end", (2, 3), {"shifts": 7, "dims": -1}),
                       ("same_dim_twice", (2, 5), {"shifts": (1, 2), "dims": (1, 1)}),
                       ("scalar", (), {"shifts": 1}),
                       ("empty", (0, 3), {"shifts": 1, "dims": 1})])


def _movedim_samples(make):
    return _one(make, [("one", (2, 3, 4), {"source": 0, "destination": 2}),
                       ("two", (2, 3, 4, 5), {"source": (0, 3), "destination": (2, 0)}),
                       ("negative", (2, 3, 4), {"source": -1, "destination": 0}),
                       ("scalar", (), {"source": 0, "destination": -1})])


def _swap_samples(first, second):
    def samples(make):
        return _one(make, [("matrix", (3, 4), {first: 0, second: 1}),
                           ("batch", (2, 3, 4), {first: -1, second: 0}),
                           ("vector", (3,), {first: 0, second: 0})])
    return samples


def _matrix_samples(make):
    return _one(make, [("matrix", (3, 4), {}), ("batch", (2, 3, 4), {}),
                       ("empty", (0, 3), {})])


def _t_samples(make):
    return _one(make, [("matrix", (3, 4), {}), ("vector", (3,), {}), ("scalar", (), {})])


def _as_samples(make):
    return [SampleInput((make(2, 6), make(3, 4)), name="matrix", frozen=(1,)),
            SampleInput((make(1), make()), name="to_scalar", frozen=(1,))]


def _split_samples(make):
    return _one(make, [("divides", (4, 3), {"split_size_or_sections": 2}),
                       ("remainder", (2, 5), {"split_size_or_sections": 2, "dim": 1}),
                       ("sizes", (6, 2), {"split_size_or_sections": [1, 0, 3, 2]}),
                       ("larger_than_dim", (3, 2), {"split_size_or_sections": 5}),
                       ("negative_dim", (2, 3, 4), {"split_size_or_sections": 3, "dim": -1}),
                       ("empty", (0, 3), {"split_size_or_sections": 2})])


def _chunk_samples(make):
    return _one(make, [("divides", (6, 2), {"chunks": 3}),
                       ("remainder", (2, 5), {"chunks": 3, "dim": 1}),
                       ("fewer_pieces", (6, 2), {"chunks": 4}),
                       ("more_chunks_than_size", (2, 3), {"chunks": 5, "dim": -1}),
                       ("empty", (0, 3), {"chunks": 2})])


def _joined(lib, pieces, dim):
    """The pieces of a split joined back along ``dim``, piece i scaled by i + 1."""
    return lib.cat([piece * (i + 1) for i, piece in enumerate(pieces)], dim=dim)


def _split_ref(xp, x, split_size_or_sections, dim=0):
    """``x`` times i + 1 along ``dim`` in piece i, the pieces being as ``split`` cuts them."""
    size = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        piece = xp.arange(size) // split_size_or_sections
    else:
        piece = xp.repeat(xp.arange(len(split_size_or_sections)), split_size_or_sections)
    scale = (piece + 1.0).reshape((-1,) + (1,) * (x.ndim - dim % x.ndim - 1))
    return x * scale


def _chunk_ref(xp, x, chunks, dim=0):
    return _split_ref(xp, x, -(-x.shape[dim] // chunks) or 1, dim)


OPS = [
    OpInfo("narrow", lambda x, **kw: x.narrow(**kw), indexing.GetItem, _narrow_ref,
           _narrow_samples, torch_op=lambda torch, x, **kw: x.narrow(**kw)),
    OpInfo("flip", lambda x, dims: mg.flip(x, dims), shape_move.Flip,
           lambda xp, x, dims: xp.flip(x, dims) if x.ndim else x, _flip_samples,
           torch_op=lambda torch, x, dims: torch.flip(x, dims)),
    OpInfo("roll", lambda x, **kw: mg.roll(x, **kw), shape_move.Roll,
           lambda xp, x, shifts, dims=None: xp.roll(x, shifts, dims), _roll_samples,
           torch_op=lambda torch, x, **kw: torch.roll(x, **kw)),
    OpInfo("movedim", lambda x, **kw: mg.movedim(x, **kw), shape.Permute,
           lambda xp, x, source, destination: xp.moveaxis(x, source, destination)
           if x.ndim else x, _movedim_samples,
           torch_op=lambda torch, x, **kw: torch.movedim(x, **kw)),
    OpInfo("swapaxes", lambda x, **kw: mg.swapaxes(x, **kw), shape.Transpose,
           lambda xp, x, axis0, axis1: xp.swapaxes(x, axis0, axis1),
           _swap_samples("axis0", "axis1"),
           torch_op=lambda torch, x, **kw: torch.swapaxes(x, **kw)),
    OpInfo("swapdims", lambda x, **kw: mg.swapdims(x, **kw), shape.Transpose,
           lambda xp, x, dim0, dim1: xp.swapaxes(x, dim0, dim1),
           _swap_samples("dim0", "dim1"),
           torch_op=lambda torch, x, **kw: torch.swapdims(x, **kw)),
    OpInfo("t", lambda x: x.t(), shape.Transpose, lambda xp, x: x.T, _t_samples,
           torch_op=lambda torch, x: x.t()),
    OpInfo("mT", lambda x: x.mT, shape.Transpose, lambda xp, x: xp.swapaxes(x, -2, -1),
           _matrix_samples, torch_op=lambda torch, x: x.mT),
    OpInfo("view_as", lambda x, other: x.view_as(other), shape.Reshape,
           lambda xp, x, other: x.reshape(other.shape), _as_samples,
           torch_op=lambda torch, x, other: x.view_as(other)),
    OpInfo("reshape_as", lambda x, other: x.reshape_as(other), shape.Reshape,
           lambda xp, x, other: x.reshape(other.shape), _as_samples,
           torch_op=lambda torch, x, other: x.reshape_as(other)),
    OpInfo("split", lambda x, dim=0, **kw: _joined(mg, mg.split(x, dim=dim, **kw), dim),
           shape_move.Split, _split_ref, _split_samples,
           torch_op=lambda torch, x, dim=0, **kw: _joined(torch, torch.split(x, dim=dim, **kw),
                                                          dim)),
    OpInfo("chunk", lambda x, dim=0, **kw: _joined(mg, mg.chunk(x, dim=dim, **kw), dim),
           shape_move.Split, _chunk_ref, _chunk_samples,
           torch_op=lambda torch, x, dim=0, **kw: _joined(torch, torch.chunk(x, dim=dim, **kw),
                                                          dim)),
]

MODULES = []  # no layer of its own
