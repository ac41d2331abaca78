"""Matrix and vector products: mm, bmm, mv, dot, outer, addmm, baddbmm, einsum.

``mm``, ``bmm``, ``mv`` and ``dot`` are ``matmul`` held to one pair of ranks: they check
their operands with PyTorch's messages and then run ``matmul``'s Function, whose backward
already covers every rank. Products need operands of one dtype, as in PyTorch (``outer``,
which PyTorch computes as a broadcast multiply, joins an integer vector to a float one).
"""

import string

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.ops._operands import binary_operands, require_one_dtype, require_tensor
from minigrad.ops.linalg import MatMul
from minigrad.ops.pointwise_ternary import scalar_for

__all__ = ["addmm", "baddbmm", "bmm", "dot", "einsum", "mm", "mv", "outer"]


class Outer(Function):
    """out[i, j] = a[i] * b[j];  g_a = g @ b, g_b = g^T @ a."""

    op_name = "outer"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a[:, None] * b[None, :]

    @staticmethod
    def backward(ctx, g_out):
        a, b = ctx.saved_tensors
        g_a = g_out @ b if ctx.needs_input_grad[0] else None
        g_b = a @ g_out if ctx.needs_input_grad[1] else None
        return g_a, g_b


def _scaled(x, factor):
    return x if factor == 1 else x * factor


class _AddProduct(Function):
    """out = beta * input + alpha * (m1 @ m2) over the last two axes;  g_input = beta * g,
    g_m1 = alpha * g @ m2^T, g_m2 = alpha * m1^T @ g (input is broadcast to the result,
    and the engine sums its gradient back)."""

    @staticmethod
    def forward(ctx, input, m1, m2, beta, alpha):
        ctx.save_for_backward(m1, m2)
        ctx.beta, ctx.alpha = beta, alpha
        product = _scaled(m1 @ m2, alpha)
        if beta == 0:  # NOTE: as PyTorch, input is then ignored: its nan and inf do not leak
            return product
        return product + _scaled(input, beta)

    @staticmethod
    def backward(ctx, g_out):
        m1, m2 = ctx.saved_tensors
        xp, needs = ctx.xp, ctx.needs_input_grad
        g_input = _scaled(g_out, ctx.beta) if needs[0] else None
        g_m1 = _scaled(g_out @ xp.swapaxes(m2, -1, -2), ctx.alpha) if needs[1] else None
        g_m2 = _scaled(xp.swapaxes(m1, -1, -2) @ g_out, ctx.alpha) if needs[2] else None
        return g_input, g_m1, g_m2, None, None


class Addmm(_AddProduct):
    """out = beta * input + alpha * (mat1 @ mat2)."""

    op_name = "addmm"


class Baddbmm(_AddProduct):
    """out = beta * input + alpha * (batch1 @ batch2), one product per batch entry."""

    op_name = "baddbmm"


class Einsum(Function):
    """out = einsum(equation, *operands), the equation in explicit form (every ``...``
    spelt out as letters). The gradient of operand k is the einsum of the output's gradient
    with the other operands, written to operand k's subscripts: a letter that repeats in
    them ('ii') becomes a fresh letter tied to the first by an identity matrix, and a letter
    summed inside operand k alone (or broadcast from size 1 elsewhere) gets a vector of
    ones, so each gradient is one einsum."""

    op_name = "einsum"

    @staticmethod
    def forward(ctx, equation, *operands):
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        return ctx.xp.einsum(equation, *operands, optimize=True)

    @staticmethod
    def backward(ctx, g_out):
        operands = ctx.saved_tensors
        inputs, output = ctx.equation.split("->")
        inputs = inputs.split(",")
        unused = iter([c for c in string.ascii_letters if c not in ctx.equation])
        grads = [_einsum_gradient(ctx.xp, inputs, output, operands, g_out, k, unused)
                 if needed else None for k, needed in enumerate(ctx.needs_input_grad[1:])]
        return (None, *grads)


def _einsum_gradient(xp, inputs, output, operands, g_out, k, unused):
    """The gradient of operand ``k`` (see ``Einsum``); ``unused`` yields fresh letters."""
    subscripts = [output] + [s for j, s in enumerate(inputs) if j != k]
    arrays = [g_out] + [a for j, a in enumerate(operands) if j != k]
    shape = operands[k].shape
    target, diagonal = [], []
    for position, letter in enumerate(inputs[k]):
        if letter in target:
            fresh = next(unused)
            subscripts.append(letter + fresh)
            arrays.append(xp.eye(shape[position], dtype=g_out.dtype))
            diagonal.append((target.index(letter), position))
            letter = fresh
        target.append(letter)
    sizes = {}  # each letter's size among the gradient's operands
    for subscript, array in zip(subscripts, arrays):
        for letter, size in zip(subscript, array.shape):
            sizes[letter] = max(sizes.get(letter, 0), size)
    for position, letter in enumerate(target):
        if letter not in sizes or sizes[letter] < shape[position]:
            subscripts.append(letter)
            arrays.append(xp.ones(shape[position], dtype=g_out.dtype))
    equation = ",".join(subscripts) + "->" + "".join(target)
    g = xp.einsum(equation, *arrays, optimize=True)
    if not diagonal:
        return g
    # NOTE: off the diagonal the gradient is 0, but the identity's 0 times an infinite
    # operand made it NaN there
    on_diagonal = True
    for first, repeat in diagonal:
        rows = xp.arange(shape[first]).reshape([-1 if d == first else 1 for d in range(g.ndim)])
        cols = xp.arange(shape[repeat]).reshape([-1 if d == repeat else 1 for d in range(g.ndim)])
        on_diagonal = on_diagonal & (rows == cols)
    return xp.where(on_diagonal, g, 0)


def _explicit(equation, operands):
    """``equation`` with its output written out (PyTorch's implicit rule: the letters seen
    once, in alphabetical order, after the broadcast dims) and each ``...`` replaced by
    letters, right-aligned across operands as broadcasting aligns dims."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(operands):
        raise ShapeError(f"einsum: the equation {equation!r} has subscripts for {len(inputs)} "
                         f"operands, got {len(operands)} operands")
    letters = [c for c in "".join(inputs) if c != "."]
    if not arrow:
        ellipsis = "..." if any("..." in s for s in inputs) else ""
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    spare = [c for c in string.ascii_letters if c not in equation]
    dims = [t.ndim - len(s) + 3 if "..." in s else 0 for s, t in zip(inputs, operands)]
    for s, t, n in zip(inputs, operands, dims):
        if ("..." in s and n < 0) or ("..." not in s and len(s) != t.ndim):
            raise ShapeError(f"einsum: subscripts {s!r} do not fit an operand of shape "
                             f"{tuple(t.shape)} (equation {equation!r})")
    broadcast = "".join(spare[:max(dims, default=0)])

    def spelt(s, n):
        return s.replace("...", broadcast[len(broadcast) - n:])

    inputs = [spelt(s, n) for s, n in zip(inputs, dims)]
    return ",".join(inputs) + "->" + spelt(output, len(broadcast))


def _rank(op, name, t, ndim):
    """``t``, checked to be a tensor of ``ndim`` dims, in PyTorch's words."""
    require_tensor(op, name, t)
    if t.ndim != ndim:
        what = {1: "a vector", 2: "a matrix", 3: "a 3D tensor"}[ndim]
        raise ShapeError(f"{op}: {name} must be {what}, got a {t.ndim}-D tensor of shape "
                         f"{tuple(t.shape)}")
    return t


def _matrices(op, a, b, names=("mat1", "mat2")):
    """Check a matrix product of ``a`` (..., n, m) by ``b`` (..., m, p): batch sizes and
    inner sizes agree."""
    if a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-2]:
        dims = "x".join
        raise ShapeError(f"{op}: {names[0]} and {names[1]} shapes cannot be multiplied "
                         f"({dims(map(str, a.shape))} and {dims(map(str, b.shape))})")
    require_one_dtype(op, a, b)


def _expandable(op, input, shape):
    """Check that ``input`` broadcasts to ``shape`` (the product's) without growing it."""
    own = tuple(input.shape)
    fits = len(own) <= len(shape) and all(
        n in (1, m) for n, m in zip(own[::-1], shape[::-1]))
    if not fits:
        raise ShapeError(f"{op}: input of shape {own} cannot be expanded to the product's "
                         f"shape {tuple(shape)}")


def mm(input, mat2):
    """The matrix product of ``input`` (n, m) and ``mat2`` (m, p), as ``torch.mm``."""
    _matrices("mm", _rank("mm", "self", input, 2), _rank("mm", "mat2", mat2, 2))
    return MatMul.apply(input, mat2)


def bmm(input, mat2):
    """Batched matrix product: ``input`` (b, n, m) by ``mat2`` (b, m, p), as ``torch.bmm``."""
    _rank("bmm", "batch1", input, 3)
    _rank("bmm", "batch2", mat2, 3)
    _matrices("bmm", input, mat2, ("batch1", "batch2"))
    return MatMul.apply(input, mat2)


def mv(input, vec):
    """The product of the matrix ``input`` (n, m) and the vector ``vec`` (m,)."""
    _rank("mv", "self", input, 2)
    _rank("mv", "vec", vec, 1)
    if input.shape[1] != vec.shape[0]:
        raise ShapeError(f"mv: size mismatch, got mat ({input.shape[0]}x{input.shape[1]}), "
                         f"vec ({vec.shape[0]})")
    require_one_dtype("mv", input, vec)
    return MatMul.apply(input, vec)


def dot(input, tensor):
    """The inner product of two vectors of one length (a 0-d tensor), as ``torch.dot``."""
    require_tensor("dot", "self", input)
    require_tensor("dot", "tensor", tensor)
    if input.ndim != 1 or tensor.ndim != 1:
        raise ShapeError(f"dot: 1D tensors expected, but got {input.ndim}D and {tensor.ndim}D "
                         f"tensors (shapes {tuple(input.shape)} and {tuple(tensor.shape)})")
    if input.shape != tensor.shape:
        raise ShapeError(f"dot: inconsistent tensor size, expected tensor [{input.shape[0]}] "
                         f"and src [{tensor.shape[0]}] to have the same number of elements")
    require_one_dtype("dot", input, tensor)
    return MatMul.apply(input, tensor)


def outer(input, vec2):
    """out[i, j] = input[i] * vec2[j], as ``torch.outer``."""
    for name, t in (("self", input), ("vec2", vec2)):
        if require_tensor("outer", name, t).ndim != 1:
            raise ShapeError(f"outer: expected 1-D argument {name}, but got {t.ndim}-D "
                             f"(shape {tuple(t.shape)})")
    return Outer.apply(*binary_operands(input, vec2))


def _add_product(cls, names, input, m1, m2, beta, alpha):
    op, ndim = cls.op_name, 2 if cls is Addmm else 3
    _matrices(op, _rank(op, names[0], m1, ndim), _rank(op, names[1], m2, ndim), names)
    _expandable(op, require_tensor(op, "input", input), m1.shape[:-1] + m2.shape[-1:])
    require_one_dtype(op, input, m1, m2)
    return cls.apply(input, m1, m2, scalar_for(m1, beta), scalar_for(m1, alpha))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), ``input`` broadcast to (n, p); with
    ``beta=0`` input is ignored (its nan and inf too), as ``torch.addmm``."""
    return _add_product(Addmm, ("mat1", "mat2"), input, mat1, mat2, beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2) for each of the b products, ``input``
    broadcast to (b, n, p), as ``torch.baddbmm``."""
    return _add_product(Baddbmm, ("batch1", "batch2"), input, batch1, batch2, beta, alpha)


def einsum(equation, *operands):
    """Einstein summation, as ``torch.einsum``: ``einsum('ij,jk->ik', a, b)``; the operands
    may also come as one list. Letters repeated across operands are multiplied along and
    summed unless kept in the output; without ``->`` the output is the letters seen once,
    in alphabetical order; ``...`` stands for broadcast dims."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for position, t in enumerate(operands):
        require_tensor("einsum", f"operand {position}", t)
    if operands:
        require_one_dtype("einsum", *operands)
    return Einsum.apply(_explicit(equation, operands), *operands)
