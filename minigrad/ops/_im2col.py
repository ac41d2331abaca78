"""im2col and col2im: a batch of images as a matrix of patches, and back.

The convolutions and ``unfold``/``fold`` share these. A window geometry is ``kernel``,
``stride`` and ``dilation`` (pairs over height and width) and ``padding`` (one
``(before, after)`` pair per spatial axis, so ``padding="same"`` can pad an even kernel
asymmetrically). With ``out_size`` = (oh, ow) windows, column ``y * ow + z`` of an image's
patch matrix holds the window whose top-left corner sits at (y * sh, z * sw) of the padded
image, its rows running over (channel, kernel row, kernel column)::

    cols[n, (c, i, j), (y, z)] = x_padded[n, c, y * sh + i * dh, z * sw + j * dw]

``unfold_patches`` builds that matrix from one strided view and one copy; ``fold_patches``
is its adjoint, the scatter-add of every patch back onto the image (overlapping windows
add up). Both work on any backend's arrays through ``xp``.
"""

def output_size(size, kernel, stride, padding, dilation):
    """How many windows fit along each spatial axis of an image of ``size``."""
    return tuple((n + before + after - d * (k - 1) - 1) // s + 1
                 for n, k, s, (before, after), d in zip(size, kernel, stride, padding, dilation))


def _pad_zeros(xp, x, padding):
    """``x`` (N, C, H, W) inside a frame of zeros; ``x`` itself when there is no padding."""
    (top, bottom), (left, right) = padding
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    framed = xp.zeros((n, c, h + top + bottom, w + left + right), dtype=x.dtype)
    framed[:, :, top:top + h, left:left + w] = x
    return framed


def unfold_patches(xp, x, kernel, stride, padding, dilation, out_size):
    """The patch matrix (N, C * kh * kw, oh * ow) of ``x`` (N, C, H, W), C-contiguous.

    NOTE: the windows are first a (N, C, kh, kw, oh, ow) view of the padded image whose
    strides step by the dilation inside a window and by the stride between windows; the one
    copy makes the matrix (a fresh array even where the view happens to be contiguous, as
    for 1x1 windows, so the result never aliases ``x``).
    """
    framed = _pad_zeros(xp, x, padding)
    n, c = framed.shape[:2]
    step_n, step_c, step_h, step_w = framed.strides
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_size
    windows = xp.lib.stride_tricks.as_strided(
        framed, (n, c, kh, kw, oh, ow),
        (step_n, step_c, dh * step_h, dw * step_w, sh * step_h, sw * step_w))
    return windows.copy().reshape(n, c * kh * kw, oh * ow)


def fold_patches(xp, cols, size, kernel, stride, padding, dilation, out_size):
    """The adjoint of ``unfold_patches``: every patch of ``cols`` (N, C * kh * kw, oh * ow)
    added back where it came from, giving an image (N, C, H, W) of the unpadded ``size``.

    NOTE: one strided add per kernel offset (kh * kw of them): for a fixed offset the
    windows touch distinct pixels, so a plain ``+=`` on a strided slice is exact, and
    every batch, channel and pixel is handled inside that one array operation.
    """
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_size
    (top, bottom), (left, right) = padding
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    canvas = xp.zeros((n, c, size[0] + top + bottom, size[1] + left + right), dtype=cols.dtype)
    if oh and ow:
        patches = cols.reshape(n, c, kh, kw, oh, ow)
        for i in range(kh):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            for j in range(kw):
                canvas[:, :, rows, j * dw:j * dw + sw * (ow - 1) + 1:sw] += patches[:, :, i, j]
    if not (top or bottom or left or right):
        return canvas
    return canvas[:, :, top:top + size[0], left:left + size[1]]
