"""Writing the pickle inside a PyTorch checkpoint (``data.pkl``) without PyTorch: protocol
2, opcode by opcode, in the subset ``torch.load(..., weights_only=True)`` reads.

A tensor is written as PyTorch writes one: a call ``torch._utils._rebuild_tensor_v2(storage,
0, size, stride, requires_grad, OrderedDict())`` (wrapped in ``_rebuild_parameter`` for a
Parameter), where ``storage`` is the persistent id ``('storage', torch.FloatStorage, key,
'cpu', numel)`` of a contiguous little-endian copy of its values, kept in ``storages`` for
``torch_format`` to write as the record ``data/<key>``.
"""

import collections
import math
import pickle
import struct

import numpy as np

from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor

STORAGE_NAMES = {"float16": "HalfStorage", "float32": "FloatStorage",
                 "float64": "DoubleStorage", "uint8": "ByteStorage", "int8": "CharStorage",
                 "int16": "ShortStorage", "int32": "IntStorage", "int64": "LongStorage",
                 "bool": "BoolStorage"}


def _global(module, name):
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


_EMPTY_HOOKS = _global("collections", "OrderedDict") + pickle.EMPTY_TUPLE + pickle.REDUCE


class Pickler:
    """Emits a protocol-2 pickle opcode by opcode. Tensors, lists and dicts are memoized, so
    an object saved twice (tied weights) is one object when loaded; each tensor's bytes
    become one storage, in ``storages``."""

    def __init__(self):
        self.out = bytearray(pickle.PROTO + bytes([2]))
        self.memo = {}  # id -> memo index
        self.kept = []  # the memoized objects, kept alive so that their ids stay theirs
        self.storages = []

    def dumps(self, obj):
        self.save(obj)
        self.out += pickle.STOP
        return bytes(self.out)

    def save(self, obj):
        out = self.out
        if id(obj) in self.memo:
            index = self.memo[id(obj)]
            out += (pickle.BINGET + bytes([index]) if index < 256
                    else pickle.LONG_BINGET + struct.pack("<I", index))
        elif obj is None:
            out += pickle.NONE
        elif isinstance(obj, bool):
            out += pickle.NEWTRUE if obj else pickle.NEWFALSE
        elif isinstance(obj, int):
            self._int(obj)
        elif isinstance(obj, float):
            out += pickle.BINFLOAT + struct.pack(">d", obj)
        elif isinstance(obj, str):
            text = obj.encode("utf-8", "surrogatepass")
            out += pickle.BINUNICODE + struct.pack("<I", len(text)) + text
        elif isinstance(obj, Tensor | np.ndarray | np.generic):
            self._tensor(obj)
        elif isinstance(obj, tuple) and not obj:
            out += pickle.EMPTY_TUPLE
        elif isinstance(obj, tuple):
            self._items(obj, pickle.TUPLE)
        elif isinstance(obj, list):
            out += pickle.EMPTY_LIST
            self._memoize(obj)
            self._items(obj, pickle.APPENDS)
        elif isinstance(obj, dict):
            self._dict(obj)
        else:
            raise TypeError(f"save: cannot store a {type(obj).__name__} in a PyTorch "
                            "checkpoint; it holds dicts, lists, tuples, numbers, strings, "
                            "None, arrays and tensors")

    def _int(self, n):
        if 0 <= n < 256:
            self.out += pickle.BININT1 + bytes([n])
        elif 0 <= n < 65536:
            self.out += pickle.BININT2 + struct.pack("<H", n)
        elif -2 ** 31 <= n < 2 ** 31:
            self.out += pickle.BININT + struct.pack("<i", n)
        else:
            data = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
            if len(data) > 255:
                raise TypeError(f"save: an int of {n.bit_length()} bits does not fit in a "
                                "PyTorch checkpoint (at most 2040)")
            self.out += pickle.LONG1 + bytes([len(data)]) + data

    def _items(self, items, closing):
        """``MARK item... closing`` (nothing when there are no items)."""
        if not items:
            return
        self.out += pickle.MARK
        for item in items:
            self.save(item)
        self.out += closing

    def _dict(self, obj):
        ordered = isinstance(obj, collections.OrderedDict)
        self.out += _EMPTY_HOOKS if ordered else pickle.EMPTY_DICT
        self._memoize(obj)
        self._items([part for pair in obj.items() for part in pair], pickle.SETITEMS)
        metadata = getattr(obj, "_metadata", None) if ordered else None
        if metadata is not None:  # NOTE: what torch's Module.load_state_dict reads versions from
            self.save({"_metadata": metadata})
            self.out += pickle.BUILD

    def _memoize(self, obj):
        index = self.memo[id(obj)] = len(self.memo)
        self.kept.append(obj)
        self.out += (pickle.BINPUT + bytes([index]) if index < 256
                     else pickle.LONG_BINPUT + struct.pack("<I", index))

    def _tensor(self, obj):
        array = obj.numpy() if isinstance(obj, Tensor) else np.asarray(obj)
        if array.dtype.name not in STORAGE_NAMES:
            raise TypeError(f"save: cannot store an array of dtype {array.dtype} in a PyTorch "
                            "checkpoint")
        self.storages.append(np.asarray(array, array.dtype.newbyteorder("<"), order="C"))
        parameter = isinstance(obj, Parameter)
        requires_grad = isinstance(obj, Tensor) and obj.requires_grad
        strides = [math.prod(array.shape[i + 1:]) for i in range(array.ndim)]
        if parameter:
            self.out += _global("torch._utils", "_rebuild_parameter") + pickle.MARK
        self.out += _global("torch._utils", "_rebuild_tensor_v2") + pickle.MARK + pickle.MARK
        self.save("storage")  # the persistent id: ('storage', type, key, location, numel)
        self.out += _global("torch", STORAGE_NAMES[array.dtype.name])
        for part in (str(len(self.storages) - 1), "cpu", array.size):
            self.save(part)
        self.out += pickle.TUPLE + pickle.BINPERSID
        for part in (0, tuple(array.shape), tuple(strides), requires_grad and not parameter):
            self.save(part)
        self.out += _EMPTY_HOOKS + pickle.TUPLE + pickle.REDUCE
        if parameter:
            self.save(requires_grad)
            self.out += _EMPTY_HOOKS + pickle.TUPLE + pickle.REDUCE
        if isinstance(obj, Tensor | np.ndarray):
            self._memoize(obj)
