"""Triangles and diagonals: tril, triu, diag, diagonal, trace. The backward of a diagonal
puts the gradient back on the diagonal it came from (zeros elsewhere); that of a triangle
keeps the same triangle of the gradient."""

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.ops import _dims

__all__ = ["diag", "diagonal", "trace", "tril", "triu"]


def _embed_diagonal(xp, values, shape, offset, axis1, axis2):
    """Zeros of ``shape`` with ``values`` (the diagonal as their last axis, as ``diagonal``
    returns it) written on the ``offset`` diagonal of the axes ``axis1`` and ``axis2``."""
    out = xp.zeros(shape, dtype=values.dtype)
    planes = xp.moveaxis(out, (axis1, axis2), (-2, -1))  # NOTE: a view: writes land in out
    steps = xp.arange(values.shape[-1])
    planes[..., steps + max(-offset, 0), steps + max(offset, 0)] = values
    return out


class _Triangle(Function):
    """Shared by tril and triu: out = x with the elements outside the triangle zeroed; the
    gradient is g with the same elements zeroed."""

    pick = None  # "tril" or "triu"

    @classmethod
    def forward(cls, ctx, x, k):
        ctx.k = k
        return getattr(ctx.xp, cls.pick)(x, k)

    @classmethod
    def backward(cls, ctx, g_out):
        return getattr(ctx.xp, cls.pick)(g_out, ctx.k), None


class Tril(_Triangle):
    """out[..., i, j] = x[..., i, j] where j - i <= k, else 0;  d/dx is 1 on that triangle."""

    op_name = "tril"

    pick = "tril"


class Triu(_Triangle):
    """out[..., i, j] = x[..., i, j] where j - i >= k, else 0;  d/dx is 1 on that triangle."""

    op_name = "triu"

    pick = "triu"


class Diagonal(Function):
    """out[..., n] = x[..., i + n, j + n] over the axes (i, j) = (axis1, axis2), starting
    ``offset`` above (below, when negative) the main diagonal;  the gradient is g written
    back on that diagonal, zeros elsewhere.

    NOTE: on NumPy the result is a read-only view (PyTorch's is writable): writing into it
    raises rather than silently not reaching the input."""

    op_name = "diagonal"

    @staticmethod
    def forward(ctx, x, offset, axis1, axis2):
        ctx.shape, ctx.args = x.shape, (offset, axis1, axis2)
        return ctx.xp.diagonal(x, offset, axis1, axis2)

    @staticmethod
    def backward(ctx, g_out):
        return _embed_diagonal(ctx.xp, g_out, ctx.shape, *ctx.args), None, None, None


class Diag(Function):
    """A vector x (n,) -> the (n + |k|)-square matrix with x on its k-th diagonal; a matrix
    -> a copy of its k-th diagonal. The gradient takes the other way: the k-th diagonal of
    g for a vector, g embedded on the k-th diagonal of zeros for a matrix."""

    op_name = "diag"

    @staticmethod
    def forward(ctx, x, k):
        ctx.shape, ctx.k = x.shape, k
        if x.ndim == 1:
            side = x.shape[0] + abs(k)
            return _embed_diagonal(ctx.xp, x, (side, side), k, 0, 1)
        return ctx.xp.diagonal(x, k).copy()

    @staticmethod
    def backward(ctx, g_out):
        if len(ctx.shape) == 1:
            return ctx.xp.diagonal(g_out, ctx.k), None
        return _embed_diagonal(ctx.xp, g_out, ctx.shape, ctx.k, 0, 1), None


class Trace(Function):
    """out = sum_i x[i, i];  d/dx = g times the identity (of x's shape)."""

    op_name = "trace"

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return ctx.xp.asarray(ctx.xp.trace(x))

    @staticmethod
    def backward(ctx, g_out):
        return ctx.xp.eye(*ctx.shape, dtype=g_out.dtype) * g_out


def _require_matrices(input, op):
    if input.ndim < 2:
        raise ShapeError(f"{op}: input must have at least 2 dims, got shape "
                         f"{tuple(input.shape)}")


def tril(input, diagonal=0):
    """The lower triangle of each matrix in ``input`` (its last two dims): the elements on
    and below the ``diagonal``-th diagonal (above it when positive), the rest zeros."""
    _require_matrices(input, "tril")
    return Tril.apply(input, diagonal)


def triu(input, diagonal=0):
    """The upper triangle of each matrix in ``input``: the elements on and above the
    ``diagonal``-th diagonal (below it when negative), the rest zeros."""
    _require_matrices(input, "triu")
    return Triu.apply(input, diagonal)


def diag(input, diagonal=0):
    """A 1-d ``input`` as the square matrix with it on the ``diagonal``-th diagonal; a 2-d
    one's ``diagonal``-th diagonal as a 1-d copy."""
    if input.ndim not in (1, 2):
        raise ShapeError(f"diag: supports 1-d or 2-d tensors, got shape {tuple(input.shape)}")
    return Diag.apply(input, diagonal)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The ``offset`` diagonal of the planes spanned by ``dim1`` and ``dim2``, as a view
    whose last dim runs along the diagonal (the two dims are removed)."""
    axis1 = _dims.axis(dim1, input.ndim, "diagonal", input.shape)
    axis2 = _dims.axis(dim2, input.ndim, "diagonal", input.shape)
    if axis1 == axis2:
        raise ShapeError(f"diagonal: dim1 ({dim1}) and dim2 ({dim2}) name the same dim of the "
                         f"tensor of shape {tuple(input.shape)}")
    return Diagonal.apply(input, offset, axis1, axis2)


def trace(input):
    """The sum of the main diagonal of a matrix (integer matrices give integers)."""
    if input.ndim != 2:
        raise ShapeError(f"trace: expected a matrix, got shape {tuple(input.shape)}")
    return Trace.apply(input)
