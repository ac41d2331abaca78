"""Translations of the elementwise ops and activations: one ONNX op where ONNX has it at
opset 17, else the formula of the op's docstring written in ONNX ops."""

import math

from minigrad.onnx.registry import Table, Value

TABLE = Table()

# op name -> the ONNX op that computes it alone, on its one tensor argument
UNARY = {
    "abs": "Abs", "neg": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "sin": "Sin",
    "cos": "Cos", "tan": "Tan", "asin": "Asin", "acos": "Acos", "atan": "Atan",
    "sinh": "Sinh", "cosh": "Cosh", "erf": "Erf", "reciprocal": "Reciprocal",
    "floor": "Floor", "ceil": "Ceil", "sign": "Sign", "relu": "Relu", "sigmoid": "Sigmoid",
    "tanh": "Tanh", "softsign": "Softsign", "hardswish": "HardSwish",
}
BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow",
          "maximum": "Max", "minimum": "Min"}


def _unary(op_type):
    return lambda g, call: g.op(op_type, call.args[0])


def _binary(op_type):
    return lambda g, call: g.op(op_type, *operands(g, *call.args[:2]))


for _name, _op_type in UNARY.items():
    TABLE.register(_name)(_unary(_op_type))
for _name, _op_type in BINARY.items():
    TABLE.register(_name)(_binary(_op_type))


def operands(g, a, b, like=None):
    """Both operands as graph values: a Python number takes the dtype of the other one (a
    Value) or of ``like`` (where the other is a name)."""
    if not isinstance(a, (Value, str)):
        return g.scalar(a, b if isinstance(b, Value) else like), b
    if not isinstance(b, (Value, str)):
        return a, g.scalar(b, a if isinstance(a, Value) else like)
    return a, b


def _times(g, x, factor, like):
    """x * factor (a number in ``like``'s dtype), with no node where the factor is 1."""
    return x if factor == 1 else g.op("Mul", x, g.scalar(factor, like))


@TABLE.register("square")
def _square(g, call):
    x = call.args[0]
    return g.op("Mul", x, x)


@TABLE.register("rsqrt")
def _rsqrt(g, call):
    return g.op("Reciprocal", g.op("Sqrt", call.args[0]))


@TABLE.register("expm1")
def _expm1(g, call):
    x = call.args[0]
    return g.op("Sub", g.op("Exp", x), g.scalar(1, x))


@TABLE.register("log1p")
def _log1p(g, call):
    x = call.args[0]
    return g.op("Log", g.op("Add", x, g.scalar(1, x)))


@TABLE.register("log2", "log10")
def _log_base(g, call):
    x = call.args[0]
    base = 2.0 if call.op == "log2" else 10.0
    return g.op("Div", g.op("Log", x), g.scalar(math.log(base), x))


@TABLE.register("exp2")
def _exp2(g, call):
    x = call.args[0]
    return g.op("Pow", g.scalar(2, x), x)


@TABLE.register("erfc")
def _erfc(g, call):
    x = call.args[0]
    return g.op("Sub", g.scalar(1, x), g.op("Erf", x))


@TABLE.register("round")
def _round(g, call):
    x, decimals = call.args
    if decimals == 0:
        return g.op("Round", x)  # NOTE: half to even, as NumPy's and PyTorch's
    scale = g.scalar(10.0 ** decimals, x)
    return g.op("Div", g.op("Round", g.op("Mul", x, scale)), scale)


@TABLE.register("where")
def _where(g, call):
    condition, a, b = call.args
    like = a if isinstance(a, Value) else b
    return g.op("Where", condition, *(v if isinstance(v, Value) else g.scalar(v, like)
                                      for v in (a, b)))


@TABLE.register("clamp")
def _clamp(g, call):
    x, low, high = call.args
    if not isinstance(low, Value) and not isinstance(high, Value):
        return g.op("Clip", x, None if low is None else g.scalar(low, x),
                    None if high is None else g.scalar(high, x))
    y = x if low is None else g.op("Max", *operands(g, x, low))
    return y if high is None else g.op("Min", *operands(g, y, high, like=x))


@TABLE.register("cast")
def _cast(g, call):
    return g.cast(call.args[0], call.outputs[0].dtype)


@TABLE.register("lerp")
def _lerp(g, call):
    start, end, weight = call.args
    step = g.op("Mul", *operands(g, g.op("Sub", end, start), weight, like=start))
    return g.op("Add", start, step)


@TABLE.register("addcmul", "addcdiv")
def _addc(g, call):
    x, t1, t2, value = call.args
    combined = g.op("Mul" if call.op == "addcmul" else "Div", t1, t2)
    return g.op("Add", x, _times(g, combined, value, t1))


# ------------------------------------------------------------------ activations
@TABLE.register("leaky_relu")
def _leaky_relu(g, call):
    x, slope = call.args
    return g.op("LeakyRelu", x, alpha=float(slope))


@TABLE.register("elu")
def _elu(g, call):
    x, alpha = call.args
    return g.op("Elu", x, alpha=float(alpha))


@TABLE.register("selu", "celu")
def _scaled_elu(g, call):
    """scale * (x where x > 0, else alpha * (exp(k x) - 1)): ONNX's Selu is k = 1, its Celu
    scale = 1 and k = 1 / alpha, which is how ``F.selu`` and ``F.celu`` call the op."""
    x, alpha, scale, input_scale = call.args
    if input_scale == 1:
        return g.op("Selu", x, alpha=float(alpha), gamma=float(scale))
    if scale == 1 and math.isclose(input_scale * alpha, 1.0):
        return g.op("Celu", x, alpha=float(alpha))
    raise call.unsupported(f"with scale={scale}, input_scale={input_scale}")


@TABLE.register("softplus")
def _softplus(g, call):
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold (PyTorch's linear tail)."""
    x, beta, threshold = call.args
    z = _times(g, x, beta, x)
    y = g.op("Softplus", z)
    if beta != 1:
        y = g.op("Div", y, g.scalar(beta, x))
    return g.op("Where", g.op("Greater", z, g.scalar(threshold, x)), x, y)


def softplus(g, x):
    """log(1 + exp(x)), for the activations built on it."""
    return g.op("Softplus", x)


@TABLE.register("gelu")
def _gelu(g, call):
    """x * Phi(x), Phi = (1 + erf(x / sqrt 2)) / 2, or its tanh approximation."""
    x, approximate = call.args
    if approximate == "tanh":
        cube = g.op("Mul", g.op("Mul", x, x), x)
        inner = g.op("Add", x, g.op("Mul", cube, g.scalar(0.044715, x)))
        phi = g.op("Tanh", g.op("Mul", inner, g.scalar(math.sqrt(2 / math.pi), x)))
    else:
        phi = g.op("Erf", g.op("Mul", x, g.scalar(1 / math.sqrt(2), x)))
    half_x = g.op("Mul", x, g.scalar(0.5, x))
    return g.op("Mul", half_x, g.op("Add", phi, g.scalar(1, x)))


@TABLE.register("softmax", "log_softmax")
def _softmax(g, call):
    x, dim = call.args
    if dim is None:  # NOTE: a 0-d tensor: softmax 1, log-softmax 0
        return g.op("Identity", g.scalar(1 if call.op == "softmax" else 0, x))
    return g.op("Softmax" if call.op == "softmax" else "LogSoftmax", x, axis=dim)


@TABLE.register("hardtanh")
def _hardtanh(g, call):
    x, low, high = call.args
    return g.op("Clip", x, g.scalar(low, x), g.scalar(high, x))


@TABLE.register("hardsigmoid")
def _hardsigmoid(g, call):
    return g.op("HardSigmoid", call.args[0], alpha=1 / 6, beta=0.5)


@TABLE.register("threshold")
def _threshold(g, call):
    x, threshold, value = call.args
    return g.op("Where", g.op("Greater", x, g.scalar(threshold, x)), x, g.scalar(value, x))


@TABLE.register("prelu")
def _prelu(g, call):
    """ONNX's PRelu broadcasts the slope from the right; PyTorch's weight (C,) is per channel,
    dim 1, so it becomes (C, 1, ..., 1)."""
    x, weight = call.args
    if x.ndim > 2:
        weight = g.op("Reshape", weight, g.ints(weight.shape + (1,) * (x.ndim - 2)))
    elif x.ndim < 2:  # NOTE: no channel dim: one slope, whose shape must not widen x
        weight = g.op("Reshape", weight, g.ints([]))
    return g.op("PRelu", x, weight)


@TABLE.register("silu")
def _silu(g, call):
    x = call.args[0]
    return g.op("Mul", x, g.op("Sigmoid", x))


@TABLE.register("mish")
def _mish(g, call):
    x = call.args[0]
    return g.op("Mul", x, g.op("Tanh", softplus(g, x)))


@TABLE.register("logsigmoid")
def _logsigmoid(g, call):
    return g.op("Neg", softplus(g, g.op("Neg", call.args[0])))


@TABLE.register("glu")
def _glu(g, call):
    """a * sigmoid(b), a and b the halves of x along dim."""
    x, axis = call.args
    half = x.shape[axis] // 2
    a, b = g.split(x, axis, (half, half))
    return g.op("Mul", a, g.op("Sigmoid", b))


# ------------------------------------------------------------------ two-operand formulas
def _trunc_of(g, x):
    """Rounding toward zero: floor above 0, ceil below."""
    return g.op("Where", g.op("Less", x, g.scalar(0, x)), g.op("Ceil", x), g.op("Floor", x))


@TABLE.register("trunc")
def _trunc(g, call):
    return _trunc_of(g, call.args[0])


@TABLE.register("frac")
def _frac(g, call):
    x = call.args[0]
    return g.op("Sub", x, _trunc_of(g, x))


@TABLE.register("fmod", "remainder")
def _modulo(g, call):
    """fmod takes the dividend's sign, remainder (Python's %) the divisor's: ONNX's Mod with
    fmod=1 for floats, a - floor(a / b) b for a float remainder."""
    a, b = operands(g, *call.args)
    kind = call.outputs[0].dtype.kind
    if call.op == "fmod":
        return g.op("Mod", a, b, fmod=int(kind == "f"))
    if kind != "f":
        return g.op("Mod", a, b)
    return g.op("Sub", a, g.op("Mul", g.op("Floor", g.op("Div", a, b)), b))


@TABLE.register("hypot")
def _hypot(g, call):
    a, b = operands(g, *call.args)
    return g.op("Sqrt", g.op("Add", g.op("Mul", a, a), g.op("Mul", b, b)))


@TABLE.register("logaddexp")
def _logaddexp(g, call):
    """max(a, b) + log(1 + exp(-|a - b|)), finite where exp(a) would overflow."""
    a, b = operands(g, *call.args)
    like = a if isinstance(a, Value) else call.outputs[0]
    gap = g.op("Exp", g.op("Neg", g.op("Abs", g.op("Sub", a, b))))
    return g.op("Add", g.op("Max", a, b), g.op("Log", g.op("Add", gap, g.scalar(1, like))))


@TABLE.register("rounded_divide")
def _rounded_divide(g, call):
    """a / b rounded down ("floor") or toward zero ("trunc"), as NumPy computes it: from
    fmod(a, b), so that 1 // 0.1 is 9 (0.1 is a little more than a tenth), not floor(10.0).
    Integers: ONNX's Div truncates, and floor is one less where the signs differ and b does
    not divide a."""
    a, b, mode = call.args
    like = call.outputs[0]
    a, b = operands(g, a, b, like=like)
    zero = g.scalar(0, like)
    remainder = g.op("Mod", a, b, fmod=1)  # NOTE: the dividend's sign, as C's fmod
    inexact = g.op("Not", g.op("Equal", remainder, zero))
    signs_differ = g.op("Xor", g.op("Less", a, zero), g.op("Less", b, zero))
    if like.dtype.kind != "f":
        quotient = g.op("Div", a, b)
        if mode == "trunc":
            return quotient
        return g.op("Sub", quotient, g.cast(g.op("And", inexact, signs_differ), like.dtype))
    below = g.op("Xor", g.op("Less", b, zero), g.op("Less", remainder, zero))
    exact = g.op("Sub", g.op("Div", g.op("Sub", a, remainder), b),
                 g.cast(g.op("And", inexact, below), like.dtype))
    floor = g.op("Floor", exact)
    floor = g.op("Add", floor, g.cast(g.op("Greater", g.op("Sub", exact, floor),
                                           g.scalar(0.5, like)), like.dtype))
    if mode == "floor":
        return floor
    return g.op("Add", floor, g.cast(g.op("And", inexact, signs_differ), like.dtype))
