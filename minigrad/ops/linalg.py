"""Matrix multiplication with ``numpy.matmul``'s rules (1-D, 2-D and batched operands), and
the fused linear and bilinear maps of ``nn.Linear`` and ``nn.Bilinear``."""

import math

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.ops._operands import require_one_dtype, require_tensor

__all__ = ["matmul", "linear", "bilinear"]


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
    """Matrix product as ``numpy.matmul``; shape mismatches name both shapes. As PyTorch,
    both operands have one dtype (integer matrices multiply as integers)."""
    require_tensor("matmul", "input", a)
    require_tensor("matmul", "other", b)
    require_one_dtype("matmul", a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least 1 dim, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ShapeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                         f"multiplied ({inner_a} columns in a vs {inner_b} rows in b)")
    if a.ndim > 2 and b.ndim > 2:
        _check_batch_dims(a.shape[:-2], b.shape[:-2], a.shape, b.shape)
    return MatMul.apply(a, b)


def _check_batch_dims(batch_a, batch_b, shape_a, shape_b):
    """ShapeError in PyTorch's words unless the batch dims broadcast (NumPy's own message
    speaks of its internal "remapped" shapes)."""
    for offset, (m, n) in enumerate(zip(reversed(batch_a), reversed(batch_b))):
        if m != n and 1 not in (m, n):
            dim = max(len(batch_a), len(batch_b)) - 1 - offset
            raise ShapeError(f"matmul: the batch dims of shapes {tuple(shape_a)} and "
                             f"{tuple(shape_b)} do not broadcast: sizes {m} and {n} at dim {dim}")


class Linear(Function):
    """y = x @ weight^T + bias (x is (..., in), weight (out, in), bias (out,)).

    g_x = g_y @ weight,  g_weight = g_y^T @ x,  g_bias = sum of g_y over all but the last
    axis. One fused op instead of a transpose, a matmul and an add: one graph node per layer.

    NOTE: a batch of sequences (..., in) is multiplied as one (rows, in) matrix: NumPy's
    batched matmul against a broadcast weight runs several times slower than one GEMM.
    """

    op_name = "linear"

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        # NOTE: the rows counted, not inferred with -1: NumPy cannot infer them at a size of 0
        rows = math.prod(x.shape[:-1])
        y = (x.reshape(rows, x.shape[-1]) @ weight.T).reshape(x.shape[:-1] + (weight.shape[0],))
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def backward(ctx, g_y):
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        rows = math.prod(x.shape[:-1])
        g_rows = g_y.reshape(rows, weight.shape[0])
        g_x = None
        if needs[0]:
            g_x = (g_rows @ weight).reshape(x.shape)
        g_weight = g_bias = None
        if needs[1]:
            g_weight = g_rows.T @ x.reshape(rows, x.shape[-1])
        if needs[2]:
            g_bias = g_rows.sum(axis=0)
        return g_x, g_weight, g_bias


def linear(x, weight, bias=None):
    """x @ weight.T + bias, as ``torch.nn.functional.linear``; the input has the weight's
    dtype (an integer batch into a float layer raises with the conversion to make)."""
    require_tensor("linear", "input", x)
    require_tensor("linear", "weight", weight)
    operands = (x, weight) if bias is None else (x, weight, require_tensor("linear", "bias", bias))
    require_one_dtype("linear", *operands)
    if x.ndim == 0 or weight.ndim != 2 or x.shape[-1] != weight.shape[1]:
        raise ShapeError(f"linear: input has {x.shape[-1] if x.ndim else 0} features, weight "
                         f"expects {weight.shape[1] if weight.ndim == 2 else '?'} (input "
                         f"{tuple(x.shape)}, weight {tuple(weight.shape)})")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(f"linear: bias has shape {tuple(bias.shape)}, expected "
                         f"({weight.shape[0]},) for weight {tuple(weight.shape)}")
    return Linear.apply(x, weight, bias)


class Bilinear(Function):
    """y_k = x1 @ weight[k] @ x2 + bias_k (x1 (..., in1), x2 (..., in2), weight
    (out, in1, in2), bias (out,)).

    With t = x1 @ weight (..., out, in2) and s = weight @ x2 (..., out, in1):
    g_x1 = sum_k g_k s_k,  g_x2 = sum_k g_k t_k,  g_weight[k] = sum over the batch of
    g_k x1 x2^T (one tensordot of g with the batch's outer products),  g_bias = the sum of
    g over the batch.
    """

    op_name = "bilinear"

    @staticmethod
    def forward(ctx, x1, x2, weight, bias):
        xp = ctx.xp
        t = xp.einsum("...i,kij->...kj", x1, weight)
        y = xp.einsum("...kj,...j->...k", t, x2)
        if bias is not None:
            y += bias
        ctx.save_for_backward(x1, x2, weight, t)
        return y

    @staticmethod
    def backward(ctx, g_y):
        xp = ctx.xp
        x1, x2, weight, t = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g_x1 = g_x2 = g_weight = g_bias = None
        if needs[0]:
            g_x1 = xp.einsum("...k,...ki->...i", g_y, xp.einsum("kij,...j->...ki", weight, x2))
        if needs[1]:
            g_x2 = xp.einsum("...k,...kj->...j", g_y, t)
        if needs[2]:
            rows = g_y.reshape(-1, g_y.shape[-1])
            batch = rows.shape[0]
            outer = x1.reshape(batch, x1.shape[-1], 1) * x2.reshape(batch, 1, x2.shape[-1])
            g_weight = xp.tensordot(rows, outer, axes=(0, 0))
        if needs[3]:
            g_bias = g_y.reshape(-1, g_y.shape[-1]).sum(axis=0)
        return g_x1, g_x2, g_weight, g_bias


def bilinear(input1, input2, weight, bias=None):
    """input1 @ weight[k] @ input2 + bias[k] for each output k, as
    ``torch.nn.functional.bilinear``: the inputs share their batch dims (no broadcasting)."""
    named = {"input1": input1, "input2": input2, "weight": weight, "bias": bias}
    require_one_dtype("bilinear", *[require_tensor("bilinear", name, t)
                                    for name, t in named.items() if t is not None])
    if weight.ndim != 3:
        raise ShapeError(f"bilinear: weight must be 3-D (out, in1, in2), got shape "
                         f"{tuple(weight.shape)}")
    if 0 in (input1.ndim, input2.ndim) or input1.shape[:-1] != input2.shape[:-1]:
        raise ShapeError(f"bilinear: input batch dimensions do not match (input1 "
                         f"{tuple(input1.shape)}, input2 {tuple(input2.shape)})")
    for name, x, axis in (("input1", input1, 1), ("input2", input2, 2)):
        if x.shape[-1] != weight.shape[axis]:
            raise ShapeError(f"bilinear: {name} has {x.shape[-1]} features, weight expects "
                             f"{weight.shape[axis]} ({name} {tuple(x.shape)}, weight "
                             f"{tuple(weight.shape)})")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(f"bilinear: bias has shape {tuple(bias.shape)}, expected "
                         f"({weight.shape[0]},) for weight {tuple(weight.shape)}")
    return Bilinear.apply(input1, input2, weight, bias)
