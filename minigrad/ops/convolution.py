"""Convolutions as im2col and one matmul: conv1d, conv2d, conv_transpose2d, and unfold/fold
(im2col and col2im as public ops).

A convolution (a cross-correlation, as in PyTorch) of x (N, C, H, W) with a weight
(O, C / groups, kh, kw) is one matrix product per group: the weight as an
(O / groups, C / groups * kh * kw) matrix times x's patch matrix (see ``_im2col``). Its
input gradient is the transposed product folded back onto the image (col2im), its weight
gradient the output gradient times the patch matrix transposed. A transposed convolution
is the same pair of maps swapped: its forward is conv2d's input gradient and its backward
conv2d's forward. conv1d is conv2d over images one row high.

The functions users call, which check the arguments and resolve PyTorch's forms of them
(ints or pairs, ``padding="same"``, unbatched inputs), are in ``nn.functional``.
"""

from minigrad.autograd.function import Function
from minigrad.ops._im2col import fold_patches, output_size, unfold_patches

__all__ = []


def _grouped_patches(xp, x, kernel, stride, padding, dilation, out_size, groups):
    """x's patch matrix split by group: (N, groups, C / groups * kh * kw, oh * ow)."""
    cols = unfold_patches(xp, x, kernel, stride, padding, dilation, out_size)
    n, rows, positions = cols.shape
    return cols.reshape(n, groups, rows // groups, positions)


def _weight_matrix(weight, groups):
    """weight (O, C / groups, kh, kw) as one (O / groups, C / groups * kh * kw) matrix per
    group."""
    o, c_g, kh, kw = weight.shape
    return weight.reshape(groups, o // groups, c_g * kh * kw)


def _correlate(weight, cols, out_size):
    """conv2d without bias, from the grouped patch matrix: (N, O, oh, ow)."""
    n, groups = cols.shape[:2]
    out = _weight_matrix(weight, groups) @ cols  # (N, groups, O / groups, oh * ow)
    return out.reshape(n, weight.shape[0], *out_size)


def _correlate_input_grad(xp, g_out, weight, size, stride, padding, dilation, groups):
    """conv2d's gradient in its input of spatial ``size``: W^T @ g_out, folded back."""
    n, o, oh, ow = g_out.shape
    w_t = _weight_matrix(weight, groups).swapaxes(1, 2)  # (groups, C / groups * kh * kw, ..)
    g_cols = w_t @ g_out.reshape(n, groups, o // groups, oh * ow)
    return fold_patches(xp, g_cols.reshape(n, groups * w_t.shape[1], oh * ow), size,
                        weight.shape[2:], stride, padding, dilation, (oh, ow))


def _correlate_weight_grad(g_out, cols, weight_shape):
    """conv2d's gradient in its weight: the sum over the batch of g_out @ cols^T."""
    n, groups = cols.shape[:2]
    o = weight_shape[0]
    g_rows = g_out.reshape(n, groups, o // groups, cols.shape[3])
    return (g_rows @ cols.swapaxes(2, 3)).sum(axis=0).reshape(weight_shape)


def _with_height(a):
    """A 1-D signal batch (N, C, L) as images one row high (N, C, 1, L)."""
    return a[:, :, None] if a.ndim == 3 else a


class Conv2d(Function):
    """out[n, o, y, z] = bias[o] + sum_{c, i, j} weight[o, c, i, j]
    * x_padded[n, g * C_g + c, y * s_h + i * d_h, z * s_w + j * d_w], g the group of o;
    computed per group as W @ cols, cols the patch matrix of x.

    g_x = col2im(W^T @ g_out),  g_weight = sum_n g_out[n] @ cols[n]^T,
    g_bias = g_out summed over the batch and the positions.
    """

    op_name = "conv2d"

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        signal = x.ndim == 3
        x, weight_2d = _with_height(x), _with_height(weight)
        kernel = weight_2d.shape[2:]
        out_size = output_size(x.shape[2:], kernel, stride, padding, dilation)
        cols = _grouped_patches(ctx.xp, x, kernel, stride, padding, dilation, out_size, groups)
        out = _correlate(weight_2d, cols, out_size)
        if bias is not None:
            out += bias.reshape(-1, 1, 1)
        # NOTE: the patch matrix (kh * kw times the size of x) is kept for the weight
        # gradient only, and the engine frees it as soon as this node's backward has run
        ctx.save_for_backward(weight, cols if ctx.needs_input_grad[1] else None)
        ctx.size, ctx.geometry = x.shape[2:], (stride, padding, dilation, groups)
        return out[:, :, 0] if signal else out

    @staticmethod
    def backward(ctx, g_out):
        weight, cols = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        needs = ctx.needs_input_grad
        signal = g_out.ndim == 3
        g_out, weight_2d = _with_height(g_out), _with_height(weight)
        g_x = g_weight = g_bias = None
        if needs[0]:
            g_x = _correlate_input_grad(ctx.xp, g_out, weight_2d, ctx.size, stride, padding,
                                        dilation, groups)
            g_x = g_x[:, :, 0] if signal else g_x
        if needs[1]:
            g_weight = _correlate_weight_grad(g_out, cols, weight_2d.shape).reshape(weight.shape)
        if needs[2]:
            g_bias = g_out.sum(axis=(0, 2, 3))
        return g_x, g_weight, g_bias, None, None, None, None


class Conv1d(Conv2d):
    """conv2d over (N, C, L) signals taken as images one row high (the caller passes the
    height's stride, padding and dilation as 1, 0 and 1)."""

    op_name = "conv1d"


class ConvTranspose2d(Function):
    """The adjoint of conv2d in its input, weight (C_in, C_out / groups, kh, kw):
    out = col2im(W^T @ x) + bias, of the given spatial ``out_size``.

    g_x = W @ cols(g_out) (conv2d's forward),  g_weight = sum_n x[n] @ cols(g_out)[n]^T,
    g_bias = g_out summed over the batch and the positions.
    """

    op_name = "conv_transpose2d"

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, out_size, dilation, groups):
        out = _correlate_input_grad(ctx.xp, x, weight, out_size, stride, padding, dilation,
                                    groups)
        if bias is not None:
            out = out + bias.reshape(-1, 1, 1)
        ctx.save_for_backward(x, weight)
        ctx.geometry = stride, padding, dilation, groups
        return out

    @staticmethod
    def backward(ctx, g_out):
        x, weight = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        needs = ctx.needs_input_grad
        g_x = g_weight = g_bias = None
        if needs[0] or needs[1]:
            cols = _grouped_patches(ctx.xp, g_out, weight.shape[2:], stride, padding, dilation,
                                    x.shape[2:], groups)
            g_x = _correlate(weight, cols, x.shape[2:]) if needs[0] else None
            g_weight = _correlate_weight_grad(x, cols, weight.shape) if needs[1] else None
        if needs[2]:
            g_bias = g_out.sum(axis=(0, 2, 3))
        return g_x, g_weight, g_bias, None, None, None, None, None


class Unfold(Function):
    """im2col: out[n, (c, i, j), (y, z)] = x_padded[n, c, y * s_h + i * d_h,
    z * s_w + j * d_w], one column per sliding window.

    g_x = col2im(g_out): each window's gradient added back where the window was read.
    """

    op_name = "unfold"

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride):
        blocks = output_size(x.shape[2:], kernel, stride, padding, dilation)
        ctx.size, ctx.geometry = x.shape[2:], (kernel, stride, padding, dilation, blocks)
        return unfold_patches(ctx.xp, x, *ctx.geometry)

    @staticmethod
    def backward(ctx, g_out):
        return fold_patches(ctx.xp, g_out, ctx.size, *ctx.geometry), None, None, None, None


class Fold(Function):
    """col2im, the adjoint of unfold: out[n, c, p, q] = the sum of the window entries
    x[n, (c, i, j), (y, z)] with (y * s_h + i * d_h, z * s_w + j * d_w) = (p, q) in the
    padded image, the padding cropped.

    g_x = im2col(g_out): each window entry reads the gradient of the pixel it went to.
    """

    op_name = "fold"

    @staticmethod
    def forward(ctx, x, size, kernel, dilation, padding, stride):
        blocks = output_size(size, kernel, stride, padding, dilation)
        ctx.geometry = kernel, stride, padding, dilation, blocks
        return fold_patches(ctx.xp, x, size, *ctx.geometry)

    @staticmethod
    def backward(ctx, g_out):
        return unfold_patches(ctx.xp, g_out, *ctx.geometry), None, None, None, None, None
