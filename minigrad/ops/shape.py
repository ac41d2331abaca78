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


def reshape(input, shape):
    """``input`` with a new shape (one entry may be -1)."""
    shape, size = tuple(shape), input.data.size
    known = math.prod(n for n in shape if n != -1)  # the product of the sizes given
    inferred = shape.count(-1)
    fits = known == size if not inferred else inferred == 1 and known and size % known == 0
    if not fits or any(n < -1 for n in shape):
        raise ShapeError(f"reshape: shape {shape} is invalid for input of size "
                         f"{input.data.size} (shape {tuple(input.shape)})")
    return Reshape.apply(input, shape)


def transpose(input, dim0, dim1):
    """``input`` with dims ``dim0`` and ``dim1`` swapped."""
    ndim = max(input.ndim, 1)
    return Transpose.apply(input, _dims.axis(dim0, ndim, "transpose", input.shape),
                           _dims.axis(dim1, ndim, "transpose", input.shape))


def permute(input, dims):
    """``input`` with its dims in the order ``dims``."""
    if len(dims) != input.ndim:  # NOTE: checked first: PyTorch's RuntimeError, no IndexError
        raise ShapeError(f"permute: {len(dims)} dims {tuple(dims)} given for a tensor of "
                         f"{input.ndim} dims (shape {tuple(input.shape)})")
    dims = tuple(_dims.axis(d, input.ndim, "permute", input.shape) for d in dims)
    if sorted(dims) != list(range(input.ndim)):
        raise ShapeError(f"permute: dims {dims} are not a permutation of the "
                         f"{input.ndim} dims of a tensor of shape {tuple(input.shape)}")
    return Permute.apply(input, dims)


def squeeze(input, dim=None):
    """Drop size-1 dims: all of them, or those of ``dim`` (an int or a tuple) that have
    size 1, as PyTorch."""
    axes = _dims.axes(dim, input.shape, "squeeze")
    return reshape(input, tuple(n for i, n in enumerate(input.shape) if n != 1 or i not in axes))


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim``."""
    axis = _dims.axis(dim, input.ndim + 1, "unsqueeze", input.shape)
    return reshape(input, input.shape[:axis] + (1,) + input.shape[axis:])


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one."""
    if input.ndim == 0:
        return reshape(input, (1,))
    start = _dims.axis(start_dim, input.ndim, "flatten", input.shape)
    end = _dims.axis(end_dim, input.ndim, "flatten", input.shape)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    # NOTE: the merged size written out, not -1: -1 cannot be inferred when another dim is 0
    merged = math.prod(input.shape[start:end + 1])
    return reshape(input, input.shape[:start] + (merged,) + input.shape[end + 1:])


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


def unbind(input, dim=0):
    """The slices of ``input`` along ``dim`` as a tuple of tensors (one graph node)."""
    return Unbind.apply(input, _dims.axis(dim, max(input.ndim, 1), "unbind", input.shape))


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dim."""
    tensors = tuple(tensors)
    first = tensors[0].shape if tensors else ()
    axis = _dims.axis(dim, len(first) + 1, "stack", first)
    return Stack.apply(axis, *_joinable(tensors, "stack", axis, same_shape=True))
