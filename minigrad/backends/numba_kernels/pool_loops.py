"""The compiled loops behind the Numba backend's max pools, on planes.

Every loop takes a stack of (H, W) planes, (P, H, W) C-contiguous (the batch and channel
dims flattened into P; a 1-D pool is a stack of planes one row high), and the window
geometry as scalars: kernel (kh, kw), stride (sh, sw), padding (ph, pw), dilation (dh, dw),
as ``minigrad.ops.pooling.Geometry`` holds them; the output's (oh, ow) is its array's.
Output o's window starts at o * stride - padding; the loops visit only its real elements,
so padding never wins, and need no padded copy of the input.
No im2col either: each output is one walk over its kernel taps, in window order.

NOTE: a window wholly inside its plane (every window, without padding or ceil mode) is
walked as one flat loop over the taps' offsets from its corner, indexed unsigned; one
that the padding clips takes a loop over its rows and columns that are real. Numba wraps
a negative signed index around, and that check on every element, with the two nested
loops of a 2x2 window, made the loop 2x slower. Serial, as in ``loops``.
"""

import numpy as np
from numba import njit, uint64

from minigrad.backends.numba_kernels.loops import JIT


@njit(**JIT)
def _windows(count, stride, padding, length, taps, spacing):
    """Per output along one dim: where its window starts (o * stride - padding) and the
    range [first, last) of its taps k whose positions start + k * spacing lie inside
    [0, length); worked out once per call, not once per output."""
    start = np.empty(count, np.int64)
    first, last = np.empty(count, np.int64), np.empty(count, np.int64)
    for o in range(count):
        s = o * stride - padding
        k0 = 0
        while k0 < taps and s + k0 * spacing < 0:
            k0 += 1
        k1 = taps
        while k1 > k0 and s + (k1 - 1) * spacing >= length:
            k1 -= 1
        start[o], first[o], last[o] = s, k0, k1
    return start, first, last


@njit(**JIT)
def _taps(kh, kw, dh, dw, width):
    """The flat offsets of a window's kh * kw elements from its corner, in window order."""
    offsets = np.empty(kh * kw, np.int64)
    for i in range(kh):
        for j in range(kw):
            offsets[i * kw + j] = i * dh * width + j * dw
    return offsets


@njit(**JIT)
def _takes(v, best):
    """Whether ``v`` replaces the running max: strictly larger (ties keep the first), or
    NaN (so the last NaN wins), as in PyTorch."""
    return (v > best) | (v != v)


@njit(**JIT)
def max_pool_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, values, indices):
    """values[p, y, z] = the max of plane p over window (y, z), indices[p, y, z] = its flat
    position in the plane; ties go to the first element in window order."""
    planes, height, width = x.shape
    oh, ow = values.shape[1], values.shape[2]
    h_start, i_first, i_last = _windows(oh, sh, ph, height, kh, dh)
    w_start, j_first, j_last = _windows(ow, sw, pw, width, kw, dw)
    taps = _taps(kh, kw, dh, dw, width)
    source, flat_values, flat_indices = x.reshape(-1), values.reshape(-1), indices.reshape(-1)
    for p in range(planes):
        base = p * height * width
        for y in range(oh):
            i0, i1 = i_first[y], i_last[y]
            for z in range(ow):
                j0, j1 = j_first[z], j_last[z]
                corner = h_start[y] * width + w_start[z]
                if i0 == 0 and i1 == kh and j0 == 0 and j1 == kw:
                    start = uint64(base + corner)
                    best, where = source[start], corner
                    for k in range(taps.size):
                        v = source[start + uint64(taps[k])]
                        take = _takes(v, best)
                        best = v if take else best
                        where = corner + taps[k] if take else where
                else:
                    where = corner + taps[i0 * kw + j0]
                    best = source[uint64(base + where)]
                    for i in range(i0, i1):
                        for j in range(j0, j1):
                            at = corner + taps[i * kw + j]
                            v = source[uint64(base + at)]
                            take = _takes(v, best)
                            best = v if take else best
                            where = at if take else where
                o = uint64((p * oh + y) * ow + z)
                flat_values[o], flat_indices[o] = best, where


@njit(**JIT)
def max_pool_backward(g, indices, g_x):
    """g_x[p, indices[p, o]] += g[p, o]: each output's gradient to its max, summed where
    overlapping windows picked one element. ``g_x`` (P, H * W) starts at zero."""
    planes, outputs = g.shape
    for p in range(planes):
        row_g, row_index, row_out = g[p], indices[p], g_x[p]
        for o in range(outputs):
            row_out[row_index[o]] += row_g[o]
