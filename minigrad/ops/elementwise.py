"""Elementwise arithmetic: add, sub, mul, div, neg, pow, exp, log, sqrt, abs, maximum,
minimum, where, cast and comparisons (clamp, with its tensor bounds, is in
``pointwise_ternary``).

Binary ops broadcast as NumPy does; each backward returns gradients of the broadcast shape
and the engine sums them back to each input's shape.
"""

from minigrad.autograd.function import Function
from minigrad.errors import DTypeError
from minigrad.ops import pointwise_rounding
from minigrad.ops._operands import as_float, binary_operands
from minigrad.tensor import Tensor

__all__ = [
    "abs", "add", "cast", "compare", "div", "divide", "exp", "log", "maximum", "minimum", "mul",
    "neg", "pow", "sqrt", "sub", "where",
]


class Add(Function):
    """out = a + b;  d/da = 1, d/db = 1."""

    op_name = "add"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g_out):
        return g_out, g_out


class Sub(Function):
    """out = a - b;  d/da = 1, d/db = -1."""

    op_name = "sub"

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g_out):
        return g_out, (-g_out if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """out = a * b;  d/da = b, d/db = a."""

    op_name = "mul"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g_out):
        a, b = ctx.saved_tensors
        g_a = g_out * b if ctx.needs_input_grad[0] else None
        g_b = g_out * a if ctx.needs_input_grad[1] else None
        return g_a, g_b


class Div(Function):
    """out = a / b;  d/da = 1 / b, d/db = -a / b^2 = -out / b."""

    op_name = "div"

    @staticmethod
    def forward(ctx, a, b):
        out = a / b
        ctx.save_for_backward(b, out)
        return out

    @staticmethod
    def backward(ctx, g_out):
        b, out = ctx.saved_tensors
        g_a = g_out / b
        g_b = -g_a * out if ctx.needs_input_grad[1] else None
        return (g_a if ctx.needs_input_grad[0] else None), g_b


class Neg(Function):
    """out = -x;  d/dx = -1."""

    op_name = "neg"

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g_out):
        return -g_out


class Pow(Function):
    """out = x ** p;  d/dx = p * x^(p-1), d/dp = out * log(x) (0 where x == 0 and p >= 0)."""

    op_name = "pow"

    @staticmethod
    def forward(ctx, x, p):
        if not ctx.backend.is_array(x):  # 2 ** t: give the base the exponent's dtype
            x = ctx.xp.asarray(x, dtype=p.dtype)
        out = x ** p
        ctx.save_for_backward(x, p, out)
        return out

    @staticmethod
    def backward(ctx, g_out):
        xp = ctx.xp
        x, p, out = ctx.saved_tensors
        g_x = g_out * p * x ** (p - 1) if ctx.needs_input_grad[0] else None
        g_p = None
        if ctx.needs_input_grad[1]:
            # NOTE: as PyTorch, 0 ** p has no slope in p for p >= 0 (log(0) would give nan)
            at_zero = (x == 0) & (p >= 0)
            safe_x = xp.where(at_zero, 1, x)
            g_p = xp.where(at_zero, 0, g_out * out * xp.log(safe_x))
        return g_x, g_p


class Exp(Function):
    """out = exp(x);  d/dx = out."""

    op_name = "exp"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g_out):
        (out,) = ctx.saved_tensors
        return g_out * out


class Log(Function):
    """out = log(x);  d/dx = 1 / x."""

    op_name = "log"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out / x


class Sqrt(Function):
    """out = sqrt(x);  d/dx = 1 / (2 out)."""

    op_name = "sqrt"

    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g_out):
        (out,) = ctx.saved_tensors
        return g_out / (2 * out)


class Abs(Function):
    """out = |x|;  d/dx = sign(x) (0 at 0, as PyTorch)."""

    op_name = "abs"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, g_out):
        (x,) = ctx.saved_tensors
        return g_out * ctx.xp.sign(x)


def _to_winner(xp, g_out, wins, ties):
    """The gradient for the input that won an elementwise max/min: all, half on a tie."""
    return xp.where(wins, g_out, xp.where(ties, g_out * 0.5, 0))


class Maximum(Function):
    """out = max(a, b) elementwise; the larger input gets the gradient, ties split it evenly."""

    op_name = "maximum"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.maximum(a, b)

    @staticmethod
    def backward(ctx, g_out):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        return _to_winner(xp, g_out, a > b, a == b), _to_winner(xp, g_out, b > a, a == b)


class Minimum(Function):
    """out = min(a, b) elementwise; the smaller input gets the gradient, ties split it evenly."""

    op_name = "minimum"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, g_out):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        return _to_winner(xp, g_out, a < b, a == b), _to_winner(xp, g_out, b < a, a == b)


class Where(Function):
    """out = a where cond else b;  d/da = cond, d/db = not cond."""

    op_name = "where"

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return ctx.xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g_out):
        (cond,) = ctx.saved_tensors
        xp = ctx.xp
        g_a = xp.where(cond, g_out, 0) if ctx.needs_input_grad[1] else None
        g_b = xp.where(cond, 0, g_out) if ctx.needs_input_grad[2] else None
        return None, g_a, g_b


class Cast(Function):
    """out = x converted to another dtype;  the gradient converts back."""

    op_name = "cast"

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.source_dtype = x.dtype
        return x.astype(dtype.name)

    @staticmethod
    def backward(ctx, g_out):
        return g_out.astype(ctx.source_dtype), None


def add(a, b):
    """a + b with broadcasting."""
    return Add.apply(*binary_operands(a, b))


def sub(a, b):
    """a - b with broadcasting; as PyTorch, not of bool tensors (masks invert with ``~``)."""
    if _is_bool(a) or _is_bool(b):
        raise DTypeError(f"sub: subtraction, the `-` operator, with a bool tensor is not "
                         f"supported (operands {_kinds(a, b)}); to invert a mask use `~` or "
                         "logical_not(), to compare two use `^` or logical_xor()")
    return Sub.apply(*binary_operands(a, b))


def mul(a, b):
    """a * b with broadcasting."""
    return Mul.apply(*binary_operands(a, b))


def div(a, b, *, rounding_mode=None):
    """a / b with broadcasting (true division: integer tensors give float32, as PyTorch);
    ``rounding_mode="trunc"`` rounds towards zero and ``"floor"`` towards minus infinity,
    keeping integer tensors integer."""
    if rounding_mode is None:
        return Div.apply(*binary_operands(a, b, true_division=True))
    if rounding_mode == "floor":
        return pointwise_rounding.floor_divide(a, b)
    if rounding_mode == "trunc":
        return pointwise_rounding.trunc_divide(a, b)
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                     f"but found '{rounding_mode}'")


divide = div  # PyTorch's alias


def neg(x):
    """-x; as PyTorch, not of a bool tensor (a mask inverts with ``~``)."""
    if _is_bool(x):
        raise DTypeError(f"neg: negation, the `-` operator, on a bool tensor of shape "
                         f"{tuple(x.shape)} is not supported; to invert a mask use `~` or "
                         "logical_not()")
    return Neg.apply(x)


def _is_bool(value):
    return isinstance(value, Tensor) and value.data.dtype.kind == "b"


def _kinds(*values):
    return ", ".join(f"{v.dtype.name} {tuple(v.shape)}" if isinstance(v, Tensor)
                     else type(v).__name__ for v in values)


def pow(x, exponent):
    """x ** exponent; either may be a tensor or a Python number."""
    return Pow.apply(*binary_operands(x, exponent))


def exp(x):
    """e ** x; integer and bool tensors give the default float dtype, as PyTorch (the
    float-producing ops log and sqrt too)."""
    return Exp.apply(as_float(x))


def log(x):
    return Log.apply(as_float(x))


def sqrt(x):
    return Sqrt.apply(as_float(x))


def abs(x):
    return Abs.apply(x)


def maximum(a, b):
    return Maximum.apply(*binary_operands(a, b))


def minimum(a, b):
    return Minimum.apply(*binary_operands(a, b))


def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` holds, of ``other`` elsewhere (condition
    carries no gradient); ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``,
    as in PyTorch."""
    if input is None and other is None:
        from minigrad.ops import sorting  # NOTE: at call time: sorting builds on this family

        return sorting.nonzero(condition, as_tuple=True)
    a, b = binary_operands(input, other)
    if not isinstance(condition, Tensor):
        like = a if isinstance(a, Tensor) else b
        if not isinstance(like, Tensor):
            raise TypeError(f"where: condition must be a Tensor, got {type(condition).__name__};"
                            " make one with a comparison (x > 0)")
        condition = Tensor(condition, backend=like._backend)
    if condition.data.dtype.kind != "b":
        raise DTypeError(f"where: condition must be a bool tensor, got "
                         f"{condition.dtype.name}; make one with a comparison (x > 0) or "
                         ".bool()")
    return Where.apply(condition, a, b)


def cast(x, dtype):
    """x in another dtype; differentiable between float dtypes."""
    if x.dtype == dtype:
        return x
    return Cast.apply(x, dtype)


_COMPARISONS = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                "gt": "greater", "ge": "greater_equal"}


def compare(name, a, b):
    """Elementwise comparison (``eq``, ``lt``, ...): a bool tensor with no gradient."""
    a, b = binary_operands(a, b)
    like = a if isinstance(a, Tensor) else b
    ufunc = getattr(like._backend.xp, _COMPARISONS[name])
    unwrap = [v.data if isinstance(v, Tensor) else v for v in (a, b)]
    return Tensor._make(like._backend.ensure_array(ufunc(*unwrap)), like._backend)
