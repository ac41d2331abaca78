"""``mg.save`` / ``mg.load``: checkpoints that can be loaded from anyone without risk.

A checkpoint is a zip file holding ``header.json`` (the object's structure: dicts, lists,
tuples, numbers, strings, with references to arrays) and one ``.npy`` entry per array.
Loading reads the JSON and reads each array with ``allow_pickle=False``, so a file can never
run code, whatever it holds. Sizes are checked before anything is decompressed, and a save
goes to a temporary file renamed into place, so a crash mid-write leaves the old file whole.
"""

import io
import json
import math
import os
import tempfile
import zipfile

import numpy as np

from minigrad.backends import _CLASSES, available_backends
from minigrad.tensor import Tensor

FORMAT = "minigrad-checkpoint"
VERSION = 1
HEADER = "header.json"
MAX_HEADER_BYTES = 64 * 2 ** 20


class CheckpointError(ValueError):
    """A file that is not a readable minigrad checkpoint (the message says why)."""


def _encode(obj, arrays):
    """The JSON-ready form of ``obj``; arrays are appended to ``arrays`` and referenced."""
    if isinstance(obj, Tensor):
        arrays.append(obj.numpy())
        return {"__tensor__": len(arrays) - 1, "backend": obj.backend,
                "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"save: cannot store an array of dtype {obj.dtype}")
        arrays.append(np.asarray(obj))
        return {"__array__": len(arrays) - 1}
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, arrays) for v in obj]
        return items if isinstance(obj, list) else {"__tuple__": items}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    raise TypeError(f"save: cannot store a {type(obj).__name__}; checkpoints hold dicts, "
                    "lists, tuples, numbers, strings, None, arrays and tensors")


def _decode(node, arrays):
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    if not isinstance(node, dict):
        return node
    if "__array__" in node:
        return arrays(node["__array__"])
    if "__tensor__" in node:
        return Tensor(arrays(node["__tensor__"]), backend=_usable(node.get("backend")),
                      requires_grad=bool(node.get("requires_grad", False)))
    if "__float__" in node:
        return float(node["__float__"])
    if "__tuple__" in node:
        return tuple(_decode(v, arrays) for v in node["__tuple__"])
    if "__dict__" in node:
        return {_hashable(_decode(k, arrays)): _decode(v, arrays) for k, v in node["__dict__"]}
    raise CheckpointError(f"unknown entry in the header: {sorted(node)}")


def _usable(backend):
    """A tensor's saved backend if this machine has it, else NumPy (the values are the same);
    a name minigrad does not know is an error."""
    if backend not in _CLASSES:
        raise CheckpointError(f"unknown backend {backend!r} in the header")
    return backend if backend in available_backends() else "numpy"


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def save(obj, path):
    """Write ``obj`` (state dicts, nested dicts/lists of arrays, tensors and numbers) to
    ``path`` atomically."""
    arrays = []
    header = {"format": FORMAT, "version": VERSION, "tree": _encode(obj, arrays)}
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".minigrad-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
                archive.writestr(HEADER, json.dumps(header))
                for index, array in enumerate(arrays):
                    buffer = io.BytesIO()
                    np.lib.format.write_array(buffer, np.asarray(array, order="C"),
                                              allow_pickle=False)
                    archive.writestr(f"{index}.npy", buffer.getvalue())
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _mode_for(path):
    """The permissions ``path`` has, or those a new file gets under the current umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _read_npy(entry, size, name):
    """Read one ``.npy`` entry, first checking that its header's shape fits in the entry
    (a few bytes must not be able to claim terabytes)."""
    version = np.lib.format.read_magic(entry)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, fortran_order, dtype = read_header(entry)
    if dtype.hasobject:
        raise CheckpointError(f"array {name} holds Python objects, which are never loaded")
    claimed = math.prod(shape) * dtype.itemsize
    if claimed > size:
        raise CheckpointError(f"array {name} claims {claimed} bytes but its entry has {size}")
    data = np.frombuffer(entry.read(claimed), dtype=dtype, count=math.prod(shape))
    return data.reshape(shape, order="F" if fortran_order else "C").copy()


def load(path, max_bytes=2 ** 33):
    """Read a checkpoint written by ``save``. Arrays come back as NumPy arrays, tensors as
    tensors. Anything that is not such a file raises ``CheckpointError`` before any large
    read, and nothing in it is ever executed (``max_bytes`` bounds the unpacked size)."""
    path = os.fspath(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise CheckpointError(f"load: {path} is not a minigrad checkpoint (not a readable zip "
                              f"archive: {err})") from err
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        if HEADER not in infos:
            raise CheckpointError(f"load: {path} is not a minigrad checkpoint (no {HEADER})")
        if infos[HEADER].file_size > MAX_HEADER_BYTES:
            raise CheckpointError(f"load: {path}: the header claims {infos[HEADER].file_size} "
                                  f"bytes, more than the {MAX_HEADER_BYTES} allowed")
        total = sum(info.file_size for info in infos.values())
        if total > max_bytes:
            raise CheckpointError(f"load: {path} unpacks to {total} bytes, more than "
                                  f"max_bytes={max_bytes}")
        try:
            header = json.loads(archive.read(HEADER))
        except (ValueError, zipfile.BadZipFile, EOFError, RecursionError) as err:
            raise CheckpointError(f"load: {path}: unreadable header ({err})") from err
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise CheckpointError(f"load: {path} is not a minigrad checkpoint")
        if header.get("version") != VERSION:
            raise CheckpointError(f"load: {path} has format version {header.get('version')}; "
                                  f"this minigrad reads version {VERSION}")

        def read_array(index):
            name = f"{index}.npy"
            if not isinstance(index, int) or name not in infos:
                raise CheckpointError(f"missing array entry {name}")
            try:
                with archive.open(name) as entry:
                    return _read_npy(entry, infos[name].file_size, name)
            except (ValueError, zipfile.BadZipFile, EOFError, OSError) as err:
                if isinstance(err, CheckpointError):
                    raise
                raise CheckpointError(f"array {name} is unreadable ({err})") from err

        try:
            return _decode(header["tree"], read_array)
        except (CheckpointError, KeyError, TypeError, ValueError, RecursionError) as err:
            # NOTE: a crafted header may be any JSON; every way it can be wrong ends here
            raise CheckpointError(f"load: {path}: not a valid minigrad checkpoint "
                                  f"({type(err).__name__}: {err})") from err
