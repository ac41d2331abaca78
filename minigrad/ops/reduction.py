"""Reductions: sum, mean, var, max, min (and argmax/argmin, which carry no gradient).

``max(a, b)`` and ``min(a, b)`` of two tensors are the elementwise ``maximum`` and
``minimum``, as in PyTorch."""

import builtins
from collections import namedtuple

from minigrad.autograd.function import Function
from minigrad.errors import DTypeError
from minigrad.ops import _dims, elementwise
from minigrad.ops._operands import require_tensor
from minigrad.tensor import Tensor

__all__ = ["argmax", "argmin", "max", "mean", "min", "sum", "var"]

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])  # torch.return_types.max


def _count(shape, axes):
    count = 1
    for a in axes:
        count *= shape[a]
    return count


def _expand_back(xp, g_out, axes, keepdim, shape):
    """Give a reduced gradient back the reduced axes, broadcast to the input's shape (as a
    new array: cheaper than expand_dims + broadcast_to, and safe to keep as a leaf's grad)."""
    g_x = xp.empty(shape, dtype=g_out.dtype)
    if not keepdim:
        g_out = g_out.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    g_x[...] = g_out
    return g_x


class Sum(Function):
    """out = sum of x over axes;  d/dx = 1 (the gradient is broadcast back)."""

    op_name = "sum"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g_out):
        return _expand_back(ctx.xp, g_out, ctx.axes, ctx.keepdim, ctx.shape), None, None


class Mean(Function):
    """out = mean of x over axes;  d/dx = 1 / n for the n elements averaged."""

    op_name = "mean"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.count = _count(x.shape, axes)
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g_out):
        g_x = _expand_back(ctx.xp, g_out / ctx.count, ctx.axes, ctx.keepdim, ctx.shape)
        return g_x, None, None


class Var(Function):
    """out = sum((x - mean)^2) / (n - correction);  d/dx = 2 (x - mean) / (n - correction)."""

    op_name = "var"

    @staticmethod
    def forward(ctx, x, axes, keepdim, correction):
        centered = x - x.mean(axis=axes, keepdims=True)  # two passes: stable for large offsets
        ctx.save_for_backward(centered)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.divisor = builtins.max(_count(x.shape, axes) - correction, 0)
        with _quiet_division(ctx.xp):
            return (centered * centered).sum(axis=axes, keepdims=keepdim) / ctx.divisor

    @staticmethod
    def backward(ctx, g_out):
        (centered,) = ctx.saved_tensors
        g = _expand_back(ctx.xp, g_out, ctx.axes, ctx.keepdim, centered.shape)
        scale = 2.0 / ctx.divisor if ctx.divisor else float("nan")  # as PyTorch for n <= correction
        return g * centered * scale, None, None, None


class _Extreme(Function):
    """Shared backward of max and min.

    Over all elements (no dim) ties share the gradient evenly, as ``torch.max(x)``; along a
    dim the gradient goes to the returned index, as ``torch.max(x, dim)``.
    """

    pick = None  # "max" or "min"

    @classmethod
    def forward(cls, ctx, x, dim, keepdim):
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        if dim is None:
            out = getattr(x, cls.pick)()
            ctx.save_for_backward(x == out)
            return out
        indices = getattr(x, "arg" + cls.pick)(axis=dim, keepdims=True)
        values = ctx.xp.take_along_axis(x, indices, axis=dim)
        ctx.save_for_backward(indices)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return values, indices  # integer indices come back without a gradient

    @staticmethod
    def backward(ctx, g_values, g_indices=None):
        xp = ctx.xp
        dim, keepdim = ctx.dim, ctx.keepdim
        if dim is None:
            (ties,) = ctx.saved_tensors
            share = g_values / ties.sum(dtype=g_values.dtype)  # NOTE: an int count would promote
            return xp.where(ties, share, 0), None, None
        (indices,) = ctx.saved_tensors
        if not keepdim:
            g_values = xp.expand_dims(g_values, dim)
        positions = xp.arange(ctx.shape[dim]).reshape((-1,) + (1,) * (len(ctx.shape) - dim - 1))
        return xp.where(positions == indices, g_values, 0), None, None


class Max(_Extreme):
    """out = max of x (overall, or along dim with its indices)."""

    op_name = "max"

    pick = "max"


class Min(_Extreme):
    """out = min of x (overall, or along dim with its indices)."""

    op_name = "min"

    pick = "min"


class _quiet_division:  # noqa: N801 - a context manager used like a function
    """Let 0/0 give nan and x/0 inf silently, as PyTorch's var does for too few elements."""

    def __init__(self, xp):
        self.errstate = getattr(xp, "errstate", None)

    def __enter__(self):
        if self.errstate is not None:
            self._state = self.errstate(divide="ignore", invalid="ignore")
            self._state.__enter__()

    def __exit__(self, *exc_info):
        if self.errstate is not None:
            self._state.__exit__(*exc_info)


def _require_float(x, op):
    # NOTE: a DTypeError is PyTorch's RuntimeError here as well as a TypeError
    require_tensor(op, "input", x)
    if x.data.dtype.kind != "f":
        raise DTypeError(f"{op}: needs a floating point tensor, got {x.dtype.name}")


def sum(x, dim=None, keepdim=False):
    """Sum over ``dim`` (an int, a tuple, or None for all)."""
    return Sum.apply(x, _dims.axes(dim, x.shape, "sum"), keepdim)


def mean(x, dim=None, keepdim=False):
    """Mean over ``dim`` (an int, a tuple, or None for all); floating tensors only."""
    _require_float(x, "mean")
    return Mean.apply(x, _dims.axes(dim, x.shape, "mean"), keepdim)


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``: unbiased (n - 1) by default, population with ``correction=0``."""
    _require_float(x, "var")
    if unbiased is not None and correction is not None:
        raise ValueError("var: pass either unbiased or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return Var.apply(x, _dims.axes(dim, x.shape, "var"), keepdim, correction)


def _extreme(cls, x, dim, keepdim):
    if dim is None:
        if x.data.size == 0:
            raise RuntimeError(f"{cls.pick}: the tensor has no elements (shape "
                               f"{tuple(x.shape)})")
        return cls.apply(x, None, False)
    (axis,) = _dims.axes(dim, x.shape, cls.pick) or (None,)
    if axis is None:  # a 0-d tensor: its own max, at index 0
        return ValuesIndices(x, Tensor._make(x._backend.xp.zeros((), dtype="int64"), x._backend))
    return ValuesIndices(*cls.apply(x, axis, keepdim))


def _pairwise(op, name, input, dim, keepdim, other):
    """``torch.max(input, other)``: the elementwise ``op``; ``other`` comes in place of
    ``dim`` or by name, and leaves no room for a dim or keepdim."""
    if other is None:
        other, dim = dim, None
    if dim is not None or keepdim:
        raise TypeError(f"{name}: with a tensor other, dim and keepdim cannot be given")
    return op(input, other)


def max(input, dim=None, keepdim=False, *, other=None):
    """The largest element, ``(values, indices)`` along ``dim``, or, given a tensor
    ``other`` (``mg.max(a, b)``), the elementwise ``maximum``, as ``torch.max``."""
    if isinstance(dim, Tensor) or other is not None:
        return _pairwise(elementwise.maximum, "max", input, dim, keepdim, other)
    return _extreme(Max, input, dim, keepdim)


def min(input, dim=None, keepdim=False, *, other=None):
    """The smallest element, ``(values, indices)`` along ``dim``, or, given a tensor
    ``other`` (``mg.min(a, b)``), the elementwise ``minimum``, as ``torch.min``."""
    if isinstance(dim, Tensor) or other is not None:
        return _pairwise(elementwise.minimum, "min", input, dim, keepdim, other)
    return _extreme(Min, input, dim, keepdim)


def _index_of(pick, x, dim, keepdim):
    """Where the largest or smallest element is: ``pick`` "max" or "min"."""
    op = "arg" + pick
    axis = None if dim is None else _dims.axis_or_none(dim, x.shape, op)
    found = getattr(x.data, op)(axis=axis, keepdims=keepdim)
    return Tensor._make(x._backend.ensure_array(found), x._backend)


def argmax(x, dim=None, keepdim=False):
    """Index of the largest element (flattened when ``dim`` is None); no gradient."""
    return _index_of("max", x, dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    """Index of the smallest element (flattened when ``dim`` is None); no gradient."""
    return _index_of("min", x, dim, keepdim)
