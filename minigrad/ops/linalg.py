"""Matrix multiplication with ``numpy.matmul``'s rules: 1-D, 2-D and batched operands."""

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError


class MatMul(Function):
    """out = a @ b;  g_a = g @ b^T, g_b = a^T @ g (over the last two axes).

    A 1-D operand is a row (for a) or column (for b) vector whose added axis is removed from
    the result; the backward puts that axis back on the gradient, multiplies, and removes it
    again. Broadcast batch axes are summed away by the engine.
    """

    op_name = "matmul"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g_out):
        xp = ctx.xp
        a, b = ctx.saved_tensors
        a_vector, b_vector = a.ndim == 1, b.ndim == 1
        if b_vector:
            g_out, b = g_out[..., None], b[:, None]
        if a_vector:
            g_out, a = g_out[..., None, :], a[None, :]
        g_a = g_b = None
        if ctx.needs_input_grad[0]:
            g_a = g_out @ xp.swapaxes(b, -1, -2)
            g_a = g_a[..., 0, :] if a_vector else g_a
        if ctx.needs_input_grad[1]:
            g_b = xp.swapaxes(a, -1, -2) @ g_out
            g_b = g_b[..., 0] if b_vector else g_b
        return g_a, g_b


def matmul(a, b):
    """Matrix product as ``numpy.matmul``; shape mismatches name both shapes."""
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least 1 dim, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ShapeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                         f"multiplied ({inner_a} columns in a vs {inner_b} rows in b)")
    return MatMul.apply(a, b)
