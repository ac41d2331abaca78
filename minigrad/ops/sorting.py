"""Order and search: sort, argsort, topk, unique, nonzero, bincount.

``sort`` and ``topk`` return ``(values, indices)`` named tuples, as ``torch.return_types``;
their values carry a gradient, which goes back to where each value came from. The rest
return integer tensors (or plain copies) and carry none. ``nonzero(cond, as_tuple=True)``
is also what the one-argument ``where(cond)`` returns."""

from minigrad.autograd.function import Function
from minigrad.ops import _dims
from minigrad.ops._indices import along
from minigrad.ops.reduction import ValuesIndices
from minigrad.tensor import Tensor

__all__ = ["argsort", "bincount", "nonzero", "sort", "topk", "unique"]


def _order(xp, x, axis, descending):
    """Indices that sort ``x`` along ``axis``, stably: equal elements keep their order, NaN
    counts as the largest value (last ascending, first descending), as PyTorch."""
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    # NOTE: a stable ascending sort of the reversed x, read backwards, is a stable descending
    # sort (negating x would fail for unsigned and bool dtypes and move NaN)
    reverse = xp.flip(xp.argsort(xp.flip(x, axis), axis=axis, kind="stable"), axis)
    return x.shape[axis] - 1 - reverse


class Sort(Function):
    """values = x sorted along axis (the first k only, if k is given), indices = where each
    value was;  d/dx: each value's gradient goes back to its index (distinct, no sums)."""

    op_name = "sort"

    @staticmethod
    def forward(ctx, x, axis, descending, k):
        xp = ctx.xp
        indices = _order(xp, x, axis, descending).astype("int64", copy=False)
        if k is not None:
            indices = xp.take(indices, xp.arange(k), axis=axis)
        ctx.save_for_backward(indices)
        ctx.axis, ctx.shape = axis, x.shape
        return xp.take_along_axis(x, indices, axis=axis), indices

    @staticmethod
    def backward(ctx, g_values, g_indices=None):
        xp = ctx.xp
        (indices,) = ctx.saved_tensors
        g_x = xp.zeros(ctx.shape, dtype=g_values.dtype)
        g_x[along(xp, indices, ctx.axis)] = g_values
        return g_x, None, None, None


class TopK(Sort):
    """values = the k largest (or smallest) of x along axis, in order, indices = where they
    were;  d/dx: each value's gradient goes back to its index, 0 elsewhere."""

    op_name = "topk"


def _sorted_along(cls, input, dim, descending, k, op):
    """``cls`` along ``dim`` as a named tuple; a 0-d tensor sorts as one element."""
    axis = _dims.axis_or_none(dim, input.shape, op)
    if axis is not None:
        return ValuesIndices(*cls.apply(input, axis, descending, k))
    # NOTE: PyTorch's topk of a 0-d tensor gives its element for k=0 as well as for k=1
    values, indices = cls.apply(input.reshape(1), 0, descending, k if k is None else max(k, 1))
    return ValuesIndices(values.reshape(()), indices.reshape(()))


def sort(input, dim=-1, descending=False, *, stable=False):
    """``(values, indices)`` with ``input`` sorted along ``dim``. The sort is always stable,
    so ``stable=False`` (where PyTorch leaves the order of equal elements open) gives the
    same order as ``stable=True``."""
    return _sorted_along(Sort, input, dim, descending, None, "sort")


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``input`` along ``dim`` (int64), as ``sort(...).indices``."""
    axis = _dims.axis_or_none(dim, input.shape, "argsort")
    data = input.data if axis is not None else input.data.reshape(1)
    order = _order(input._backend.xp, data, axis or 0, descending).astype("int64")
    return Tensor._make(order.reshape(input.shape), input._backend)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest elements along ``dim`` (the smallest when
    ``largest=False``), largest first. They come sorted even with ``sorted=False``, which
    leaves the order open in PyTorch."""
    axis = _dims.axis_or_none(dim, input.shape, "topk")
    size = 1 if axis is None else input.shape[axis]
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: k={k} is out of range for dim {dim} of size {size} "
                           f"(input {tuple(input.shape)})")
    return _sorted_along(TopK, input, dim, largest, k, "topk")


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements of ``input`` (the distinct slices along ``dim``), sorted; with
    ``return_inverse`` also where each element (slice) of ``input`` went, with
    ``return_counts`` how often each occurs, both int64. No gradient. The result is sorted
    whatever ``sorted`` says, as PyTorch does on the CPU."""
    xp = input._backend.xp
    axis = None if dim is None else _dims.axis(dim, input.ndim, "unique", input.shape)
    values, inverse, counts = xp.unique(input.data, return_inverse=True, return_counts=True,
                                        axis=axis)
    result = [Tensor._make(values, input._backend)]
    if return_inverse:
        inverse = inverse.reshape(input.shape if axis is None else (-1,))
        result.append(Tensor._make(inverse.astype("int64"), input._backend))
    if return_counts:
        result.append(Tensor._make(counts.astype("int64"), input._backend))
    return result[0] if len(result) == 1 else tuple(result)


def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero elements: an int64 tensor with one row per element and
    one column per dim or, with ``as_tuple``, one 1-D int64 tensor per dim (a 0-d input
    counts as 1-D), which is what the one-argument ``where(condition)`` returns."""
    xp, backend = input._backend.xp, input._backend
    if as_tuple:
        found = xp.nonzero(input.data.reshape(input.shape or (1,)))
        return tuple(Tensor._make(i.astype("int64"), backend) for i in found)
    return Tensor._make(xp.argwhere(input.data).astype("int64"), backend)


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in the 1-D non-negative integer ``input``
    (int64), or the sum of ``weights`` at each value (in the weights' float dtype; float64
    for integer weights). At least ``minlength`` long. No gradient."""
    data = input.data
    if data.ndim != 1 or data.dtype.kind not in "iu" or (data.size and data.min() < 0):
        raise RuntimeError(f"bincount: input must be 1-D, of an integer dtype and "
                           f"non-negative (input {tuple(input.shape)} {input.dtype.name})")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength must be >= 0, got {minlength}")
    xp = input._backend.xp
    if weights is None:
        counts = xp.bincount(data, minlength=minlength).astype("int64")
        return Tensor._make(counts, input._backend)
    if tuple(weights.shape) != tuple(input.shape):
        raise RuntimeError(f"bincount: weights must be 1-D and as long as input (input "
                           f"{tuple(input.shape)}, weights {tuple(weights.shape)})")
    dtype = weights.data.dtype if weights.data.dtype.kind == "f" else "float64"
    sums = xp.bincount(data, weights=weights.data, minlength=minlength).astype(dtype)
    return Tensor._make(sums, input._backend)
