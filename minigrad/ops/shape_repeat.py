"""Shape ops that repeat or broadcast values: expand, repeat, repeat_interleave, tile,
broadcast_to. Each output element is a copy of one input element, so each backward sums
the gradients of the copies back onto their source."""

from minigrad.autograd.function import Function
from minigrad.errors import DTypeError, ShapeError
from minigrad.ops import _dims
from minigrad.ops._operands import require_tensor
from minigrad.ops.shape import reshape
from minigrad.tensor import Tensor

# NOTE: expand, expand_as and repeat are Tensor methods only in PyTorch: defined here, not
# exported at the top level
__all__ = ["broadcast_to", "repeat_interleave", "tile"]


class Expand(Function):
    """out = x broadcast to ``shape`` (a read-only view, no copy);  the gradient is g summed
    over the broadcast dims, which the engine does for every op."""

    op_name = "expand"

    @staticmethod
    def forward(ctx, x, shape):
        return ctx.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g_out):
        return g_out, None


class Repeat(Function):
    """out = x tiled ``repeats[i]`` times along each dim i (x first gets leading size-1 dims
    up to ``len(repeats)``);  d/dx = the sum of g over the copies."""

    op_name = "repeat"

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.shape = x.shape
        padded = (1,) * (len(repeats) - x.ndim) + x.shape
        ctx.repeats, ctx.padded = repeats, padded
        return ctx.xp.tile(x.reshape(padded), repeats)

    @staticmethod
    def backward(ctx, g_out):
        # NOTE: out's dim i holds repeats[i] blocks of padded[i]: split each dim in two and
        # sum over the block axes (the even ones)
        split = tuple(n for pair in zip(ctx.repeats, ctx.padded) for n in pair)
        g_x = g_out.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g_x.reshape(ctx.shape), None


class RepeatInterleave(Function):
    """out = each slice of x along ``axis`` repeated in place, ``repeats`` times (an int) or
    ``repeats[i]`` times for slice i (a tuple);  d/dx_i = the sum of g over slice i's
    copies."""

    op_name = "repeat_interleave"

    @staticmethod
    def forward(ctx, x, repeats, axis):
        ctx.shape, ctx.repeats, ctx.axis = x.shape, repeats, axis
        return ctx.xp.repeat(x, repeats if isinstance(repeats, int) else list(repeats), axis)

    @staticmethod
    def backward(ctx, g_out):
        xp, axis, shape, repeats = ctx.xp, ctx.axis, ctx.shape, ctx.repeats
        if isinstance(repeats, int):
            split = shape[:axis] + (shape[axis], repeats) + shape[axis + 1:]
            return g_out.reshape(split).sum(axis=axis + 1), None, None
        # NOTE: the copies of slice i are consecutive, but counts differ: scatter-add each
        # output slice onto its source index, with the repeated axis moved to the front
        source = xp.repeat(xp.arange(shape[axis]), list(repeats))
        g_x = xp.zeros((shape[axis],) + shape[:axis] + shape[axis + 1:], dtype=g_out.dtype)
        ctx.backend.scatter_add(g_x, source, xp.moveaxis(g_out, axis, 0))
        return xp.moveaxis(g_x, 0, axis), None, None


def _expanded_shape(x, size, op):
    """The shape ``x`` expands to for PyTorch's ``size``: new leading dims, -1 keeping a
    dim, size-1 dims stretched; ShapeError where a dim cannot be matched."""
    size = tuple(int(n) for n in size)
    lead = len(size) - x.ndim
    if lead < 0:
        raise ShapeError(f"{op}: the number of sizes provided ({len(size)}) must be greater or "
                         f"equal to the number of dims of the tensor of shape {tuple(x.shape)}")
    shape = []
    for i, n in enumerate(size):
        have = x.shape[i - lead] if i >= lead else None
        if n == -1 and have is not None:
            n = have
        elif n < 0:
            where = "a new leading dim" if have is None else "a dim"
            raise ShapeError(f"{op}: size {n} is not allowed for {where} ({i}); target sizes "
                             f"{size}, tensor shape {tuple(x.shape)}")
        elif have is not None and have not in (1, n):
            raise ShapeError(f"{op}: the expanded size ({n}) must match the existing size "
                             f"({have}) at non-singleton dim {i}; target sizes {size}, tensor "
                             f"shape {tuple(x.shape)}")
        shape.append(n)
    return tuple(shape)


def expand(input, size):
    """``input`` broadcast to ``size`` without copying (``x.expand(*size)``): -1 keeps a dim,
    new dims go in front, only size-1 dims stretch."""
    return Expand.apply(input, _expanded_shape(input, size, "expand"))


def expand_as(input, other):
    """``input`` expanded to the shape of ``other``."""
    return expand(input, other.shape)


def broadcast_to(input, shape):
    """``input`` broadcast to ``shape``, as ``input.expand(shape)``."""
    return Expand.apply(input, _expanded_shape(input, shape, "broadcast_to"))


def _counts(repeats, op, shape):
    try:
        repeats = tuple(int(n) for n in repeats)
    except TypeError:  # NOTE: a NumPy array of counts: its own error names no op
        kinds = ", ".join(type(n).__name__ for n in repeats)
        raise TypeError(f"{op}: repeats must be integers or an integer tensor, got {kinds}") \
            from None
    if any(n < 0 for n in repeats):
        raise ShapeError(f"{op}: repeats {repeats} must be non-negative (tensor of shape "
                         f"{tuple(shape)})")
    return repeats


def repeat(input, repeats):
    """``input`` tiled ``repeats[i]`` times along dim i (``x.repeat(*repeats)``); there must be
    at least as many repeats as dims, extra ones add leading dims."""
    repeats = _counts(repeats, "repeat", input.shape)
    if len(repeats) < input.ndim:
        raise ShapeError(f"repeat: the number of repeats ({len(repeats)}) can not be smaller "
                         f"than the number of dims of the tensor of shape {tuple(input.shape)}")
    return Repeat.apply(input, repeats)


def tile(input, dims):
    """``input`` tiled ``dims[i]`` times along dim i; with fewer dims than the tensor has,
    the leading dims are repeated once (unlike ``repeat``)."""
    dims = _counts(dims, "tile", input.shape)
    return Repeat.apply(input, (1,) * (input.ndim - len(dims)) + dims)


def _interleave_counts(repeats, size, shape):
    """``repeats`` (an int or an integer tensor of one or ``size`` counts) as an int or a
    tuple of ``size`` ints, checked as PyTorch checks them."""
    if isinstance(repeats, Tensor):
        if repeats.data.dtype.kind not in "iu":
            raise DTypeError(f"repeat_interleave: repeats must be an integer tensor, got "
                             f"{repeats.dtype.name}")
        if repeats.ndim > 1:
            raise ShapeError(f"repeat_interleave: repeats must be a 0-d or 1-d tensor, got "
                             f"shape {tuple(repeats.shape)}")
        counts = _counts(repeats.data.reshape(-1).tolist(), "repeat_interleave", shape)
        if len(counts) != 1:
            if len(counts) != size:
                raise ShapeError(f"repeat_interleave: repeats has {len(counts)} counts but the "
                                 f"input has {size} slices along dim (input shape "
                                 f"{tuple(shape)})")
            return counts
        repeats = counts[0]
    return _counts((repeats,), "repeat_interleave", shape)[0]


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each slice of ``input`` along ``dim`` (of the flattened input when None) in
    place: ``repeats`` times, or ``repeats[i]`` times for slice i. Called with one integer
    tensor (``repeat_interleave(counts)``), it repeats each index i ``counts[i]`` times.
    ``output_size`` is the result's length along dim; a wrong one raises."""
    require_tensor("repeat_interleave", "input", input)
    if repeats is None:
        if input.ndim != 1:
            raise ShapeError(f"repeat_interleave: the counts must be a 1-d tensor, got shape "
                             f"{tuple(input.shape)}")
        indices = input._backend.xp.arange(input.shape[0], dtype="int64")
        return repeat_interleave(Tensor._make(indices, input._backend), input,
                                 output_size=output_size)
    if dim is None:
        input, axis = reshape(input, (-1,)), 0
    else:
        axis = _dims.axis(dim, max(input.ndim, 1), "repeat_interleave", input.shape)
        if input.ndim == 0:
            input = reshape(input, (1,))
    counts = _interleave_counts(repeats, input.shape[axis], input.shape)
    total = counts * input.shape[axis] if isinstance(counts, int) else sum(counts)
    if output_size is not None and output_size != total:
        raise ShapeError(f"repeat_interleave: output_size {output_size} does not match the "
                         f"{total} slices the repeats make (input shape {tuple(input.shape)})")
    return RepeatInterleave.apply(input, counts, axis)
