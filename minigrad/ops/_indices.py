"""The index and mask checks that gather, scatter, index_select and the masked ops share
with their in-place forms (``x.scatter_``, ``x.masked_fill_`` in
``minigrad/tensor_methods/inplace.py``), and ``along``, which turns an index along one dim
into the advanced index NumPy and CuPy read and write with. Errors name the op and the
shapes, with PyTorch's exception types."""

from minigrad.errors import DTypeError, ShapeError
from minigrad.ops import _dims
from minigrad.tensor import Tensor

INDEX_DTYPES = ("int32", "int64")


def along(xp, index, axis):
    """The advanced index that picks ``x[..., index[i, j, k], ...]`` (``index`` at ``axis``)
    for every position ``(i, j, k)`` of ``index``, its own coordinates in the other dims."""
    picks = []
    for d, n in enumerate(index.shape):
        if d == axis:
            picks.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            picks.append(xp.arange(n).reshape(shape))
    return tuple(picks)


def block(shape):
    """Where an index of ``shape`` reads its source: ``src[:n0, :n1, ...]``."""
    return tuple(slice(0, n) for n in shape)


def check_index_dtype(index, op):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: index must be a tensor, got {type(index).__name__}")
    if index.dtype.name not in INDEX_DTYPES:
        raise RuntimeError(f"{op}: expected an index of dtype int32 or int64, got "
                           f"{index.dtype.name} (index {tuple(index.shape)})")


def check_bounds(index, size, dim, op):
    """Every value of ``index`` in [0, size): PyTorch refuses negative indices here too."""
    data = index.data
    outside = (data < 0) | (data >= size)
    if data.size and outside.any():
        bad = int(data[outside].reshape(-1)[0])
        raise RuntimeError(f"{op}: index {bad} is out of bounds for dimension {dim} with "
                           f"size {size}")


def check_index(input, dim, index, op, src=None):
    """The axis of ``dim`` after checking ``index`` as gather and scatter take it: int32 or
    int64, as many dims as ``input`` (and ``src``), no larger than ``input`` in the other
    dims nor than ``src`` in any, and inside ``input``'s size along ``dim``. A 0-d tensor
    counts as one element along dim 0, as in PyTorch."""
    check_index_dtype(index, op)
    x_shape, i_shape = tuple(input.shape) or (1,), tuple(index.shape) or (1,)
    s_shape = i_shape if src is None else tuple(src.shape) or (1,)
    axis = _dims.axis(dim, len(x_shape), op, input.shape)
    shapes = f"(input {tuple(input.shape)}, index {tuple(index.shape)}" + (
        ")" if src is None else f", src {tuple(src.shape)})")
    if not len(i_shape) == len(x_shape) == len(s_shape):
        others = "input" if src is None else "input and src"
        raise RuntimeError(f"{op}: index must have as many dims as {others} {shapes}")
    for d, n in enumerate(i_shape):
        if d != axis and n > x_shape[d]:
            raise RuntimeError(f"{op}: index is larger than input at dim {d} (only dim "
                               f"{axis} may be larger) {shapes}")
        if n > s_shape[d]:
            raise RuntimeError(f"{op}: index is larger than src at dim {d} {shapes}")
    check_bounds(index, x_shape[axis], dim, op)
    return axis


def check_same_dtype(input, src, op):
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}: src must be a tensor, got {type(src).__name__}")
    if src.dtype != input.dtype:
        raise DTypeError(f"{op}: src is {src.dtype.name} but input is {input.dtype.name}; "
                         "minigrad never converts silently: convert src with .to()")


def scatter_source(input, dim, index, src, value, reduce, op):
    """``(axis, src tensor or value)`` for scatter and scatter_: exactly one of ``src`` (a
    tensor, or a number given in its place) and ``value``; ``reduce`` is not supported."""
    if reduce is not None:
        raise NotImplementedError(f"{op}: reduce={reduce!r} is not supported; use "
                                  "scatter_add for reduce='add'")
    if (src is None) == (value is None):
        raise TypeError(f"{op}: pass exactly one of src (a tensor) and value (a number)")
    if not isinstance(src, Tensor):
        return check_index(input, dim, index, op), value if src is None else src
    check_same_dtype(input, src, op)
    return check_index(input, dim, index, op, src), src


def one_element_views(index, *arrays):
    """``index`` and ``arrays`` as they are or, where one of them is 0-d (one element along
    dim 0, as ``check_index`` counts it, which then lets only 0-d and 1-d arrays through),
    all as 1-d views, so that the index picks elements rather than whole arrays."""
    if index.ndim and all(a.ndim for a in arrays if hasattr(a, "shape")):
        return (index, *arrays)
    return (index.reshape(1), *[a.reshape(-1) if hasattr(a, "shape") else a for a in arrays])


def write_at(backend, target, index, axis, src, accumulate):
    """Write (or, when ``accumulate``, add) ``src`` into ``target`` at ``index`` along
    ``axis``, in place; ``src`` is an array read in the index's block, or a scalar."""
    index, target, src = one_element_views(index, target, src)
    picks = along(backend.xp, index, axis)
    values = src[block(index.shape)] if hasattr(src, "shape") else src
    if accumulate:
        backend.scatter_add(target, picks, values)
    else:
        target[picks] = values


def broadcast_shape(xp, op, *shapes):
    """The shape ``shapes`` broadcast to; ShapeError naming ``op`` and the shapes if none."""
    try:
        return tuple(xp.broadcast_shapes(*shapes))
    except ValueError:
        listed = ", ".join(str(tuple(s)) for s in shapes)
        raise ShapeError(f"{op}: shapes {listed} do not broadcast together") from None


def check_mask(input, mask, op):
    """The broadcast shape of ``input`` and ``mask``, which must be a bool tensor."""
    if not isinstance(mask, Tensor) or mask.data.dtype.kind != "b":
        got = mask.dtype.name if isinstance(mask, Tensor) else type(mask).__name__
        # NOTE: a DTypeError is both PyTorch's RuntimeError (a non-bool tensor) and its
        # TypeError (a NumPy array)
        raise DTypeError(f"{op}: mask must be a bool tensor, got {got}")
    return broadcast_shape(input._backend.xp, op, input.shape, mask.shape)


def check_fill_value(value, op):
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"{op}: value must be a number or a 0-d tensor, got a tensor of "
                           f"shape {tuple(value.shape)}")


def check_slice_index(input, dim, index, op):
    """The axis of ``dim`` after checking ``index`` as index_select and index_fill_ take it:
    int32 or int64, 1-D or 0-d, inside ``input``'s size along ``dim``."""
    check_index_dtype(index, op)
    if index.ndim > 1:
        raise IndexError(f"{op}: index must be a vector or a scalar, got shape "
                         f"{tuple(index.shape)}")
    axis = _dims.axis(dim, max(input.ndim, 1), op, input.shape)
    check_bounds(index, input.shape[axis] if input.ndim else 1, dim, op)
    return axis
