"""Indexing: ``x[index]`` with slices, ints, None, Ellipsis, and integer or bool arrays."""

from minigrad.autograd.function import Function
from minigrad.tensor import Tensor

__all__ = ["getitem"]


def backend_index(backend, index):
    """``index`` with tensors and lists turned into backend arrays (as NumPy reads them)."""
    if isinstance(index, tuple):
        return tuple(backend_index(backend, i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return backend.asarray(index)
    return index


def _is_basic(index):
    """True when the index has no arrays, so every element is selected at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class GetItem(Function):
    """out = x[index];  the gradient is scattered back, repeated indices adding up."""

    op_name = "getitem"

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        try:
            return x[index]
        except IndexError as err:
            if "too many indices" not in str(err):
                raise
            # NOTE: PyTorch's words; NumPy's speak of an "array" the user never made
            raise IndexError(f"too many indices for a tensor of dimension {x.ndim}") from None

    @staticmethod
    def backward(ctx, g_out):
        g_x = ctx.xp.zeros(ctx.shape, dtype=ctx.dtype)
        if _is_basic(ctx.index):
            g_x[ctx.index] = g_out
        else:
            ctx.backend.scatter_add(g_x, ctx.index, g_out)
        return g_x, None


def getitem(x, index):
    """``x[index]`` as NumPy indexes (basic and integer-array indexing, None, ...)."""
    return GetItem.apply(x, backend_index(x._backend, index))
