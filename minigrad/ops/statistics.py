"""More reductions, as ``torch`` names them: prod, std, var_mean, std_mean, logsumexp,
amax, amin, norm, the cumulative cumsum and cumprod, and the non-differentiable all, any
and count_nonzero."""

import math

from minigrad.autograd.function import Function
from minigrad.ops import _dims
from minigrad.ops.elementwise import sqrt
from minigrad.ops.reduction import _quiet_division, _require_float, mean, var
from minigrad.tensor import Tensor

__all__ = ["all", "amax", "amin", "any", "count_nonzero", "cumprod", "cumsum", "logsumexp",
           "norm", "prod", "std", "std_mean", "var_mean"]


class Prod(Function):
    """out = prod of x over axes;  d/dx_i = prod of the other elements.

    NOTE: the product of the others is the product of the elements before x_i times that of
    the elements after it, never out / x_i: that would be 0 / 0 at a zero and inf / inf at
    an infinity, where the product of the others is a number."""

    op_name = "prod"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.save_for_backward(x)
        ctx.axes = axes
        return x.prod(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g_out):
        xp = ctx.xp
        (x,) = ctx.saved_tensors
        # NOTE: the reduced axes moved last and flattened into one of n elements per slice
        kept = [axis for axis in range(x.ndim) if axis not in ctx.axes]
        order = kept + list(ctx.axes)
        moved = xp.transpose(x, order)
        n = math.prod(x.shape[axis] for axis in ctx.axes)
        rows = moved.reshape(moved.shape[:len(kept)] + (n,))
        others = _exclusive_products(xp, rows).reshape(moved.shape)
        g_x = xp.transpose(others, [order.index(axis) for axis in range(x.ndim)])
        kept_shape = tuple(1 if axis in ctx.axes else size for axis, size in enumerate(x.shape))
        return g_x * xp.reshape(g_out, kept_shape), None, None


def _exclusive_products(xp, rows):
    """For each element of the last axis, the product of all the others in its row."""
    if not rows.shape[-1]:
        return rows
    ones = xp.ones(rows.shape[:-1] + (1,), dtype=rows.dtype)
    before = xp.concatenate([ones, xp.cumprod(rows[..., :-1], axis=-1)], axis=-1)
    after = xp.concatenate([ones, xp.cumprod(xp.flip(rows, -1)[..., :-1], axis=-1)], axis=-1)
    return before * xp.flip(after, -1)


class LogSumExp(Function):
    """out = log(sum(exp(x))) over axes, shifted by the max for stability;
    d/dx = exp(x - out) (the softmax of x)."""

    op_name = "logsumexp"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        xp = ctx.xp
        shift = x.max(axis=axes, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, 0)  # NOTE: all -inf or an inf: no shift
        with _quiet_division(xp):  # NOTE: a row of -inf gives -inf, as PyTorch
            out = xp.log(xp.exp(x - shift).sum(axis=axes, keepdims=True)) + shift
        ctx.save_for_backward(x, out)
        ctx.axes = axes
        return out if keepdim else out.squeeze(axes)

    @staticmethod
    def backward(ctx, g_out):
        x, out = ctx.saved_tensors
        with _quiet_division(ctx.xp):
            softmax = ctx.xp.exp(x - out)
        return ctx.xp.reshape(g_out, out.shape) * softmax, None, None


class _Extremes(Function):
    """Shared backward of amax and amin: ties in a slice share its gradient evenly."""

    pick = None  # "max" or "min"

    @classmethod
    def forward(cls, ctx, x, axes, keepdim):
        out = getattr(x, cls.pick)(axis=axes, keepdims=True)
        ctx.save_for_backward(x == out)
        ctx.axes = axes
        return out if keepdim else out.squeeze(axes)

    @staticmethod
    def backward(ctx, g_out):
        (ties,) = ctx.saved_tensors
        count = ties.sum(axis=ctx.axes, keepdims=True, dtype=g_out.dtype)
        share = ctx.xp.where(ties, 1 / count, 0)
        return share * ctx.xp.reshape(g_out, count.shape), None, None


class AMax(_Extremes):
    """out = max of x over axes;  d/dx = 1 / (number of ties) at the maxima, 0 elsewhere."""

    op_name = "amax"

    pick = "max"


class AMin(_Extremes):
    """out = min of x over axes;  d/dx = 1 / (number of ties) at the minima, 0 elsewhere."""

    op_name = "amin"

    pick = "min"


class Norm(Function):
    """out = (sum |x|^p)^(1/p) over axes, max |x| for p = inf, min |x| for p = -inf, the
    count of nonzeros for p = 0;
    d/dx = sign(x) |x|^(p-1) / out^(p-1) (x / out for p = 2, sign(x) for p = 1, sign(x)
    shared among the ties of |x| for p = +-inf). Where out is 0 the gradient is 0, as
    PyTorch's subgradient (and p = 0 has none)."""

    op_name = "norm"

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        xp = ctx.xp
        magnitude = xp.abs(x)
        if math.isinf(p):
            out = (magnitude.max if p > 0 else magnitude.min)(axis=axes, keepdims=True)
        elif p == 0:
            out = (x != 0).sum(axis=axes, keepdims=True, dtype=x.dtype)
        elif p == 1:
            out = magnitude.sum(axis=axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            out = (magnitude ** p).sum(axis=axes, keepdims=True) ** (1 / p)
        ctx.save_for_backward(x, out)
        ctx.p, ctx.axes = p, axes
        return out if keepdim else out.squeeze(axes)

    @staticmethod
    def backward(ctx, g_out):
        xp = ctx.xp
        x, out = ctx.saved_tensors
        p, axes = ctx.p, ctx.axes
        g = xp.reshape(g_out, out.shape)
        if math.isinf(p):
            ties = xp.abs(x) == out
            count = ties.sum(axis=axes, keepdims=True, dtype=x.dtype)
            return xp.where(ties, xp.sign(x) * g / count, 0), None, None, None
        if p == 0:
            return xp.zeros_like(x), None, None, None
        if p == 1:
            return xp.sign(x) * g, None, None, None
        safe = xp.where(out == 0, 1, out)
        if p == 2:
            scale = x / safe
        else:
            scale = xp.sign(x) * (xp.abs(x) / safe) ** (p - 1)
        return xp.where(out == 0, 0, scale * g), None, None, None


class CumSum(Function):
    """out_i = x_0 + ... + x_i along axis;  d/dx_i = g_i + ... + g_last (a reversed cumsum)."""

    op_name = "cumsum"

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return x.cumsum(axis=axis).reshape(x.shape)  # NOTE: a 0-d x has no axis: stays 0-d

    @staticmethod
    def backward(ctx, g_out):
        return _reverse_cumsum(ctx.xp, g_out, ctx.axis), None


class CumProd(Function):
    """out_i = x_0 * ... * x_i along axis;  d/dx_i = (sum over j >= i of g_j out_j) / x_i.

    NOTE: the division needs x free of zeros and infinities (0 / 0, inf / inf); with any, the
    gradient is the sum written out without it, as PyTorch's slower path: d/dx_i =
    (x_0 ... x_{i-1}) * (sum over j >= i of g_j x_{i+1} ... x_j), which takes n^2 products
    for n elements along the axis."""

    op_name = "cumprod"

    @staticmethod
    def forward(ctx, x, axis):
        out = x.cumprod(axis=axis).reshape(x.shape)
        ctx.save_for_backward(x, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g_out):
        x, out = ctx.saved_tensors
        xp = ctx.xp
        if bool(xp.isfinite(x).all()) and bool((x != 0).all()):
            return _reverse_cumsum(xp, g_out * out, ctx.axis) / x, None
        return _cumprod_grad_without_division(xp, x, g_out, ctx.axis), None


def _cumprod_grad_without_division(xp, x, g, axis):
    """cumprod's gradient for x with zeros or infinities (see ``CumProd``): with the axis
    last, spans[..., i, j] = x_{i+1} ... x_j for j >= i (a cumprod of the row with the
    elements up to i set to 1)."""
    if x.ndim == 0:  # NOTE: a 0-d x is its own running product
        return g
    x, g = xp.moveaxis(x, axis, -1), xp.moveaxis(g, axis, -1)
    n = x.shape[-1]
    position = xp.arange(n)
    after_i = position[None, :] > position[:, None]  # [i, k]: k > i
    spans = xp.cumprod(xp.where(after_i, x[..., None, :], 1), axis=-1)
    reached = xp.where(~(position[None, :] < position[:, None]), spans, 0)  # [i, j]: j >= i
    later = (reached * g[..., None, :]).sum(axis=-1)
    ones = xp.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    before = xp.concatenate([ones, xp.cumprod(x[..., :-1], axis=-1)], axis=-1)[..., :n]
    return xp.moveaxis(before * later, -1, axis)


def _reverse_cumsum(xp, g, axis):
    return xp.flip(xp.flip(g, axis).cumsum(axis=axis).reshape(g.shape), axis)


def _reduce(cls, x, dim, keepdim, op):
    """``cls`` over ``dim``; an empty ``dim`` (torch's ``dim=()``) reduces every dim."""
    _require_float(x, op)
    axes = _dims.axes(dim, x.shape, op) or tuple(range(x.ndim))
    return cls.apply(x, axes, keepdim)


def prod(input, dim=None, keepdim=False):
    """Product of all elements, or along the one ``dim``."""
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod: dim must be an int, got {dim!r}")
    return Prod.apply(input, _dims.axes(dim, input.shape, "prod"), keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``: the square root of ``var`` (same arguments)."""
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim``, as ``torch.var_mean``."""
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim``, as ``torch.std_mean``."""
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow."""
    return _reduce(LogSumExp, input, dim, keepdim, "logsumexp")


def amax(input, dim=(), keepdim=False):
    """The largest values over ``dim`` (every dim when empty); ties share the gradient."""
    return _reduce(AMax, input, dim, keepdim, "amax")


def amin(input, dim=(), keepdim=False):
    """The smallest values over ``dim`` (every dim when empty); ties share the gradient."""
    return _reduce(AMin, input, dim, keepdim, "amin")


def norm(input, p="fro", dim=None, keepdim=False):
    """The vector p-norm over ``dim`` (all dims when None): p a number, inf, -inf or "fro"
    (the 2-norm of the elements). The matrix norm "nuc" is not supported."""
    _require_float(input, "norm")
    if p == "fro":
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm: p must be 'fro' or a number, got {p!r}")
    return Norm.apply(input, float(p), _dims.axes(dim, input.shape, "norm"), keepdim)


def cumsum(input, dim):
    """Running sums along ``dim``."""
    return CumSum.apply(input, _dims.axis_or_none(dim, input.shape, "cumsum"))


def cumprod(input, dim):
    """Running products along ``dim``."""
    return CumProd.apply(input, _dims.axis_or_none(dim, input.shape, "cumprod"))


def _boolean(name, input, dim, keepdim):
    axes = _dims.axes(dim, input.shape, name)
    found = getattr(input.data, name)(axis=axes, keepdims=keepdim)
    return Tensor._make(input._backend.ensure_array(found), input._backend)


def all(input, dim=None, keepdim=False):
    """Whether every element over ``dim`` is nonzero: a bool tensor; no gradient."""
    return _boolean("all", input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """Whether some element over ``dim`` is nonzero: a bool tensor; no gradient."""
    return _boolean("any", input, dim, keepdim)


def count_nonzero(input, dim=None):
    """How many elements over ``dim`` are nonzero: an int64 tensor; no gradient."""
    axes = _dims.axes(dim, input.shape, "count_nonzero")
    found = (input.data != 0).sum(axis=axes, dtype="int64")
    return Tensor._make(input._backend.ensure_array(found), input._backend)
