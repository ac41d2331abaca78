"""The ``.safetensors`` format (Hugging Face's): a flat dict of named tensors, read and
written through the ``safetensors`` package's NumPy API.

A file is an 8-byte little-endian length, a JSON header of that length (each tensor's dtype,
shape and byte range) and the tensors' bytes; nothing in it can run code. The header is
checked here first, so that a file of another kind is named as such and a tensor of a dtype
minigrad lacks (bfloat16, which NumPy lacks too) is refused by name; the package checks the
rest (every byte range inside the file, sizes matching shapes).
"""

import json
import struct

import numpy as np

from minigrad.data import checkpoint
from minigrad.data.checkpoint import CheckpointError
from minigrad.tensor import Tensor

INSTALL_HINT = 'pip install safetensors (or pip install "minigrad[interop]")'
# safetensors' dtype codes of the dtypes minigrad has
DTYPES = {"BOOL", "U8", "I8", "I16", "I32", "I64", "F16", "F32", "F64"}


def _numpy_api():
    try:
        import safetensors.numpy
    except ImportError as err:
        raise ModuleNotFoundError(f".safetensors files need the safetensors package; install "
                                  f"it with: {INSTALL_HINT}") from err
    return safetensors.numpy


def looks_like(head, file_size):
    """Whether a file of ``file_size`` bytes starting with ``head`` (its first 9 bytes) has
    a safetensors header: a length that fits in the file, then a JSON object."""
    if len(head) < 9:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return length <= file_size - 8 and head[8:9] == b"{"


def write(state_dict, file):
    """Write ``state_dict`` (a flat dict of names to tensors or arrays) to the open binary
    ``file``; anything else raises TypeError naming the key."""
    if not isinstance(state_dict, dict):
        raise TypeError(f"save: a .safetensors file holds a dict of tensors, not a "
                        f"{type(state_dict).__name__}")
    arrays = {}
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError(f"save: .safetensors names tensors by strings; key {key!r} is a "
                            f"{type(key).__name__}")
        if isinstance(value, Tensor):
            value = value.numpy()
        if not (hasattr(value, "dtype") and hasattr(value, "shape")):
            raise TypeError(f"save: a .safetensors file holds a flat dict of tensors, but "
                            f"{key!r} holds a {type(value).__name__}; save nested objects "
                            "in the minigrad or PyTorch format (.pt)")
        arrays[key] = np.asarray(value, order="C")  # NOTE: ascontiguousarray makes 0-d 1-d
    file.write(_numpy_api().save(arrays))


def read(file, path, file_size, max_bytes, backend=None):
    """The dict of tensors in the open safetensors ``file``, on ``backend`` (None: the
    default backend)."""
    numpy_api = _numpy_api()
    checkpoint.check_unpacked_size(path, file_size, file_size, max_bytes)
    _check_header(file, path, file_size)
    file.seek(0)
    data = file.read(file_size)
    try:
        arrays = numpy_api.load(data)
    except Exception as err:  # NOTE: SafetensorError and whatever NumPy raises on its arrays
        raise CheckpointError(f"load: {path}: not a valid .safetensors file "
                              f"({type(err).__name__}: {err})") from None
    return {name: Tensor(array, backend=backend) for name, array in arrays.items()}


def _check_header(file, path, file_size):
    """Refuse a file whose header is not a safetensors one, or names a dtype minigrad lacks."""
    head = file.read(8)
    if len(head) < 8:
        raise CheckpointError(f"load: {path} is not a .safetensors file ({file_size} bytes, "
                              "fewer than the 8 of its header's length)")
    (length,) = struct.unpack("<Q", head)
    if length > min(file_size - 8, checkpoint.MAX_HEADER_BYTES):
        raise CheckpointError(f"load: {path} is not a .safetensors file (its first 8 bytes "
                              f"declare a header of {length} bytes; the file holds "
                              f"{file_size - 8} after them)")
    try:
        header = json.loads(file.read(length))
    except (ValueError, RecursionError) as err:
        raise CheckpointError(f"load: {path} is not a .safetensors file (unreadable header: "
                              f"{err})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"load: {path} is not a .safetensors file (its header is a "
                              f"{type(header).__name__}, not an object)")
    for name, entry in header.items():
        dtype = entry.get("dtype") if isinstance(entry, dict) else None
        if name != "__metadata__" and dtype not in DTYPES:
            raise CheckpointError(f"load: {path}: tensor {name!r:.80} has dtype {dtype!r:.20}"
                                  f", which minigrad lacks (it reads {sorted(DTYPES)})")
