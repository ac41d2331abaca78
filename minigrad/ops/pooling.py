"""Pooling over windows: max and average pooling (1-D and 2-D, with PyTorch's padding,
dilation and ceil_mode) and the adaptive pools, whose windows are chosen to give a fixed
output size.

Every op works on the trailing ``d`` spatial dims of an array with any leading dims, so
batched (N, C, ...) and unbatched (C, ...) inputs share one code path. A regular pool visits
its windows one kernel offset at a time: at most kh * kw strided views of the padded input,
each holding that offset's element of every window. An adaptive pool, whose windows differ
in size, visits offsets up to its largest window with index arrays clipped to each window.
Max pools send each output's gradient to the element that won (its flat index in the plane,
which is what PyTorch returns as ``indices``); average pools spread it over the window. The
user-facing functions, which check their arguments, are in ``minigrad.nn.functional``."""

import functools
import itertools
import math
import operator
from typing import NamedTuple

from minigrad.autograd.function import Function

__all__ = []


class Geometry(NamedTuple):
    """A regular pool's windows, one entry per spatial dim: output o starts at o * stride -
    padding and takes kernel elements dilation apart."""

    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    out: tuple


def pooled_length(length, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's pooled size: (L + 2p - d(k-1) - 1) / s rounded down (up in ceil mode), plus
    one; in ceil mode the last window must still start inside the input or left padding."""
    span = length + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= length + padding:
        out -= 1
    return out


def broadcast_mesh(vectors):
    """1-D per-dim arrays reshaped to broadcast against each other: (a,), (b,) -> (a, 1),
    (1, b), as ``numpy.ix_`` does for indices (this also serves masks and sizes)."""
    d = len(vectors)
    return [v.reshape((-1,) + (1,) * (d - 1 - j)) for j, v in enumerate(vectors)]


def flat_index(mesh, spatial):
    """Flat index within a plane of shape ``spatial`` of the per-dim positions ``mesh``."""
    return sum(m * math.prod(spatial[j + 1:]) for j, m in enumerate(mesh))


def scatter_to_planes(ctx, values, index, in_shape, d):
    """Gradient of a gather from the planes (last ``d`` dims) of an ``in_shape`` array:
    ``values`` added at the flat in-plane positions ``index`` (broadcast to ``values``),
    summing where several outputs read one element. Shared with interpolation."""
    xp = ctx.xp
    plane, planes = math.prod(in_shape[-d:]), math.prod(in_shape[:-d])
    reads = math.prod(values.shape[len(in_shape) - d:])  # per plane
    index = xp.broadcast_to(index, values.shape).reshape(planes, reads)
    flat = index + xp.arange(planes, dtype=index.dtype).reshape(-1, 1) * plane
    g_x = xp.zeros(planes * plane, dtype=values.dtype)
    ctx.backend.scatter_add(g_x, flat.reshape(-1), values.reshape(-1))
    return g_x.reshape(in_shape)


def _lowest(xp, dtype):
    """What padding holds for max pooling: below every value (PyTorch skips padding)."""
    return -math.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _pad_widths(spatial, g):
    """(left, right) padding per spatial dim: ``padding`` on the left; on the right, as far
    as the last window reaches past the input (up to ``padding``, or beyond in ceil mode)."""
    return [(p, max(0, (o - 1) * s + dl * (k - 1) + 1 - n - p))
            for n, k, s, p, dl, o in zip(spatial, g.kernel, g.stride, g.padding, g.dilation,
                                         g.out)]


def _interior(widths, spatial):
    """The index of the unpadded input inside a padded array."""
    return (Ellipsis, *(slice(left, left + n) for (left, _), n in zip(widths, spatial)))


def _padded(xp, x, g, fill):
    """``x`` inside a frame of ``fill`` wide enough for every window (``x`` itself if none
    is needed)."""
    spatial = x.shape[-len(g.kernel):]
    widths = _pad_widths(spatial, g)
    if not any(left or right for left, right in widths):
        return x
    shape = x.shape[:-len(spatial)] + tuple(n + a + b for n, (a, b) in zip(spatial, widths))
    out = xp.full(shape, fill, dtype=x.dtype)
    out[_interior(widths, spatial)] = x
    return out


def _offsets(g):
    """Every kernel offset, in window order (row-major, the order PyTorch breaks ties in)."""
    return itertools.product(*(range(k) for k in g.kernel))


def _view(padded, offset, g):
    """Element ``offset`` of every window of the padded array: a strided view (..., *out)."""
    return padded[(Ellipsis, *(slice(i * dl, i * dl + s * (o - 1) + 1, s)
                               for i, dl, s, o in zip(offset, g.dilation, g.stride, g.out)))]


def _positions(xp, offset, g, spatial):
    """Where element ``offset`` of each window lies in the unpadded plane: its flat index,
    and whether it is a real element (not padding)."""
    pos = [xp.arange(o) * s - p + i * dl
           for i, o, s, p, dl in zip(offset, g.out, g.stride, g.padding, g.dilation)]
    inside = broadcast_mesh([(q >= 0) & (q < n) for q, n in zip(pos, spatial)])
    return flat_index(broadcast_mesh(pos), spatial), functools.reduce(operator.and_, inside)


def _running_max(xp, candidates):
    """The largest of each window's candidates and its flat index. ``candidates`` yields,
    in window order, (values, flat index, force) where ``force`` marks outputs that must
    take this candidate whatever its value (or is None). A later candidate wins only if
    strictly larger, so ties go to the first in window order; NaN wins (and the last NaN's
    index is kept), as in PyTorch."""
    best = index = None
    for value, flat, force in candidates:
        if best is None:
            best, index = value.copy(), xp.zeros(value.shape, dtype="int64") + flat
            continue
        take = value > best
        if value.dtype.kind == "f":
            take |= xp.isnan(value)
        if force is not None:
            take |= force
        best, index = xp.where(take, value, best), xp.where(take, flat, index)
    return best, index


class _ArgmaxPool(Function):
    """What the max pools share: the winner of each window and its index, kept for the
    backward, which sends each output's gradient to its argmax element."""

    @staticmethod
    def keep_winners(ctx, candidates, in_shape, d):
        values, indices = _running_max(ctx.xp, candidates)
        ctx.save_for_backward(indices)
        ctx.mark_non_differentiable(indices)
        ctx.in_shape, ctx.d = in_shape, d
        return values, indices

    @staticmethod
    def backward(ctx, g_values, g_indices=None):
        (indices,) = ctx.saved_tensors
        return scatter_to_planes(ctx, g_values, indices, ctx.in_shape, ctx.d), None


class MaxPool2d(_ArgmaxPool):
    """y[o] = max of x over the real elements of window o (never its padding), indices[o] =
    where that max is (flat in its plane);  d/dx: each output's gradient goes to its argmax
    element, summed where overlapping windows share one."""

    op_name = "max_pool2d"

    @staticmethod
    def forward(ctx, x, geometry):
        xp = ctx.xp
        spatial = x.shape[-len(geometry.kernel):]
        padded = _padded(xp, x, geometry, _lowest(xp, x.dtype))

        def candidates():
            # NOTE: with padding a window may begin in it; its first real element must then
            # win over the padding even when it is the lowest value (-inf), as in PyTorch,
            # whose windows hold real elements only
            found = None
            for offset in _offsets(geometry):
                flat, real = _positions(xp, offset, geometry, spatial)
                force = None if found is None or not any(geometry.padding) else real & ~found
                found = real if found is None else found | real
                yield _view(padded, offset, geometry), flat, force

        return _ArgmaxPool.keep_winners(ctx, candidates(), x.shape, len(spatial))


class MaxPool1d(MaxPool2d):
    """max_pool2d's op over one spatial dim."""

    op_name = "max_pool1d"


def _window_divisor(xp, g, spatial, count_include_pad, divisor_override, dtype):
    """What each window's sum is divided by: ``divisor_override``, or the window's size,
    counting padding (but never the ceil-mode overhang beyond it) if ``count_include_pad``,
    as in PyTorch."""
    if divisor_override:
        return xp.asarray(divisor_override, dtype=dtype)
    sizes = []
    for n, k, s, p, o in zip(spatial, g.kernel, g.stride, g.padding, g.out):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, n + p)
        sizes.append(end - start if count_include_pad
                     else xp.minimum(end, n) - xp.maximum(start, 0))
    return math.prod(broadcast_mesh(sizes)).astype(dtype)


class AvgPool2d(Function):
    """y[o] = (sum of x over window o, padding as 0) / divisor[o];  d/dx: each output's
    gradient divided by its divisor, added to every element of its window."""

    op_name = "avg_pool2d"

    @staticmethod
    def forward(ctx, x, geometry, count_include_pad, divisor_override):
        xp = ctx.xp
        spatial = x.shape[-len(geometry.kernel):]
        padded = _padded(xp, x, geometry, 0)
        total = None
        for offset in _offsets(geometry):
            view = _view(padded, offset, geometry)
            if total is None:
                total = view.copy()
            else:
                total += view
        integer = x.dtype.kind != "f"
        divisor = _window_divisor(xp, geometry, spatial, count_include_pad, divisor_override,
                                  "int64" if integer else x.dtype)
        ctx.save_for_backward(divisor)
        ctx.in_shape, ctx.geometry = x.shape, geometry
        if integer:  # NOTE: integer averages round toward zero, as PyTorch's
            magnitude = xp.abs(total) // divisor
            return xp.where(total < 0, -magnitude, magnitude).astype(x.dtype)
        return total / divisor

    @staticmethod
    def backward(ctx, g_y):
        xp, geometry = ctx.xp, ctx.geometry
        (divisor,) = ctx.saved_tensors
        share = g_y / divisor
        spatial = ctx.in_shape[-len(geometry.kernel):]
        widths = _pad_widths(spatial, geometry)
        g_padded = xp.zeros(ctx.in_shape[:-len(spatial)] + tuple(
            n + a + b for n, (a, b) in zip(spatial, widths)), dtype=g_y.dtype)
        for offset in _offsets(geometry):
            _view(g_padded, offset, geometry)[...] += share
        return g_padded[_interior(widths, spatial)], None, None, None


class AvgPool1d(AvgPool2d):
    """avg_pool2d's op over one spatial dim."""

    op_name = "avg_pool1d"


def adaptive_windows(xp, length, out):
    """PyTorch's adaptive windows along one dim: output i covers [floor(i L / O),
    ceil((i + 1) L / O)); returns the starts and the sizes, which may differ."""
    i = xp.arange(out)
    start = (i * length) // out
    return start, ((i + 1) * length + out - 1) // out - start


def _window_element(xp, start, size, k):
    """Element ``k`` of each window, clipped to the window's last element."""
    return xp.minimum(start + k, start + size - 1)


def _windows_of(xp, spatial, out):
    return [adaptive_windows(xp, n, o) for n, o in zip(spatial, out)]


def _along(vector, axis, ndim):
    """A 1-D array shaped to broadcast along ``axis`` of an ``ndim`` array."""
    return vector.reshape((-1,) + (1,) * (ndim - 1 - axis))


def _extent(size):
    """The shortest and the longest window (1 and 1 when there are none: one pass over the
    empty index arrays gives the empty result its shape)."""
    return (int(size.min()), int(size.max())) if size.size else (1, 1)


def _window_parts(xp, array, axis, start, size):
    """For k up to the largest window: element k of each window along ``axis`` and the
    mask of windows that have one (None where all do)."""
    shortest, largest = _extent(size)
    for k in range(largest):
        mask = None if k < shortest else _along(k < size, axis, array.ndim)
        yield _window_element(xp, start, size, k), mask


class AdaptiveAvgPool2d(Function):
    """y[i, j] = mean of x over rows [h0(i), h1(i)) and columns [w0(j), w1(j)), taken one
    dim at a time (a box mean is a mean of means);  d/dx: the transpose, each output's
    gradient divided by its window's size and added to every element of the window."""

    op_name = "adaptive_avg_pool2d"

    @staticmethod
    def forward(ctx, x, out):
        xp = ctx.xp
        first = x.ndim - len(out)
        windows = _windows_of(xp, x.shape[first:], out)
        y = x
        for axis, (start, size) in enumerate(windows, first):
            total = 0
            for index, mask in _window_parts(xp, y, axis, start, size):
                part = xp.take(y, index, axis=axis)
                # NOTE: masked rather than multiplied by 0, so an inf stays in its window
                total = total + (part if mask is None else xp.where(mask, part, 0))
            y = total / _along(size, axis, y.ndim).astype(x.dtype)
        ctx.in_shape, ctx.windows = x.shape, windows
        return y

    @staticmethod
    def backward(ctx, g_y):
        xp = ctx.xp
        first = len(ctx.in_shape) - len(ctx.windows)
        g = g_y
        for axis in reversed(range(first, len(ctx.in_shape))):
            start, size = ctx.windows[axis - first]
            share = g / _along(size, axis, g.ndim).astype(g.dtype)
            g = xp.zeros(g.shape[:axis] + ctx.in_shape[axis:axis + 1] + g.shape[axis + 1:],
                         dtype=g.dtype)
            for index, mask in _window_parts(xp, g, axis, start, size):
                # NOTE: a scatter-add: clipped or overlapping windows repeat an index
                ctx.backend.scatter_add(g, (slice(None),) * axis + (index,),
                                        share if mask is None else xp.where(mask, share, 0))
        return g, None


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """adaptive_avg_pool2d's op over one spatial dim."""

    op_name = "adaptive_avg_pool1d"


class AdaptiveMaxPool2d(_ArgmaxPool):
    """y[i, j] = max of x over its adaptive window, indices = where (flat in the plane);
    d/dx: each output's gradient goes to its argmax element, summed where windows share
    one."""

    op_name = "adaptive_max_pool2d"

    @staticmethod
    def forward(ctx, x, out):
        xp = ctx.xp
        spatial = x.shape[x.ndim - len(out):]
        windows = _windows_of(xp, spatial, out)

        def candidates():
            # NOTE: offsets past a window's end repeat its last element, which can neither
            # win a tie nor change the max
            for offset in itertools.product(*(range(_extent(size)[1]) for _, size in windows)):
                mesh = broadcast_mesh([_window_element(xp, start, size, k)
                                       for (start, size), k in zip(windows, offset)])
                yield x[(Ellipsis, *mesh)], flat_index(mesh, spatial), None

        return _ArgmaxPool.keep_winners(ctx, candidates(), x.shape, len(out))


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """adaptive_max_pool2d's op over one spatial dim."""

    op_name = "adaptive_max_pool1d"
