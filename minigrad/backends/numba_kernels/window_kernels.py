"""The Numba backend's kernels for ops over sliding windows.

Max pooling (2-D and 1-D) walks each plane's windows in one compiled pass
(``pool_loops``), with no padded copy, no per-offset NumPy passes and no ``where`` calls;
its backward is a compiled scatter of each output's gradient to its argmax, where the
generic op calls ``np.add.at``. conv2d keeps the generic forward and matrix products and
compiles only its input gradient's col2im (``col2im_loops``).

A pool takes (..., H, W) input (1-D pools: (..., L), planes one row high) as a stack of
planes, whatever its leading dims. The kernels cover float32 and float64; integer input
(PyTorch's integer max pool) takes the generic op through ``ctx.fn``.

NOTE: what has a kernel and why, from two runs of bench/kernels.py (forward + backward,
float32, on (2, 3, 8, 8), (16, 16, 16, 16) and (64, 16, 28, 28) images, 1-D pools on
(4, 16, 16), (16, 64, 64) and (64, 64, 256) signals; fused speedup over the generic op):
max_pool2d with 2x2 windows 5.0-5.4x / 3.9-4.2x / 3.3-3.9x, with 3x3 ones, stride 2,
padding 1 8.6-9.5x / 4.0-4.4x / 3.8-4.2x; max_pool1d 2.5-2.6x / 2.4-2.7x / 2.3-2.5x; a 3x3
conv2d to 16 channels 1.4x / 1.4-1.6x / 1.1-1.4x. The same loop for average pooling lost
where NumPy's few strided adds are cheap (avg_pool2d 2.8x / 1.05x / 0.85x with 2x2
windows, avg_pool1d 2.2x / 0.64x / 0.61x), so those keep the generic op. A ``prange`` over
the planes took about 10 ms a call on this 2-core machine (Numba's OpenMP pool waiting for
a busy core) where the serial loops take 6 µs to 6 ms.
"""

import math

import numpy as np

from minigrad.backends.fused_base import compiled_dtype
from minigrad.backends.numba_kernels import col2im_loops, pool_loops


def _planes(x, d):
    """``x`` as a C-contiguous (P, H, W) stack of planes (P, 1, L for ``d`` = 1)."""
    spatial = x.shape[x.ndim - d:]
    shape = (1,) * (2 - d) + spatial
    return np.ascontiguousarray(x).reshape((math.prod(x.shape[:x.ndim - d]),) + shape)


def _plane_geometry(geometry):
    """kh, kw, sh, sw, ph, pw, dh, dw of a pool's ``Geometry`` (a 1-D one as one row)."""
    lift, no_pad = (2 - len(geometry.kernel)) * (1,), (2 - len(geometry.kernel)) * (0,)
    (kh, kw), (sh, sw) = lift + geometry.kernel, lift + geometry.stride
    (ph, pw), (dh, dw) = no_pad + geometry.padding, lift + geometry.dilation
    return kh, kw, sh, sw, ph, pw, dh, dw


def _out_planes(planes, geometry, dtype):
    """An empty (P, oh, ow) output for ``planes`` (P, 1, o for a 1-D pool)."""
    out = (1,) * (2 - len(geometry.out)) + geometry.out
    return np.empty((planes.shape[0],) + out, dtype=dtype)


class MaxPool:
    """max_pool2d and max_pool1d: values and int64 indices (flat in each plane) in one
    compiled pass, ties to the first element in window order and a NaN winning, as the
    generic op and PyTorch; backward adds each output's gradient at its index."""

    @staticmethod
    def forward(ctx, x, geometry):
        ctx.fused = compiled_dtype(x)
        if not ctx.fused:
            return ctx.fn.forward(ctx, x, geometry)
        d = len(geometry.kernel)
        planes = _planes(x, d)
        values = _out_planes(planes, geometry, x.dtype)
        indices = _out_planes(planes, geometry, np.int64)
        pool_loops.max_pool_forward(planes, *_plane_geometry(geometry), values, indices)
        out_shape = x.shape[:x.ndim - d] + geometry.out
        values, indices = values.reshape(out_shape), indices.reshape(out_shape)
        ctx.save_for_backward(indices)
        ctx.mark_non_differentiable(indices)
        ctx.in_shape, ctx.planes_shape = x.shape, planes.shape
        return values, indices

    @staticmethod
    def backward(ctx, g_values, g_indices=None):
        if not ctx.fused:
            return ctx.fn.backward(ctx, g_values, g_indices)
        (indices,) = ctx.saved_tensors
        planes, height, width = ctx.planes_shape
        outputs = indices.size // planes if planes else 0
        g_x = np.zeros((planes, height * width), dtype=g_values.dtype)
        pool_loops.max_pool_backward(np.ascontiguousarray(g_values).reshape(planes, outputs),
                                     indices.reshape(planes, outputs), g_x)
        return g_x.reshape(ctx.in_shape), None


class Conv2d:
    """conv2d with its input gradient's col2im compiled: g_x = col2im(W^T @ g_out), the
    product as the generic op takes it, the scatter-add in one loop (``col2im_loops``)
    where the generic op makes one strided NumPy add per kernel offset. The forward and
    the weight and bias gradients are the generic op's (``ctx.fn``), whose records this
    reads: ``ctx.saved_tensors[0]`` is the weight, ``ctx.size`` the input's (H, W) and
    ``ctx.geometry`` (stride, padding pairs, dilation, groups). Float32/float64 images."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        ctx.fused = compiled_dtype(x) and x.ndim == 4
        return ctx.fn.forward(ctx, x, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, g_out):
        needs = ctx.needs_input_grad
        if not (ctx.fused and needs[0]):
            return ctx.fn.backward(ctx, g_out)
        weight = ctx.saved_tensors[0]
        (sh, sw), ((top, _), (left, _)), (dh, dw), groups = ctx.geometry
        n, o, oh, ow = g_out.shape
        c_g, kh, kw = weight.shape[1:]
        w_t = weight.reshape(groups, o // groups, c_g * kh * kw).swapaxes(1, 2)
        g_cols = w_t @ g_out.reshape(n, groups, o // groups, oh * ow)
        g_x = np.zeros((n, groups * c_g) + tuple(ctx.size), dtype=g_out.dtype)
        col2im_loops.col2im(np.ascontiguousarray(g_cols).reshape(n, groups * c_g, kh, kw, oh,
                                                                 ow),
                            sh, sw, top, left, dh, dw, g_x)
        # NOTE: the generic backward, told that the input's gradient is done, gives the
        # weight's and the bias's
        ctx.needs_input_grad = (False,) + needs[1:]
        try:
            rest = ctx.fn.backward(ctx, g_out)[1:]
        finally:
            ctx.needs_input_grad = needs
        return (g_x,) + rest
