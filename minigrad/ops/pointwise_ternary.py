"""Pointwise ops of up to three tensors: clamp (clip) with number or tensor bounds, lerp,
addcmul and addcdiv, and nan_to_num.

Operands broadcast together; each backward returns gradients of the broadcast shape and
the engine sums them back to each input. As in PyTorch an integer tensor joins a float
operand's dtype, while float32 with float64 is refused (minigrad never promotes silently).
"""

from minigrad.autograd.function import Function
from minigrad.ops._operands import _python_scalar, as_float, refuse_bool
from minigrad.tensor import Tensor

__all__ = ["addcdiv", "addcmul", "clamp", "clip", "lerp", "nan_to_num"]

_NUMBER_OR_NONE = (int, float, type(None))


class Clamp(Function):
    """out = min(max(x, lo), hi), either bound a number, a tensor or None (hi wins where
    lo > hi). As PyTorch: d/dx = 1 where lo <= x <= hi; d/dlo = 1 where x < lo < hi;
    d/dhi = 1 where x > hi or hi < lo; 0 elsewhere."""

    op_name = "clamp"

    @staticmethod
    def forward(ctx, x, lo, hi):
        needs = ctx.needs_input_grad
        inside = lo_active = hi_active = None  # the masks backward needs, and only those
        if needs[0]:
            if lo is None:
                inside = x <= hi
            elif hi is None:
                inside = x >= lo
            else:
                inside = (x >= lo) & (x <= hi)
        if needs[1]:  # a tensor bound that requires grad
            lo_active = x < lo if hi is None else (x < lo) & (lo < hi)
        if needs[2]:
            hi_active = x > hi if lo is None else (x > hi) | (hi < lo)
        ctx.save_for_backward(inside, lo_active, hi_active)
        return ctx.xp.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g_out):
        xp = ctx.xp
        inside, lo_active, hi_active = ctx.saved_tensors
        return (_masked(xp, inside, g_out), _masked(xp, lo_active, g_out),
                _masked(xp, hi_active, g_out))


def _masked(xp, mask, g_out):
    """``g_out`` where ``mask`` holds, 0 elsewhere; None for an argument without a mask."""
    return None if mask is None else xp.where(mask, g_out, 0)


class Lerp(Function):
    """out = input + weight * (end - input);  d/dinput = 1 - weight, d/dend = weight,
    d/dweight = end - input.

    NOTE: as PyTorch, from |weight| >= 0.5 on the value is end - (end - input) * (1 - weight),
    which gives end exactly at weight 1.
    """

    op_name = "lerp"

    @staticmethod
    def forward(ctx, input, end, weight):
        xp = ctx.xp
        difference = end - input
        ctx.save_for_backward(difference, weight)
        if not ctx.backend.is_array(weight):
            if abs(weight) < 0.5:
                return input + weight * difference
            return end - difference * (1 - weight)
        return xp.where(xp.abs(weight) < 0.5, input + weight * difference,
                        end - difference * (1 - weight))

    @staticmethod
    def backward(ctx, g_out):
        difference, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g_input = g_out * (1 - weight) if needs[0] else None
        g_end = g_out * weight if needs[1] else None
        g_weight = g_out * difference if needs[2] else None
        return g_input, g_end, g_weight


class Addcmul(Function):
    """out = input + value * t1 * t2;  d/dinput = 1, d/dt1 = value * t2, d/dt2 = value * t1."""

    op_name = "addcmul"

    @staticmethod
    def forward(ctx, input, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        return input + value * t1 * t2

    @staticmethod
    def backward(ctx, g_out):
        t1, t2 = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g_scaled = g_out * ctx.value
        return (g_out if needs[0] else None, g_scaled * t2 if needs[1] else None,
                g_scaled * t1 if needs[2] else None, None)


class Addcdiv(Function):
    """out = input + value * t1 / t2;  d/dinput = 1, d/dt1 = value / t2,
    d/dt2 = -value * t1 / t2^2."""

    op_name = "addcdiv"

    @staticmethod
    def forward(ctx, input, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        return input + value * t1 / t2

    @staticmethod
    def backward(ctx, g_out):
        t1, t2 = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g_t1 = g_out * ctx.value / t2
        return (g_out if needs[0] else None, g_t1 if needs[1] else None,
                -g_t1 * t1 / t2 if needs[2] else None, None)


class NanToNum(Function):
    """out = x with nan, +inf and -inf replaced by numbers;  d/dx = 1 where x is finite,
    0 where a value was replaced (the replacement is a constant)."""

    op_name = "nan_to_num"

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        xp = ctx.xp
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(xp.isfinite(x))
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g_out):
        (finite,) = ctx.saved_tensors
        return ctx.xp.where(finite, g_out, 0), None, None, None


def scalar_for(t, value):
    """A number argument as PyTorch applies it to ``t``'s dtype: truncated for integers."""
    return int(value) if t.data.dtype.kind in "iu" else value


def _tensors(op, **named):
    """The named tensor arguments, integer ones turned into the float operands' dtype."""
    for name, t in named.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    floats = [t.dtype for t in named.values() if t.data.dtype.kind == "f"]
    if not floats:
        return tuple(named.values())
    return tuple(as_float(t, floats[0]) for t in named.values())


def _clamp_operands(input, min, max):
    """``clamp``'s arguments on its slower path: tensor bounds, or an integer input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"clamp: input must be a Tensor, got {type(input).__name__}")
    min, max = _python_scalar(min), _python_scalar(max)  # a NumPy float64 would promote
    if type(min) in _NUMBER_OR_NONE and type(max) in _NUMBER_OR_NONE:
        if isinstance(min, float) or isinstance(max, float):
            input = as_float(input)  # an integer tensor clamped to float bounds, as PyTorch
        return input, min, max
    if not all(b is None or isinstance(b, Tensor) for b in (min, max)):
        raise TypeError(f"clamp: min and max must both be numbers or both be tensors, got "
                        f"{type(min).__name__} and {type(max).__name__}")
    bounds = {n: b for n, b in (("min", min), ("max", max)) if b is not None}
    operands = dict(zip(["input", *bounds], _tensors("clamp", input=input, **bounds)))
    return operands["input"], operands.get("min"), operands.get("max")


def clamp(input, min=None, max=None):
    """Limit ``input`` to [min, max], as ``torch.clamp``: each bound a number, a tensor
    (broadcast, and given gradients where it is the active bound) or None."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if (type(min) in _NUMBER_OR_NONE and type(max) in _NUMBER_OR_NONE
            and isinstance(input, Tensor) and input.data.dtype.kind == "f"):
        return Clamp.apply(input, min, max)  # the common case, checked first
    return Clamp.apply(*_clamp_operands(input, min, max))


clip = clamp  # NOTE: PyTorch's alias


def lerp(input, end, weight):
    """input + weight * (end - input), ``weight`` a number or a tensor (broadcast), as
    ``torch.lerp``; floating tensors of one dtype only."""
    tensors = {"input": input, "end": end}
    weight = _python_scalar(weight)  # a NumPy float64 would promote float32 tensors
    if not isinstance(weight, (int, float)):
        tensors["weight"] = weight
    operands = _tensors("lerp", **tensors)
    if any(t.data.dtype.kind != "f" for t in tensors.values()):
        raise NotImplementedError(f"lerp: needs floating point tensors, got "
                                  f"{', '.join(t.dtype.name for t in tensors.values())}")
    return Lerp.apply(*operands, weight) if len(operands) == 2 else Lerp.apply(*operands)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2, broadcast, as ``torch.addcmul``."""
    operands = _tensors("addcmul", input=input, tensor1=tensor1, tensor2=tensor2)
    for t in operands:  # NOTE: as PyTorch; bool times a Python number came out float64
        refuse_bool("addcmul", t)
    return Addcmul.apply(*operands, scalar_for(operands[0], value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2, broadcast, as ``torch.addcdiv``; as PyTorch, two
    integer tensors are refused (their division used to truncate)."""
    if all(isinstance(t, Tensor) and t.data.dtype.kind in "iub" for t in (tensor1, tensor2)):
        raise RuntimeError(f"addcdiv: integer division is not supported (tensor1 "
                           f"{tensor1.dtype.name}, tensor2 {tensor2.dtype.name}); convert "
                           "them with .float()")
    operands = _tensors("addcdiv", input=input, tensor1=tensor1, tensor2=tensor2)
    return Addcdiv.apply(*operands, value)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """``input`` with nan replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf``
    (by default the dtype's largest and smallest finite values), as ``torch.nan_to_num``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"nan_to_num: input must be a Tensor, got {type(input).__name__}")
    return NanToNum.apply(input, nan, posinf, neginf)
