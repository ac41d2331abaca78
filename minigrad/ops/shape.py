"""Shape ops: reshape (and squeeze/unsqueeze/flatten, which are reshapes), transpose,
permute, cat and stack. Their backward moves the gradient back, changing no value."""

import math

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.ops import _dims

__all__ = [
    "cat", "flatten", "permute", "reshape", "squeeze", "stack", "transpose", "unbind",
    "unsqueeze",
]


class Reshape(Function):
    """out = x with a new shape;  the gradient takes x's shape back."""

    op_name = "reshape"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g_out):
        return g_out.reshape(ctx.shape), None


class Transpose(Function):
    """out = x with axes dim0 and dim1 swapped;  the gradient swaps them back."""

    op_name = "transpose"

    @staticmethod
    def forward(ctx, x, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return ctx.xp.swapaxes(x, dim0, dim1)

    @staticmethod
    def backward(ctx, g_out):
        return ctx.xp.swapaxes(g_out, *ctx.dims), None, None


class Permute(Function):
    """out = x with axes reordered;  the gradient applies the inverse order."""

    op_name = "permute"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g_out):
        return g_out.transpose(ctx.inverse), None


class Cat(Function):
    """out = the inputs joined along dim;  each input gets its slice of the gradient."""

    op_name = "cat"

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.bounds = []
        end = 0
        for x in xs[:-1]:
            end += x.shape[dim]
            ctx.bounds.append(end)
        return ctx.xp.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g_out):
        return (None, *ctx.xp.split(g_out, ctx.bounds, axis=ctx.dim))


class Stack(Function):
    """out = the inputs stacked along a new dim;  each input gets its slice of the gradient."""

    op_name = "stack"

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        return ctx.xp.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g_out):
        lead = (slice(None),) * ctx.dim
        return (None, *(g_out[lead + (i,)] for i in range(g_out.shape[ctx.dim])))


class Unbind(Function):
    """The slices of x along dim, as separate outputs (views);  the gradient stacks the
    slices' gradients back, zeros for slices nothing used. One node for a whole sequence,
    where a getitem per step would allocate a full-size gradient per step."""

    op_name = "unbind"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        lead = (slice(None),) * dim
        return tuple(x[lead + (i,)] for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *g_slices):
        return ctx.xp.stack(g_slices, axis=ctx.dim), None


def reshape(x, shape):
    """x with a new shape (one entry may be -1)."""
    return Reshape.apply(x, tuple(shape))


def transpose(x, dim0, dim1):
    ndim = max(x.ndim, 1)
    return Transpose.apply(x, _dims.axis(dim0, ndim, "transpose", x.shape),
                           _dims.axis(dim1, ndim, "transpose", x.shape))


def permute(x, dims):
    dims = tuple(_dims.axis(d, x.ndim, "permute", x.shape) for d in dims)
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of the "
                         f"{x.ndim} dims of a tensor of shape {tuple(x.shape)}")
    return Permute.apply(x, dims)


def squeeze(x, dim=None):
    """Drop size-1 dims (all of them, or ``dim`` if it has size 1, as PyTorch)."""
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        axis = _dims.axis(dim, x.ndim, "squeeze", x.shape) if x.ndim else None
        if axis is None or x.shape[axis] != 1:
            return reshape(x, x.shape)
        shape = x.shape[:axis] + x.shape[axis + 1:]
    return reshape(x, shape)


def unsqueeze(x, dim):
    """Insert a size-1 dim at ``dim``."""
    axis = _dims.axis(dim, x.ndim + 1, "unsqueeze", x.shape)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one."""
    if x.ndim == 0:
        return reshape(x, (1,))
    start = _dims.axis(start_dim, x.ndim, "flatten", x.shape)
    end = _dims.axis(end_dim, x.ndim, "flatten", x.shape)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    # NOTE: the merged size written out, not -1: -1 cannot be inferred when another dim is 0
    merged = math.prod(x.shape[start:end + 1])
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def _joinable(tensors, op, dim, same_shape):
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    ref = tensors[0].shape
    for i, t in enumerate(tensors[1:], 1):
        others_differ = (t.shape != ref if same_shape else
                         len(t.shape) != len(ref)
                         or any(a != b for k, (a, b) in enumerate(zip(t.shape, ref)) if k != dim))
        if others_differ:
            raise ShapeError(f"{op}: tensor {i} has shape {tuple(t.shape)} but tensor 0 has "
                             f"shape {tuple(ref)}" + ("" if same_shape else
                                                     f" (only dim {dim} may differ)"))
    return tensors


def cat(tensors, dim=0):
    """Join tensors along an existing dim."""
    tensors = tuple(tensors)
    first = tensors[0].shape if tensors else ()
    axis = _dims.axis(dim, max(len(first), 1), "cat", first)
    return Cat.apply(axis, *_joinable(tensors, "cat", axis, same_shape=False))


def unbind(x, dim=0):
    """The slices of x along ``dim`` as a tuple of tensors (one graph node)."""
    return Unbind.apply(x, _dims.axis(dim, max(x.ndim, 1), "unbind", x.shape))


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dim."""
    tensors = tuple(tensors)
    first = tensors[0].shape if tensors else ()
    axis = _dims.axis(dim, len(first) + 1, "stack", first)
    return Stack.apply(axis, *_joinable(tensors, "stack", axis, same_shape=True))
