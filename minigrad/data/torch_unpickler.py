"""Reading the pickle inside a PyTorch checkpoint (``data.pkl``) without running anything it
names: PyTorch's ``weights_only`` rules, with inert stand-ins instead of PyTorch's objects.

A pickle is a small program: ``GLOBAL os system`` fetches a function and ``REDUCE`` calls it,
which is how a checkpoint can run code. ``scan`` reads every opcode and global of the program
first (``pickletools.genops`` only parses) and refuses anything outside the allow-list,
naming it, before a single opcode runs. ``unpickle`` then runs it with ``find_class`` held to
the same list, where every allowed name maps to a stand-in of this module: a tensor becomes a
``TensorRecord`` saying which storage it views and how, a storage type a ``StorageType``, a
dtype a ``TorchDType``. None of them can be called into doing anything else, and a pickle
cannot set their state. ``torch_format`` turns the records into tensors afterwards.
"""

import collections
import io
import pickle
import pickletools

from minigrad.data.checkpoint import CheckpointError
from minigrad.devices import device

# PyTorch's legacy storage classes -> their element type (NumPy's name, or "bfloat16")
STORAGE_DTYPES = {
    "HalfStorage": "float16", "FloatStorage": "float32", "DoubleStorage": "float64",
    "BFloat16Storage": "bfloat16", "ByteStorage": "uint8", "CharStorage": "int8",
    "ShortStorage": "int16", "IntStorage": "int32", "LongStorage": "int64",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
}
ITEMSIZES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "uint8": 1, "int8": 1,
             "int16": 2, "int32": 4, "int64": 8, "bool": 1, "complex64": 8, "complex128": 16,
             "uint16": 2, "uint32": 4, "uint64": 8}
# dtypes a pickle may name as values (``_rebuild_tensor_v3`` passes the new ones this way)
DTYPE_NAMES = (*ITEMSIZES, "complex32", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
               "float8_e5m2fnuz")

# what the scan lets through: building values, containers and memo, plus the three risky
# opcodes PyTorch's files need (GLOBAL/STACK_GLOBAL fetch a name, REDUCE calls it, BUILD sets
# state), each held to the allow-list or to the stand-ins. INST, OBJ, NEWOBJ and the
# extension registry (EXT*) are left out: PyTorch never writes them.
OPCODES = frozenset("""PROTO FRAME STOP MARK POP POP_MARK DUP NONE NEWTRUE NEWFALSE BININT
    BININT1 BININT2 LONG1 BINFLOAT SHORT_BINUNICODE BINUNICODE BINUNICODE8 SHORT_BINSTRING
    BINSTRING SHORT_BINBYTES BINBYTES EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 EMPTY_LIST LIST
    APPEND APPENDS EMPTY_DICT DICT SETITEM SETITEMS EMPTY_SET ADDITEMS FROZENSET BINPUT
    LONG_BINPUT MEMOIZE BINGET LONG_BINGET GLOBAL STACK_GLOBAL REDUCE BUILD BINPERSID""".split())
_STRINGS = frozenset({"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "SHORT_BINSTRING",
                      "BINSTRING"})


class _Inert:
    """Base of the stand-ins: plain records whose state a pickle cannot set."""

    __slots__ = ()

    def __setstate__(self, state):
        raise CheckpointError(f"the pickle sets the state of a {type(self).__name__}, which "
                              "no PyTorch checkpoint does")


class StorageType(_Inert):
    """``torch.FloatStorage`` and friends (``dtype`` None: ``torch.storage.UntypedStorage``,
    whose tensors name their dtype)."""

    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype


class TorchDType(_Inert):
    """A ``torch.<dtype>`` named in the pickle, such as ``torch.float32``."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


class Storage(_Inert):
    """One storage reference, from the persistent id ``('storage', type, key, location,
    numel)``: its bytes are the record ``data/<key>``."""

    __slots__ = ("key", "dtype", "numel", "location")

    def __init__(self, key, dtype, numel, location):
        self.key, self.dtype, self.numel, self.location = key, dtype, numel, location

    @property
    def nbytes(self):
        return self.numel * ITEMSIZES.get(self.dtype, 1)


class TensorRecord(_Inert):
    """A tensor to build: a view of ``storage`` (offset, size and stride in elements)."""

    __slots__ = ("storage", "offset", "size", "stride", "requires_grad", "dtype", "parameter")

    def __init__(self, storage, offset, size, stride, requires_grad, dtype=None,
                 parameter=False):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad, self.dtype, self.parameter = requires_grad, dtype, parameter


class StateDict(collections.OrderedDict):
    """``collections.OrderedDict`` as unpickled: the attributes the pickle gives it (a
    module's ``_metadata``) are kept in ``pickled_state``, never set on the object."""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise CheckpointError(f"the pickle gives an OrderedDict a {type(state).__name__} "
                                  "as its state, not a dict")
        self.pickled_state = state


class CounterRecord(collections.Counter):
    """``collections.Counter`` as unpickled: a pickle cannot set its attributes."""

    __setstate__ = _Inert.__setstate__


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    return TensorRecord(storage, storage_offset, size, stride, requires_grad)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    return TensorRecord(storage, storage_offset, size, stride, requires_grad, dtype)


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    if not isinstance(data, TensorRecord):
        raise CheckpointError(f"a parameter is rebuilt from a {type(data).__name__}, not a "
                              "tensor")
    return TensorRecord(data.storage, data.offset, data.size, data.stride, requires_grad,
                        data.dtype, parameter=True)


def _size(dims):
    if not (isinstance(dims, tuple) and all(type(n) is int for n in dims)):
        raise CheckpointError(f"torch.Size of {type(dims).__name__}, not a tuple of ints")
    return dims


def _device(*args):
    try:
        return device(*args)
    except (TypeError, RuntimeError) as err:
        raise CheckpointError(f"the pickle names an invalid device ({err})") from None


def _encode(text, encoding="latin1"):
    """``_codecs.encode``, which pickle uses to rebuild ``bytes``: text to latin-1 only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise CheckpointError("_codecs.encode is read only as pickle writes bytes with it")
    return text.encode("latin1")


def _bytearray(*args):
    """``bytearray`` from bytes or latin-1 text (never from a size: ``bytearray(10**12)``)."""
    if not args:
        return bytearray()
    return bytearray(args[0] if isinstance(args[0], bytes) else _encode(*args))


ALLOWED = {
    "collections.OrderedDict": StateDict,
    "collections.Counter": CounterRecord,
    "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
    "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
    "torch._utils._rebuild_parameter": _rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
    "torch.Size": _size,
    "torch.device": _device,
    "torch.storage.UntypedStorage": StorageType("UntypedStorage", None),
    "_codecs.encode": _encode,
    "builtins.set": set,
    "builtins.complex": complex,
    "builtins.bytearray": _bytearray,
    **{f"torch.{name}": StorageType(name, dtype) for name, dtype in STORAGE_DTYPES.items()},
    **{f"torch.{name}": TorchDType(name) for name in DTYPE_NAMES},
}


def _allowed(module, name):
    """The stand-in for global ``module.name``, or CheckpointError naming it."""
    if module == "__builtin__":  # NOTE: Python 2's name, in files of old PyTorch versions
        module = "builtins"
    full = f"{module}.{name}"
    if full not in ALLOWED:
        raise CheckpointError(f"refused global {full}: a weights-only checkpoint may name only "
                              "tensors, storages, dtypes, OrderedDict and plain values (this "
                              "one could run code); nothing in the file was run")
    return ALLOWED[full]


def scan(data):
    """Check every opcode and global of the pickle ``data`` before any of it runs.

    A ``STACK_GLOBAL`` takes its name from the two strings pushed before it (possibly through
    the memo); any other way of computing the name is refused. Memo indices must come in
    order, and every length an opcode declares must fit in ``data``, so what the unpickler
    allocates stays within a few times the pickle's size."""
    top, memo = [], {}  # the last values pushed, when known (None: not a string)
    try:
        for opcode, arg, _ in pickletools.genops(data):
            name = opcode.name
            if name not in OPCODES:
                raise CheckpointError(f"refused pickle opcode {name}: PyTorch's checkpoints "
                                      "never use it; nothing in the file was run")
            if name == "GLOBAL":
                _allowed(*arg.split(" ", 1))
            elif name == "STACK_GLOBAL":
                if len(top) < 2 or None in top[-2:]:
                    raise CheckpointError("refused a STACK_GLOBAL whose name is computed, not "
                                          "written out; nothing in the file was run")
                _allowed(*top[-2:])
            if name in _STRINGS:
                top = [*top[-1:], arg if isinstance(arg, str) else None]
            elif name in ("BINPUT", "LONG_BINPUT", "MEMOIZE"):
                index = len(memo) if name == "MEMOIZE" else arg
                if index > len(memo):  # NOTE: the unpickler sizes its memo to the index
                    raise CheckpointError(f"refused memo index {index} (pickle numbers them "
                                          f"in order; {len(memo)} so far)")
                memo[index] = top[-1] if top else None
            elif name in ("BINGET", "LONG_BINGET"):
                top = [*top[-1:], memo.get(arg)]
            elif name != "FRAME":
                top = []
    except CheckpointError:
        raise
    except ValueError as err:  # NOTE: genops raises ValueError for any malformed opcode
        raise CheckpointError(f"data.pkl is not a readable pickle ({err})") from None


class _Unpickler(pickle.Unpickler):
    """``pickle.Unpickler`` held to the allow-list: globals resolve to the stand-ins, and the
    only persistent ids are storage references."""

    def find_class(self, module, name):
        return _allowed(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise CheckpointError(f"persistent id {pid!r:.80} is not a storage reference")
        _, kind, key, location, numel = pid
        if not (isinstance(kind, StorageType) and isinstance(key, str)
                and isinstance(location, str) and type(numel) is int and numel >= 0):
            raise CheckpointError(f"malformed storage reference {pid!r:.200}")
        return Storage(key, kind.dtype, numel, location)


def unpickle(data):
    """The object the pickle ``data`` holds, with stand-ins for what PyTorch would build;
    ``scan`` it first."""
    try:
        return _Unpickler(io.BytesIO(data)).load()
    except CheckpointError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, KeyError,
            IndexError, OverflowError, RecursionError) as err:
        # NOTE: a crafted pickle can go wrong in every way Python code can; all end here
        raise CheckpointError(f"data.pkl is not a valid pickle ({type(err).__name__}: "
                              f"{err})") from None
