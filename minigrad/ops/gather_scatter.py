"""Reading and writing by index: gather, scatter, scatter_add, index_select, masked_fill,
masked_select, take_along_dim.

Along a dim, an index tensor names one position per element: ``gather`` reads there and
``scatter`` writes there, so the gradient of each is the other. The argument checks live in
``_indices``, shared with the in-place forms (``x.scatter_``, ``x.masked_fill_``)."""

from minigrad.autograd.function import Function
from minigrad.ops import _dims
from minigrad.ops._indices import (
    along,
    block,
    broadcast_shape,
    check_bounds,
    check_fill_value,
    check_index,
    check_index_dtype,
    check_mask,
    check_same_dtype,
    check_slice_index,
    one_element_views,
    scatter_source,
    write_at,
)
from minigrad.ops.shape import reshape
from minigrad.tensor import Tensor

__all__ = ["gather", "index_select", "masked_fill", "masked_select", "scatter", "scatter_add",
           "take_along_dim"]


class Gather(Function):
    """out[i][j] = x[index[i][j]][j] (dim 0; x broadcast to ``shape`` first);
    d/dx: the gradient added back at the gathered positions, repeats adding up."""

    op_name = "gather"

    @staticmethod
    def forward(ctx, x, index, axis, shape):
        xp = ctx.xp
        ctx.save_for_backward(index)
        ctx.axis, ctx.shape = axis, shape
        return xp.broadcast_to(x, shape)[along(xp, index, axis)]

    @staticmethod
    def backward(ctx, g_out):
        xp = ctx.xp
        (index,) = ctx.saved_tensors
        g_x = xp.zeros(ctx.shape, dtype=g_out.dtype)
        ctx.backend.scatter_add(g_x, along(xp, index, ctx.axis), g_out)
        return g_x, None, None, None  # NOTE: the engine sums a broadcast x's gradient back


class _Scatter(Function):
    """Shared body of scatter and scatter_add: out = x with src (or a scalar value) written
    or added at the index; d/dsrc[i][j] = g[index[i][j]][j] (dim 0): g gathered."""

    accumulate = None  # True: add into x (scatter_add); False: overwrite (scatter)

    @classmethod
    def forward(cls, ctx, x, index, src, axis):
        out = x.copy()
        write_at(ctx.backend, out, index, axis, src, cls.accumulate)
        ctx.save_for_backward(index)
        ctx.axis, ctx.src_shape = axis, getattr(src, "shape", None)
        return out

    @classmethod
    def backward(cls, ctx, g_out):
        xp = ctx.xp
        (index,) = ctx.saved_tensors
        g_x = g_out.copy() if not cls.accumulate and ctx.needs_input_grad[0] else g_out
        g_src = None
        if ctx.needs_input_grad[2]:
            g_src = xp.zeros(ctx.src_shape, dtype=g_out.dtype)
        picked, g_x_flat, g_out_flat, g_src_flat = one_element_views(index, g_x, g_out, g_src)
        picks = along(xp, picked, ctx.axis)
        if g_x is not g_out:
            g_x_flat[picks] = 0  # NOTE: overwritten elements of x reach no output
        if g_src is not None:
            g_src_flat[block(picked.shape)] = g_out_flat[picks]
        return g_x, None, g_src, None


class Scatter(_Scatter):
    """out = x with out[index[i][j]][j] = src[i][j] (dim 0);
    d/dx = g except where written (0 there); d/dsrc = g gathered at the index."""

    op_name = "scatter"

    accumulate = False


class ScatterAdd(_Scatter):
    """out = x with src[i][j] added to out[index[i][j]][j] (dim 0), repeats adding up;
    d/dx = g; d/dsrc = g gathered at the index."""

    op_name = "scatter_add"

    accumulate = True


class IndexSelect(Function):
    """out = the slices of x at ``index`` along axis, in that order (repeats allowed);
    d/dx: each slice's gradient added back where it came from."""

    op_name = "index_select"

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.save_for_backward(index)
        ctx.axis, ctx.shape = axis, x.shape
        return ctx.xp.take(x, index, axis=axis)

    @staticmethod
    def backward(ctx, g_out):
        (index,) = ctx.saved_tensors
        g_x = ctx.xp.zeros(ctx.shape, dtype=g_out.dtype)
        ctx.backend.scatter_add(g_x, (slice(None),) * ctx.axis + (index,), g_out)
        return g_x, None, None


class MaskedFill(Function):
    """out = value where mask, else x (broadcast together);
    d/dx = g where not mask, 0 where mask; d/dvalue = the sum of g where mask."""

    op_name = "masked_fill"

    @staticmethod
    def forward(ctx, x, mask, value):
        xp = ctx.xp
        ctx.save_for_backward(mask)
        return xp.where(mask, xp.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g_out):
        (mask,) = ctx.saved_tensors
        xp = ctx.xp
        g_x = xp.where(mask, 0, g_out) if ctx.needs_input_grad[0] else None
        g_value = xp.where(mask, g_out, 0) if ctx.needs_input_grad[2] else None
        return g_x, None, g_value  # NOTE: the engine sums both back to their shapes


class MaskedSelect(Function):
    """out = the elements of x where mask (broadcast together to ``shape``), 1-D in
    row-major order;  d/dx: the gradient put back at those positions, 0 elsewhere."""

    op_name = "masked_select"

    @staticmethod
    def forward(ctx, x, mask, shape):
        xp = ctx.xp
        ctx.save_for_backward(mask)
        ctx.shape = shape
        return xp.broadcast_to(x, shape)[xp.broadcast_to(mask, shape)]

    @staticmethod
    def backward(ctx, g_out):
        xp = ctx.xp
        (mask,) = ctx.saved_tensors
        g_x = xp.zeros(ctx.shape, dtype=g_out.dtype)
        g_x[xp.broadcast_to(mask, ctx.shape)] = g_out
        return g_x, None, None


def gather(input, dim, index):
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` for ``dim=1`` (likewise for any dim).
    ``index`` has as many dims as ``input`` and is no larger in the others; the result has
    ``index``'s shape."""
    axis = check_index(input, dim, index, "gather")
    return Gather.apply(input, index, axis, tuple(input.shape) or (1,) * index.ndim)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src[i][j]`` written at ``[index[i][j]][j]`` (``dim=0``;
    likewise for any dim), or the number ``value`` (also accepted in ``src``'s place) at
    every indexed position. Where indices repeat, which write wins is unspecified, as in
    PyTorch. ``reduce`` is not supported: ``scatter_add`` does ``reduce='add'``."""
    axis, src = scatter_source(input, dim, index, src, value, reduce, "scatter")
    return Scatter.apply(input, index, src, axis)


def scatter_add(input, dim, index, src):
    """A copy of ``input`` with ``src[i][j]`` added at ``[index[i][j]][j]`` (``dim=0``;
    likewise for any dim); repeated indices add up."""
    check_same_dtype(input, src, "scatter_add")
    return ScatterAdd.apply(input, index, src, check_index(input, dim, index, "scatter_add",
                                                           src))


def index_select(input, dim, index):
    """The slices of ``input`` along ``dim`` at the positions in the 1-D (or 0-d) ``index``."""
    axis = check_slice_index(input, dim, index, "index_select")
    flat = index.reshape(-1)
    if input.ndim:
        return IndexSelect.apply(input, flat, axis)
    if flat.numel() != 1:  # NOTE: a 0-d input gives a 0-d result: one index only
        raise RuntimeError(f"index_select: a 0-d input takes one index, got {flat.numel()}")
    return reshape(IndexSelect.apply(reshape(input, (1,)), flat, 0), ())


def masked_fill(input, mask, value):
    """``input`` with ``value`` (a number or a 0-d tensor, which gets a gradient) where the
    bool ``mask`` is True; ``input`` and ``mask`` broadcast together."""
    check_mask(input, mask, "masked_fill")
    check_fill_value(value, "masked_fill")
    return MaskedFill.apply(input, mask, value)


def masked_select(input, mask):
    """The elements of ``input`` where the bool ``mask`` is True, as a 1-D tensor;
    ``input`` and ``mask`` broadcast together."""
    return MaskedSelect.apply(input, mask, check_mask(input, mask, "masked_select"))


def take_along_dim(input, indices, dim=None):
    """``input`` read at ``indices`` along ``dim``, as ``gather`` but with ``input`` and
    ``indices`` broadcast together in the other dims (NumPy's ``take_along_axis``); with
    ``dim=None`` both are flattened first."""
    op = "take_along_dim"
    check_index_dtype(indices, op)
    if dim is None:
        return gather(reshape(input, (-1,)), 0, indices.reshape(-1))
    if indices.ndim != input.ndim:
        raise RuntimeError(f"{op}: input and indices must have as many dims (input "
                           f"{tuple(input.shape)}, indices {tuple(indices.shape)})")
    axis = _dims.axis(dim, input.ndim, op, input.shape)  # NOTE: a 0-d input has no dim
    others = broadcast_shape(input._backend.xp, op,
                             *(_with(t.shape, axis, 1) for t in (input, indices)))
    x_shape = _with(others, axis, input.shape[axis])
    check_bounds(indices, x_shape[axis], dim, op)
    index = input._backend.xp.broadcast_to(indices.data, _with(others, axis, indices.shape[axis]))
    return Gather.apply(input, Tensor._make(index, input._backend), axis, x_shape)


def _with(shape, axis, n):
    """``shape`` with ``n`` at ``axis``."""
    return tuple(n if d == axis else m for d, m in enumerate(shape))
