"""Registry entries of reshape, transpose, permute, squeeze/unsqueeze, flatten, cat and stack
(``minigrad/ops/shape.py``)."""


import minigrad as mg
from minigrad.ops import shape
from minigrad.testing.op_db.base import ModuleInfo, OpInfo, SampleInput


def _shape_samples(method):
    def samples(make):
        return [SampleInput((make(*s),), kw, name=name) for name, s, kw in method]
    return samples


def _join_samples(make):
    return [SampleInput((make(2, 3), make(4, 3)), {"dim": 0}, name="rows"),
            SampleInput((make(2, 3), make(2, 1), make(2, 2)), {"dim": 1}, name="three"),
            SampleInput((make(2, 3, 2), make(2, 3, 2)), {"dim": -1}, name="last")]


def _stack_samples(make):
    return [SampleInput((make(2, 3), make(2, 3)), {"dim": 0}, name="first"),
            SampleInput((make(2, 3), make(2, 3), make(2, 3)), {"dim": 2}, name="new_last"),
            SampleInput((make(), make()), {"dim": 0}, name="scalars")]


def _squeeze_ref(xp, x, dim=None):
    """NumPy's squeeze of those of ``dim`` (all dims when None) that have size 1."""
    dims = range(x.ndim) if dim is None else (dim,) if isinstance(dim, int) else dim
    return xp.squeeze(x, axis=tuple(d for d in dims if x.shape[d] == 1))


OPS = [
    OpInfo("reshape", lambda x, shape: x.reshape(shape), shape.Reshape,
           lambda xp, x, shape: x.reshape(shape),
           _shape_samples([("merge", (2, 3, 4), {"shape": (6, 4)}),
                           ("infer", (3, 4), {"shape": (-1,)}),
                           ("scalar", (), {"shape": (1, 1)})]),
           torch_op=lambda torch, x, shape: x.reshape(shape)),
    OpInfo("transpose", lambda x, d0, d1: x.transpose(d0, d1), shape.Transpose,
           lambda xp, x, d0, d1: xp.swapaxes(x, d0, d1),
           _shape_samples([("2d", (3, 4), {"d0": 0, "d1": 1}),
                           ("3d", (2, 3, 4), {"d0": -1, "d1": 0})]),
           torch_op=lambda torch, x, d0, d1: x.transpose(d0, d1)),
    OpInfo("permute", lambda x, dims: x.permute(*dims), shape.Permute,
           lambda xp, x, dims: xp.transpose(x, dims),
           _shape_samples([("3d", (2, 3, 4), {"dims": (2, 0, 1)}),
                           ("negative", (2, 3, 4), {"dims": (-1, 1, 0)})]),
           torch_op=lambda torch, x, dims: x.permute(*dims)),
    OpInfo("squeeze", lambda x, **kw: x.squeeze(**kw), shape.Reshape, _squeeze_ref,
           _shape_samples([("all", (1, 3, 1, 2), {}), ("one_dim", (3, 1, 2), {"dim": 1}),
                           ("not_one", (3, 2), {"dim": 0}),
                           ("dims", (1, 3, 1, 2), {"dim": (0, 1, -2)})]),
           torch_op=lambda torch, x, **kw: x.squeeze(**kw)),
    OpInfo("unsqueeze", lambda x, dim: x.unsqueeze(dim), shape.Reshape,
           lambda xp, x, dim: xp.expand_dims(x, dim),
           _shape_samples([("front", (3, 2), {"dim": 0}), ("back", (3, 2), {"dim": -1}),
                           ("scalar", (), {"dim": 0})]),
           torch_op=lambda torch, x, dim: x.unsqueeze(dim)),
    OpInfo("flatten", lambda x, **kw: x.flatten(**kw), shape.Reshape,
           lambda xp, x, start_dim=0, end_dim=-1: x.reshape(
               x.shape[:start_dim] + (-1,) + x.shape[end_dim % x.ndim + 1:]),
           _shape_samples([("all", (2, 3, 4), {}), ("inner", (2, 3, 4, 2),
                                                    {"start_dim": 1, "end_dim": 2})]),
           torch_op=lambda torch, x, **kw: x.flatten(**kw)),
    OpInfo("cat", lambda *xs, dim: mg.cat(xs, dim=dim), shape.Cat,
           lambda xp, *xs, dim: xp.concatenate(xs, axis=dim), _join_samples,
           torch_op=lambda torch, *xs, dim: torch.cat(xs, dim=dim)),
    OpInfo("stack", lambda *xs, dim: mg.stack(xs, dim=dim), shape.Stack,
           lambda xp, *xs, dim: xp.stack(xs, axis=dim), _stack_samples,
           torch_op=lambda torch, *xs, dim: torch.stack(xs, dim=dim)),
]

MODULES = [
    ModuleInfo("Flatten", lambda nn: nn.Flatten(), input_shapes=((6, 7), (2, 3, 4), (2, 3, 2, 2))),
    ModuleInfo("Flatten-middle_dims", lambda nn: nn.Flatten(1, 2),
               input_shapes=((2, 3, 4, 2), (2, 0, 4, 3))),
    ModuleInfo("Flatten-all", lambda nn: nn.Flatten(0, -1), input_shapes=((6, 7), (3,))),
    ModuleInfo("Unflatten", lambda nn: nn.Unflatten(1, (2, 6)), input_shapes=((5, 12), (3, 12, 2))),
    ModuleInfo("Unflatten-inferred_last", lambda nn: nn.Unflatten(-1, [3, -1]),
               input_shapes=((4, 6), (2, 3, 9))),
]
