"""Registry entries of expand, expand_as, broadcast_to, repeat, tile and repeat_interleave
(``minigrad/ops/shape_repeat.py``). Integer repeats arrive as plain integer tensors."""

import minigrad as mg
from minigrad.ops import shape_repeat
from minigrad.testing.op_db.base import OpInfo, SampleInput


def _resolved(size, shape):
    """``size`` with each -1 replaced by the size it keeps (the trailing dims of ``shape``)."""
    lead = len(size) - len(shape)
    return tuple(shape[i - lead] if n == -1 else n for i, n in enumerate(size))


def _expand_samples(make):
    return [SampleInput((make(3, 1),), {"size": (2, 3, 4)}, name="new_and_stretched"),
            SampleInput((make(2, 1),), {"size": (-1, 4)}, name="minus_one_keeps"),
            SampleInput((make(2, 3),), {"size": (2, 3)}, name="same_shape"),
            SampleInput((make(),), {"size": (3, 2)}, name="scalar"),
            SampleInput((make(1),), {"size": (4,)}, name="one_element"),
            SampleInput((make(0, 1),), {"size": (0, 3)}, name="empty")]


def _expand_as_samples(make):
    return [SampleInput((make(3, 1), make(2, 3, 4)), name="new_and_stretched", frozen=(1,)),
            SampleInput((make(), make(2, 2)), name="scalar", frozen=(1,))]


def _repeat_samples(make):
    return [SampleInput((make(2, 3),), {"repeats": (2, 1, 3)}, name="new_dim"),
            SampleInput((make(3,),), {"repeats": (2, 2)}, name="vector"),
            SampleInput((make(2, 3),), {"repeats": (1, 1)}, name="once"),
            SampleInput((make(),), {"repeats": (3,)}, name="scalar"),
            SampleInput((make(1),), {"repeats": (4,)}, name="one_element"),
            SampleInput((make(2, 3),), {"repeats": (0, 2)}, name="zero_times"),
            SampleInput((make(0, 2),), {"repeats": (2, 3)}, name="empty")]


def _tile_samples(make):
    return [SampleInput((make(2, 3),), {"dims": (2,)}, name="fewer_dims"),
            SampleInput((make(2, 3),), {"dims": (2, 2, 1)}, name="more_dims"),
            SampleInput((make(),), {"dims": (2,)}, name="scalar"),
            SampleInput((make(0, 2),), {"dims": (2, 3)}, name="empty")]


def _interleave_samples(make):
    counts = make.xp.asarray
    return [SampleInput((make(2, 3),), {"repeats": 2}, name="flattened"),
            SampleInput((make(2, 3),), {"repeats": 3, "dim": 1}, name="int_dim1"),
            SampleInput((make(3, 2), counts([1, 0, 2])), {"dim": 0}, name="counts_dim0"),
            SampleInput((make(2, 3), counts([2, 1, 3])), {"dim": -1, "output_size": 6},
                        name="counts_output_size"),
            SampleInput((make(2, 3), counts([2])), {"dim": 1}, name="one_count"),
            SampleInput((make(),), {"repeats": 3}, name="scalar"),
            SampleInput((make(1),), {"repeats": 2, "dim": 0}, name="one_element"),
            SampleInput((make(0, 2),), {"repeats": 2, "dim": 1}, name="empty")]


def _interleave_ref(xp, x, repeats, dim=None, output_size=None):
    return xp.repeat(x.reshape(-1) if dim is None else x, repeats, axis=0 if dim is None else dim)


OPS = [
    OpInfo("expand", lambda x, size: x.expand(*size), shape_repeat.Expand,
           lambda xp, x, size: xp.broadcast_to(x, _resolved(size, x.shape)), _expand_samples,
           torch_op=lambda torch, x, size: x.expand(*size)),
    OpInfo("expand_as", lambda x, other: x.expand_as(other), shape_repeat.Expand,
           lambda xp, x, other: xp.broadcast_to(x, other.shape), _expand_as_samples,
           torch_op=lambda torch, x, other: x.expand_as(other)),
    OpInfo("broadcast_to", lambda x, size: mg.broadcast_to(x, size), shape_repeat.Expand,
           lambda xp, x, size: xp.broadcast_to(x, _resolved(size, x.shape)), _expand_samples,
           torch_op=lambda torch, x, size: torch.broadcast_to(x, size)),
    # NOTE: NumPy's tile is PyTorch's repeat (it too pads the tensor with leading dims)
    OpInfo("repeat", lambda x, repeats: x.repeat(*repeats), shape_repeat.Repeat,
           lambda xp, x, repeats: xp.tile(x, repeats), _repeat_samples,
           torch_op=lambda torch, x, repeats: x.repeat(*repeats)),
    OpInfo("tile", lambda x, dims: mg.tile(x, dims), shape_repeat.Repeat,
           lambda xp, x, dims: xp.tile(x, dims), _tile_samples,
           torch_op=lambda torch, x, dims: torch.tile(x, dims)),
    OpInfo("repeat_interleave", lambda x, *counts, **kw: mg.repeat_interleave(x, *counts, **kw),
           shape_repeat.RepeatInterleave, _interleave_ref, _interleave_samples,
           torch_op=lambda torch, x, *counts, **kw: torch.repeat_interleave(x, *counts, **kw)),
]

MODULES = []  # no layer of its own
