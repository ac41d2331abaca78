"""Resizing images: nearest and bilinear interpolation.

Both ops read each output from source elements picked per spatial dim, with PyTorch's
source-index formulas computed in PyTorch's precision (float32 for nearest; the input's
dtype for bilinear), so the same neighbours are picked even where a source point falls on
an integer. Forward gathers; backward scatter-adds each output's gradient (times its
weight) back to the elements it read. The user-facing ``interpolate`` is in
``minigrad.nn.functional``."""

from minigrad.autograd.function import Function
from minigrad.ops.pooling import broadcast_mesh, flat_index, scatter_to_planes

__all__ = []


def nearest_source(xp, length, out, scale, shortcuts):
    """PyTorch's nearest source of each output: min(floor(o * r), L - 1), in float32, with
    r = 1 / scale when a scale factor is given, else L / O. With ``shortcuts`` (PyTorch's
    2-D kernel, not its 1-D one) equal sizes copy and doubled sizes repeat each element
    twice, whatever the scale factor."""
    if shortcuts and out == length:
        return xp.arange(out)
    if shortcuts and out == 2 * length:
        return xp.arange(out) // 2
    f32 = xp.float32
    ratio = f32(1.0 / scale) if scale is not None and scale > 0 else f32(length) / f32(out)
    index = xp.floor(xp.arange(out, dtype="float32") * ratio).astype("int64")
    return xp.minimum(index, length - 1)


def linear_source(xp, length, out, align_corners, scale, dtype):
    """PyTorch's two linear neighbours of each output and their weights (i0, i1, w0, w1):
    the source point is o * (L - 1) / (O - 1) with ``align_corners``, else
    (o + 0.5) * r - 0.5 clamped at 0 (r = 1 / scale, or L / O); equal sizes copy."""
    i = xp.arange(out)
    if out == length:
        return i, i, xp.ones(out, dtype=dtype), xp.zeros(out, dtype=dtype)
    real_type, dst = dtype.type, i.astype(dtype)
    if align_corners:
        ratio = real_type(length - 1) / real_type(out - 1) if out > 1 else real_type(0)
        source = ratio * dst
    else:
        ratio = real_type(1.0 / scale) if scale is not None and scale > 0 \
            else real_type(length) / real_type(out)
        source = xp.maximum(ratio * (dst + real_type(0.5)) - real_type(0.5), 0)
    i0 = xp.minimum(xp.floor(source).astype("int64"), length - 1)
    w1 = xp.clip(source - i0.astype(dtype), 0, 1)
    return i0, i0 + (i0 < length - 1), 1 - w1, w1


class UpsampleNearest(Function):
    """y[..., o] = x[..., src(o)] with src per spatial dim from ``nearest_source``;
    d/dx: each output's gradient is added to its source element."""

    op_name = "upsample_nearest"

    @staticmethod
    def forward(ctx, x, out, scales):
        xp = ctx.xp
        spatial = x.shape[x.ndim - len(out):]
        mesh = broadcast_mesh([nearest_source(xp, n, o, s, len(out) == 2)
                               for n, o, s in zip(spatial, out, scales)])
        ctx.save_for_backward(flat_index(mesh, spatial))
        ctx.in_shape = x.shape
        return x[(Ellipsis, *mesh)]

    @staticmethod
    def backward(ctx, g_y):
        (index,) = ctx.saved_tensors
        d = index.ndim
        return scatter_to_planes(ctx, g_y, index, ctx.in_shape, d), None, None


class UpsampleBilinear2d(Function):
    """y[i, j] = a0(i) (b0(j) x[h0, w0] + b1(j) x[h0, w1]) + a1(i) (b0(j) x[h1, w0] +
    b1(j) x[h1, w1]) with (h0, h1, a0, a1) and (w0, w1, b0, b1) from ``linear_source``;
    d/dx: each output's gradient times each weight goes to that neighbour."""

    op_name = "upsample_bilinear2d"

    @staticmethod
    def forward(ctx, x, out, align_corners, scales):
        xp = ctx.xp
        spatial = x.shape[-2:]
        (h0, h1, a0, a1), (w0, w1, b0, b1) = [
            linear_source(xp, n, o, align_corners, s, x.dtype)
            for n, o, s in zip(spatial, out, scales)]
        h0, h1, a0, a1 = (v.reshape(-1, 1) for v in (h0, h1, a0, a1))

        def row(h):
            return b0 * x[..., h, w0] + b1 * x[..., h, w1]

        y = a0 * row(h0) + a1 * row(h1)
        corners = [(flat_index((h, w), spatial), a * b)
                   for h, a in ((h0, a0), (h1, a1)) for w, b in ((w0, b0), (w1, b1))]
        ctx.save_for_backward(xp.stack([index for index, _ in corners], axis=-1),
                              xp.stack([weight for _, weight in corners], axis=-1))
        ctx.in_shape = x.shape
        return y

    @staticmethod
    def backward(ctx, g_y):
        index, weights = ctx.saved_tensors
        return scatter_to_planes(ctx, g_y[..., None] * weights, index, ctx.in_shape, 2), \
            None, None, None
