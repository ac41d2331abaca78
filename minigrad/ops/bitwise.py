"""Bitwise ops on bool and integer tensors: bitwise_and, bitwise_or, bitwise_xor and
bitwise_not, which are a Tensor's ``&``, ``|``, ``^`` and ``~``.

None of them has a gradient, so none is a ``Function`` (as in ``ops/comparison.py``, whose
argument checks they share). On bool tensors they are the logical ops and keep the bool
dtype (``mask & (x > 0)``, ``~mask``); on integer tensors they act on each bit of the
two's-complement value. Float tensors are refused, as PyTorch refuses them.

The result dtype is PyTorch's. Tensors with dimensions settle it among themselves by the
usual promotion (int32 with int64 gives int64, bool with int8 gives int8, int8 with uint8
gives int16). A 0-d tensor, and after it a Python int or bool, has a say only where it is of
a higher kind (bool below integer): ``mask & 1`` is int64, while ``bytes & 1`` and
``bytes & mg.tensor(7)`` stay uint8. An operand is then taken in the result's dtype,
modulo ``2**bits`` (on uint8, ``x & 256`` is ``x & 0`` and ``x & -1`` is ``x``).

NOTE: taking the operands modulo ``2**bits`` loses nothing: the low bits of ``a & b``,
``a | b`` and ``a ^ b`` depend only on the low bits of ``a`` and ``b``, so the result is the
exact one in the result's dtype.
"""

import numbers

from minigrad import dtypes
from minigrad.errors import DTypeError
from minigrad.ops.comparison import _bool_tensor as _tensor_like  # NOTE: wraps any array
from minigrad.ops.comparison import _check_pair
from minigrad.tensor import Tensor
from minigrad.tensor_queries import require_tensor

__all__ = ["bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor"]

# NOTE: PyTorch takes a Python int that fits in 64 bits, signed or not
_SMALLEST_INT, _INT_LIMIT = -2 ** 63, 2 ** 64


def _refuse_float(op, value):
    """DTypeError naming ``op`` and the dtype unless ``value`` is a bool or integer tensor or
    an integral number."""
    if isinstance(value, Tensor):
        if value.data.dtype.kind in "biu":
            return
        what = f"{value.dtype.name} tensors (shape {tuple(value.shape)})"
    elif isinstance(value, numbers.Integral):
        return
    else:
        what = f"a Python {type(value).__name__} ({value!r})"
    raise DTypeError(f"{op}: not implemented for {what}; bitwise ops take bool and integer "
                     "tensors, as in PyTorch (convert with .bool() or .long())")


def _tier(value):
    """How much say ``value`` has in the result dtype: 0 (most) for a tensor with dimensions,
    1 for a 0-d tensor, 2 for a Python number."""
    if isinstance(value, Tensor):
        return 0 if value.ndim else 1
    return 2


def _dtype_name(value):
    if isinstance(value, Tensor):
        return value.data.dtype.name
    return "bool" if isinstance(value, bool) else "int64"


def _result_dtype(xp, a, b):
    """PyTorch's result dtype for ``a`` and ``b`` (see the module docstring): the operand of
    the stronger tier decides, unless it is bool and the other is an integer."""
    strong, weak = sorted((a, b), key=_tier)
    strong_dtype, weak_dtype = _dtype_name(strong), _dtype_name(weak)
    if _tier(strong) == _tier(weak) or strong_dtype == "bool":
        return xp.result_type(strong_dtype, weak_dtype).name
    return strong_dtype


def _operand(op, xp, value, dtype):
    """``value`` as an array in ``dtype``, a Python int taken modulo ``2**bits``."""
    if isinstance(value, Tensor):
        return value.data.astype(dtype, copy=False)
    value = int(value)
    if not _SMALLEST_INT <= value < _INT_LIMIT:
        raise OverflowError(f"{op}: the Python int {value} does not fit in 64 bits")
    bits = 8 * dtypes.from_name(dtype).itemsize
    value %= 2 ** bits
    if dtype.startswith("int") and value >= 2 ** (bits - 1):
        value -= 2 ** bits
    return xp.asarray(value, dtype=dtype)


def _bitwise(op, input, other):
    """``xp.<op>`` of ``input`` and ``other`` after PyTorch's checks and dtype rules."""
    if (isinstance(other, Tensor) and not isinstance(input, Tensor)
            and isinstance(input, numbers.Number)):
        # NOTE: PyTorch also takes the number first; the ops are symmetric, so swap
        input, other = other, input
    _check_pair(op, input, other, other_may_be_number=True)
    _refuse_float(op, input)
    _refuse_float(op, other)
    xp = input._backend.xp
    dtype = _result_dtype(xp, input, other)
    out = getattr(xp, op)(_operand(op, xp, input, dtype), _operand(op, xp, other, dtype))
    return _tensor_like(out, input)


def _binary(name, symbol, logic):
    """The function ``torch.<name>``: ``input <symbol> other``."""
    def bitwise(input, other):
        return _bitwise(name, input, other)
    bitwise.__name__ = bitwise.__qualname__ = name
    bitwise.__doc__ = (f"``input {symbol} other`` elementwise, as ``torch.{name}`` (no "
                       f"gradient): logical {logic} of bool tensors, {logic} of each bit of "
                       "integer ones. Either operand may be a Python int or bool instead of "
                       "a tensor; tensors broadcast. The result dtype follows PyTorch's "
                       "promotion (see ``minigrad.ops.bitwise``).")
    return bitwise


bitwise_and = _binary("bitwise_and", "&", "AND")
bitwise_or = _binary("bitwise_or", "|", "OR")
bitwise_xor = _binary("bitwise_xor", "^", "XOR")


def bitwise_not(input):
    """``~input`` elementwise, as ``torch.bitwise_not`` (no gradient): logical NOT of a bool
    tensor, each bit flipped in an integer one (``~x == -x - 1`` for signed integers)."""
    require_tensor("bitwise_not", "input", input)
    _refuse_float("bitwise_not", input)
    return _tensor_like(input._backend.xp.invert(input.data), input)
