"""Shape ops that move or split values without changing them: narrow, flip, roll, movedim,
swapaxes, t, chunk, split. flip and roll copy (as in PyTorch); the others are views, built
on getitem, transpose, permute and reshape where that is what they are."""

import math
import operator

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.ops import _dims
from minigrad.ops._operands import require_tensor
from minigrad.ops.indexing import getitem
from minigrad.ops.shape import permute, reshape, transpose
from minigrad.tensor import Tensor

# NOTE: view_as and reshape_as are Tensor methods only in PyTorch: defined here, not exported
__all__ = ["chunk", "flip", "moveaxis", "movedim", "narrow", "roll", "split", "swapaxes",
           "swapdims", "t"]


class Flip(Function):
    """out = x with the order of its elements reversed along ``axes`` (a copy);  the gradient
    is g flipped back."""

    op_name = "flip"

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return ctx.xp.flip(x, axes).copy()

    @staticmethod
    def backward(ctx, g_out):
        return ctx.xp.flip(g_out, ctx.axes), None


class Roll(Function):
    """out = x shifted cyclically by ``shifts[i]`` along ``axes[i]``;  the gradient is g
    shifted back by the opposite amounts."""

    op_name = "roll"

    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return ctx.xp.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, g_out):
        return ctx.xp.roll(g_out, tuple(-s for s in ctx.shifts), ctx.axes), None, None


class Split(Function):
    """The pieces of x between ``bounds`` along ``axis``, as separate outputs (views);  the
    gradient joins the pieces' gradients back, zeros for pieces nothing used. One node for
    all the pieces, as ``unbind``."""

    op_name = "split"

    @staticmethod
    def forward(ctx, x, bounds, axis):
        ctx.axis = axis
        return tuple(ctx.xp.split(x, bounds, axis=axis))

    @staticmethod
    def backward(ctx, *g_pieces):
        return ctx.xp.concatenate(g_pieces, axis=ctx.axis), None, None


def _axis_list(dims, ndim, op, shape):
    """``dims`` (an int or a sequence) as a tuple of axes; an axis named twice raises."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = tuple(_dims.axis(d, ndim, op, shape) for d in dims)
    if len(set(axes)) != len(axes):
        raise ShapeError(f"{op}: dims {dims} name an axis more than once (tensor of shape "
                         f"{tuple(shape)})")
    return axes


def narrow(input, dim, start, length):
    """The ``length`` slices of ``input`` along ``dim`` from ``start`` (negative counts from
    the end; a 0-d integer tensor is accepted), as a view."""
    if input.ndim == 0:
        raise ShapeError("narrow: cannot be applied to a 0-d tensor")
    axis = _dims.axis(dim, input.ndim, "narrow", input.shape)
    size = input.shape[axis]
    start = int(start.item()) if isinstance(start, Tensor) else start
    if not -size <= start <= size:
        raise IndexError(f"narrow: start {start} is out of range for dim {dim} of size {size} "
                         f"(expected in [{-size}, {size}])")
    start = start + size if start < 0 else start
    if length < 0 or start + length > size:
        raise ShapeError(f"narrow: start ({start}) + length ({length}) must lie within dim "
                         f"{dim} of size {size} (tensor of shape {tuple(input.shape)})")
    return getitem(input, (slice(None),) * axis + (slice(start, start + length),))


def flip(input, dims):
    """``input`` with the order reversed along each of ``dims`` (a tuple or list), copied."""
    if isinstance(dims, int):
        raise TypeError(f"flip: dims must be a tuple or list of ints, got the int {dims}")
    if input.ndim == 0:  # NOTE: a 0-d tensor takes dim 0 and -1, and has nothing to reverse
        _axis_list(dims, 1, "flip", input.shape)
        return Flip.apply(input, ())
    return Flip.apply(input, _axis_list(dims, input.ndim, "flip", input.shape))


def roll(input, shifts, dims=None):
    """``input`` shifted cyclically by ``shifts`` along ``dims`` (an int or a tuple each);
    with ``dims`` None, the flattened tensor is shifted and the shape restored."""
    require_tensor("roll", "input", input)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise ShapeError(f"roll: without dims there must be one shift, got shifts {shifts}")
        flat = Roll.apply(reshape(input, (-1,)), shifts, (0,))
        return reshape(flat, input.shape)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims) or not shifts:
        raise ShapeError(f"roll: shifts {shifts} and dims {dims} must have the same, nonzero "
                         f"length")
    axes = tuple(_dims.axis(d, input.ndim, "roll", input.shape) for d in dims)
    return Roll.apply(input, shifts, axes)


def movedim(input, source, destination):
    """``input`` with the dims ``source`` moved to the places ``destination`` (ints or
    tuples), the other dims keeping their order: a permute."""
    require_tensor("movedim", "input", input)
    ndim = max(input.ndim, 1)
    src = _axis_list(source, ndim, "movedim", input.shape)
    dst = _axis_list(destination, ndim, "movedim", input.shape)
    if len(src) != len(dst):
        raise ShapeError(f"movedim: source {source} and destination {destination} must name "
                         f"the same number of dims")
    if input.ndim == 0:
        return reshape(input, ())
    rest = iter(d for d in range(input.ndim) if d not in src)
    placed = dict(zip(dst, src))
    return permute(input, [placed[i] if i in placed else next(rest) for i in range(input.ndim)])


moveaxis = movedim


def swapaxes(input, axis0, axis1):
    """``input`` with two dims swapped: ``transpose`` under NumPy's name."""
    return transpose(input, axis0, axis1)


def swapdims(input, dim0, dim1):
    """``input`` with two dims swapped: ``transpose``."""
    return transpose(input, dim0, dim1)


def t(input):
    """A matrix transposed; a 0-d or 1-d tensor is returned as it is (as a new view)."""
    if input.ndim > 2:
        raise ShapeError(f"t: expects a tensor with <= 2 dims, got shape {tuple(input.shape)}; "
                         "use .mT or transpose(dim0, dim1) for batches")
    return transpose(input, 0, 1) if input.ndim == 2 else reshape(input, input.shape)


def matrix_transpose(input):
    """The last two dims swapped (``x.mT``), for matrices and batches of them."""
    if input.ndim < 2:
        raise ShapeError(f"mT: only supported on matrices or batches of matrices, got a "
                         f"{input.ndim}-d tensor")
    return transpose(input, -2, -1)


def view_as(input, other):
    """``input`` with the shape of ``other`` (minigrad's views are reshapes)."""
    return reshape(input, other.shape)


def reshape_as(input, other):
    """``input`` reshaped to the shape of ``other``."""
    return reshape(input, other.shape)


def _split_axis(input, dim, op):
    if input.ndim == 0:
        raise ShapeError(f"{op}: expects at least a 1-d tensor, got a 0-d one")
    return _dims.axis(dim, input.ndim, op, input.shape)


def _pieces(input, sizes, axis):
    bounds, end = [], 0
    for n in sizes[:-1]:
        end += n
        bounds.append(end)
    return Split.apply(input, bounds, axis)


def split(tensor, split_size_or_sections, dim=0):
    """``tensor`` cut along ``dim`` into pieces of ``split_size_or_sections`` (an int: the
    last piece may be smaller) or of the listed sizes (which must add up to the dim's size).
    A tuple of views, from one graph node."""
    axis = _split_axis(tensor, dim, "split")
    size = tensor.shape[axis]
    if not isinstance(split_size_or_sections, (list, tuple)):
        step = operator.index(split_size_or_sections)
        if step < 0 or (step == 0 and size != 0):
            raise ShapeError(f"split: split_size must be positive (or 0 for an empty dim), "
                             f"got {step} for dim {dim} of size {size}")
        count = max(math.ceil(size / step) if step else 1, 1)
        sizes = [step] * (count - 1) + [size - step * (count - 1)]
    else:
        sizes = [int(n) for n in split_size_or_sections]
        if any(n < 0 for n in sizes) or sum(sizes) != size:
            raise ShapeError(f"split: split sizes {sizes} must be non-negative and add up to "
                             f"{size}, the size of dim {dim} of the tensor of shape "
                             f"{tuple(tensor.shape)}")
    return _pieces(tensor, sizes, axis)


def chunk(input, chunks, dim=0):
    """``input`` cut along ``dim`` into ``chunks`` pieces of equal size (the last may be
    smaller, and there may be fewer pieces when the size does not divide)."""
    axis = _split_axis(input, dim, "chunk")
    if chunks <= 0:
        raise ShapeError(f"chunk: chunks must be greater than 0, got {chunks}")
    size = input.shape[axis]
    if size == 0:  # NOTE: as PyTorch: an empty dim gives `chunks` empty pieces
        return _pieces(input, [0] * chunks, axis)
    return split(input, math.ceil(size / chunks), axis)
