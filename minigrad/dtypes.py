"""Element types, named as in PyTorch: ``mg.float32``, ``mg.float64``, ``mg.int64``, ``mg.bool``,
with PyTorch's short aliases (``mg.float`` is ``mg.float32``, ``mg.long`` is ``mg.int64``), and
the default float dtype (``get_default_dtype`` / ``set_default_dtype``).

A ``DType`` is only a name with a few facts about it; every backend turns the name into its
own native dtype. It compares equal to the matching NumPy dtype or its name, so
``t.dtype == "float32"`` and ``t.dtype == numpy.float32`` both read naturally.
"""

import builtins


class DType:
    """One element type (``minigrad.float32`` and friends)."""

    __slots__ = ("name", "is_floating_point", "itemsize")

    def __init__(self, name, is_floating_point, itemsize):
        self.name = name
        self.is_floating_point = is_floating_point
        self.itemsize = itemsize

    def __repr__(self):
        return f"minigrad.{self.name}"

    def __eq__(self, other):
        if isinstance(other, DType):
            return self is other
        if isinstance(other, str):
            return other == self.name
        name = getattr(other, "name", None) or getattr(other, "__name__", None)
        return name == self.name

    def __hash__(self):
        return hash(self.name)

    def __reduce__(self):
        # NOTE: a dtype is one object per name, so unpickling (a DataLoader worker's batch,
        # a pickled module) gives back that object and `is` comparisons keep holding
        return as_dtype, (self.name,)


float16 = DType("float16", True, 2)
float32 = DType("float32", True, 4)
float64 = DType("float64", True, 8)
uint8 = DType("uint8", False, 1)
int8 = DType("int8", False, 1)
int16 = DType("int16", False, 2)
int32 = DType("int32", False, 4)
int64 = DType("int64", False, 8)
bool = DType("bool", False, 1)  # PyTorch's name: mg.bool

_BY_NAME = {d.name: d for d in (float16, float32, float64, uint8, int8, int16, int32, int64, bool)}
_PYTHON_TYPES = {builtins.float: float64, builtins.int: int64, builtins.bool: bool}
# PyTorch's legacy tensor type names, what ``Tensor.type()`` returns: torch.FloatTensor
_TENSOR_TYPES = {float16: "Half", float32: "Float", float64: "Double", uint8: "Byte",
                 int8: "Char", int16: "Short", int32: "Int", int64: "Long", bool: "Bool"}

# NOTE: read by every maker of float tensors when it runs, never copied at import, so that
# set_default_dtype reaches them all
default_float = float32


def get_default_dtype():
    """The dtype of new float tensors when none is given: float32 until
    ``set_default_dtype`` changes it."""
    return default_float


def set_default_dtype(d):
    """Make ``d`` the dtype of float tensors created without one, as
    ``torch.set_default_dtype``: Python floats and lists of them (``mg.tensor([1.5])``),
    ``zeros``, ``randn``, a float ``arange``, integer division and the parameters of new
    layers. Only floating dtypes are accepted (TypeError otherwise)."""
    global default_float
    if not isinstance(d, DType):
        raise TypeError("invalid dtype object: only floating-point types are supported as the "
                        "default type")
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    default_float = d


def tensor_type(dtype, on_cuda=False):
    """PyTorch's legacy name of a tensor's type: ``'torch.FloatTensor'``,
    ``'torch.cuda.LongTensor'``."""
    return f"torch.{'cuda.' if on_cuda else ''}{_TENSOR_TYPES[dtype]}Tensor"


_BY_TENSOR_TYPE = {tensor_type(d, cuda): (cuda, d) for d in _TENSOR_TYPES for cuda in (False, True)}


def parse_tensor_type(name):
    """``(on_cuda, DType)`` for a legacy type name such as ``'torch.cuda.FloatTensor'``, or
    ``None`` when ``name`` is no such name."""
    return _BY_TENSOR_TYPE.get(name)


_BY_ARRAY_DTYPE = {}  # a backend's dtype object -> DType, filled on first sight


def of_array(array):
    """The DType of a backend array (cached: reading ``dtype.name`` is slow in NumPy 2)."""
    try:
        return _BY_ARRAY_DTYPE[array.dtype]
    except KeyError:
        dtype = _BY_ARRAY_DTYPE[array.dtype] = from_name(array.dtype.name)
        return dtype


def from_name(name):
    """The DType called ``name`` (a backend array's ``dtype.name``)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise TypeError(f"minigrad has no dtype {name!r}; supported: {sorted(_BY_NAME)}") from None


def as_dtype(spec):
    """Turn what a user may pass as ``dtype=`` into a DType.

    Accepts a DType, its name, a NumPy dtype or scalar type, or a Python type (``float`` is
    float64, ``int`` is int64, as in PyTorch).
    """
    if isinstance(spec, DType):
        return spec
    if isinstance(spec, str):
        return from_name(spec)
    if spec in _PYTHON_TYPES:
        return _PYTHON_TYPES[spec]
    name = getattr(spec, "name", None) or getattr(spec, "__name__", None)
    if name is None:
        raise TypeError(f"cannot interpret {spec!r} as a dtype")
    return from_name(name)


# NOTE: PyTorch's short names for the same objects (``mg.float is mg.float32``); bound last,
# as they shadow the builtins ``float`` and ``int`` in this module
float, double, half = float32, float64, float16
long, int, short = int64, int32, int16
