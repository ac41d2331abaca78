"""col2im as a compiled loop: the patch matrix of a batch of images added back onto the
images, as ``minigrad.ops._im2col.fold_patches`` does with one strided add per kernel
offset. Compiled as ``loops.py``'s loops are.

``cols`` is (N, C, kh, kw, oh, ow), C-contiguous (the (N, C * kh * kw, oh * ow) patch
matrix reshaped), and entry (n, c, i, j, y, z) goes to pixel (y * sh - top + i * dh,
z * sw - left + j * dw) of image (n, c), where it is one; entries that fall in the padding
are dropped, so the loop writes the unpadded (N, C, H, W) image with no padded canvas and
no crop.
"""

from numba import njit, uint64

from minigrad.backends.numba_kernels.loops import JIT


@njit(**JIT)
def _inside(offset, step, count, length):
    """The range of window indices y < count with 0 <= offset + y * step < length."""
    first = 0 if offset >= 0 else (-offset + step - 1) // step
    last = 0 if offset >= length else min(count, (length - 1 - offset) // step + 1)
    return first, max(first, last)


@njit(**JIT)
def col2im(cols, sh, sw, top, left, dh, dw, out):
    """out[n, c] = the sum of cols[n, c, i, j] placed at its pixels (``out`` starts at
    zero). For one image and kernel offset (i, j) the entries hit distinct pixels, a row
    of them on one image row ``sw`` apart: the inner loop is that row.

    NOTE: the flat indices are unsigned: Numba wraps a negative signed index around, and
    that check on every element kept LLVM from vectorizing the inner loop (up to 3x slower)."""
    n, channels, kh, kw, oh, ow = cols.shape
    height, width = out.shape[2], out.shape[3]
    source, target = cols.reshape(-1), out.reshape(-1)
    step = uint64(sw)
    for image in range(n * channels):
        for i in range(kh):
            y0, y1 = _inside(i * dh - top, sh, oh, height)
            for j in range(kw):
                col = j * dw - left
                z0, z1 = _inside(col, sw, ow, width)
                first = ((image * kh + i) * kw + j) * oh * ow + z0
                for y in range(y0, y1):
                    read = uint64(first + y * ow)
                    write = uint64((image * height + y * sh + i * dh - top) * width + col
                                   + z0 * sw)
                    if sw == 1:
                        for z in range(uint64(z1 - z0)):
                            target[write + z] += source[read + z]
                    else:
                        for z in range(uint64(z1 - z0)):
                            target[write + z * step] += source[read + z]
