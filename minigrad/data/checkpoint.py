"""minigrad's own checkpoint format, and what every format ``mg.save`` / ``mg.load`` speak
shares: the errors, the size limits and the atomic write (``serialization`` picks the format).

A minigrad checkpoint is a zip file holding ``header.json`` (the object's structure: dicts, lists,
tuples, numbers, strings, with references to arrays) and one ``.npy`` entry per array.
Loading reads the JSON and reads each array with ``allow_pickle=False``, so a file can never
run code, whatever it holds. Sizes are checked before anything is decompressed, and a save
goes to a temporary file renamed into place, so a crash mid-write leaves the old file whole.

Limits on what a load may unpack (each refusal says which one and how to raise it):
``max_bytes`` (an argument of ``load``) bounds the total unpacked size; ``MAX_RATIO`` bounds
it to that many times the file's size (``save`` stores arrays uncompressed, so its files unpack
to less than their size; a higher ratio only comes from compression, which is how a small file
claims gigabytes); ``MAX_HEADER_BYTES`` bounds the JSON header. The last two are module
constants: set ``minigrad.data.checkpoint.MAX_RATIO`` higher to load a file recompressed on
purpose. Each array is read straight into the buffer it is returned in, and each entry at
most once, so a load never holds much more than the limits allow. The same limits bound the
PyTorch and safetensors readers.
"""

import hashlib
import io
import json
import math
import os
import secrets
import zipfile

import numpy as np

from minigrad.backends import _CLASSES, available_backends
from minigrad.tensor import Tensor

FORMAT = "minigrad-checkpoint"
VERSION = 1
HEADER = "header.json"
MAX_HEADER_BYTES = 64 * 2 ** 20
MAX_RATIO = 10
CHUNK_BYTES = 2 ** 20

try:
    import fcntl
except ImportError:  # NOTE: Windows: an open file cannot be removed there, which is the lock
    fcntl = None


class CheckpointError(ValueError):
    """A file that is not a readable minigrad checkpoint (the message says why)."""


class CheckpointNotFoundError(FileNotFoundError, CheckpointError):
    """No file at the path given to ``load``: caught by ``except FileNotFoundError`` (as
    ``torch.load`` raises it) and by ``except CheckpointError``."""


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


def _decode(node, arrays, backend):
    """The object ``node`` describes; tensors go to ``backend`` (None: where they were saved,
    if this machine has that backend)."""
    if isinstance(node, list):
        return [_decode(v, arrays, backend) for v in node]
    if not isinstance(node, dict):
        return node
    if "__array__" in node:
        return arrays(node["__array__"])
    if "__tensor__" in node:
        saved = _usable(node.get("backend"))
        return Tensor(arrays(node["__tensor__"]), backend=saved if backend is None else backend,
                      requires_grad=bool(node.get("requires_grad", False)))
    if "__float__" in node:
        return float(node["__float__"])
    if "__tuple__" in node:
        return tuple(_decode(v, arrays, backend) for v in node["__tuple__"])
    if "__dict__" in node:
        return {_hashable(_decode(k, arrays, backend)): _decode(v, arrays, backend)
                for k, v in node["__dict__"]}
    raise CheckpointError(f"unknown entry in the header: {sorted(node)}")


def _usable(backend):
    """A tensor's saved backend if this machine has it, else NumPy (the values are the same);
    a name minigrad does not know is an error."""
    if backend not in _CLASSES:
        raise CheckpointError(f"unknown backend {backend!r} in the header")
    return backend if backend in available_backends() else "numpy"


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def write(obj, file):
    """Write ``obj`` (state dicts, nested dicts/lists of arrays, tensors and numbers) to the
    open binary ``file`` as a minigrad checkpoint."""
    arrays = []
    header = {"format": FORMAT, "version": VERSION, "tree": _encode(obj, arrays)}
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(HEADER, json.dumps(header))
        for index, array in enumerate(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(array, order="C"), allow_pickle=False)
            archive.writestr(f"{index}.npy", buffer.getvalue())


def write_atomically(path, write_to):
    """Call ``write_to(file)`` on a temporary file next to ``path``, then rename it into
    place, so a crash mid-write leaves the old file whole. Temporary files that earlier saves
    of the same ``path`` left behind when they were killed are removed once this save has
    succeeded."""
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    prefix = _temporary_prefix(name)
    temporary = os.path.join(folder, f"{prefix}{secrets.token_hex(8)}.tmp")
    mode = _existing_mode(path)
    # NOTE: for a new file the kernel applies the umask to 0o666, exactly as for open(path, "w");
    # over an existing file the temporary starts private and takes that file's mode at the end
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    handle = os.open(temporary, flags, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(handle, "wb") as file:
            if fcntl is not None:
                fcntl.flock(file, fcntl.LOCK_EX)  # held until closed: "this save is alive"
            write_to(file)
            if mode is not None:
                os.fchmod(file.fileno(), mode)
            file.flush()
            os.fsync(file.fileno())
            os.replace(temporary, path)  # still locked: no cleanup can take it before this
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _remove_stale(folder, prefix)


def _existing_mode(path):
    """The permission bits of the file at ``path``, or None if there is none yet."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return None


def _temporary_prefix(name):
    """The start of the names of ``name``'s temporary files: a digest of the target's name,
    so any name fits and saves of other files in the folder never match."""
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
    return f".minigrad-{digest}-"


def _remove_stale(folder, prefix):
    """Remove temporary files of earlier saves of the same target whose writer is gone: a
    save in progress holds a lock on its file (released when its process dies), so it is
    left alone."""
    for entry in os.scandir(folder):
        if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
            continue
        try:
            with open(entry.path, "rb") as stale:
                if fcntl is not None:
                    fcntl.flock(stale, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.remove(entry.path)
        except OSError:  # BlockingIOError: still being written; or already removed
            continue


def _read_npy(entry, size, name):
    """Read one ``.npy`` entry straight into the array it becomes, after checking that its
    header's shape is exactly the data the entry holds (a few bytes must not be able to
    claim terabytes)."""
    version = np.lib.format.read_magic(entry)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, fortran_order, dtype = read_header(entry)
    if dtype.kind not in "biuf":
        raise CheckpointError(f"array {name} has dtype {dtype}; checkpoints hold only "
                              "booleans, integers and floats (never Python objects)")
    count = math.prod(shape)
    claimed = count * dtype.itemsize
    held = size - entry.tell()
    if min(shape, default=0) < 0 or claimed != held:
        raise CheckpointError(f"array {name}: shape {shape} of {dtype} needs {claimed} bytes "
                              f"but the entry holds {held}")
    flat = np.empty(count, dtype=dtype)
    fill(entry, memoryview(flat.view(np.uint8)), name)
    return flat.reshape(shape, order="F" if fortran_order else "C")


def fill(entry, view, name):
    """Fill ``view`` from ``entry`` a chunk at a time (one ``readinto`` of the whole array
    would pass it through a temporary copy as large as the array)."""
    filled = 0
    while filled < len(view):
        got = entry.readinto(view[filled:filled + CHUNK_BYTES])
        if not got:
            raise CheckpointError(f"array {name} ends after {filled} of {len(view)} bytes")
        filled += got


def check_unpacked_size(path, total, file_size, max_bytes):
    """Refuse a file that unpacks to ``total`` bytes if that is more than ``max_bytes`` or
    ``MAX_RATIO`` times its ``file_size`` (the limits of every reader)."""
    if total > max_bytes:
        raise CheckpointError(f"load: {path} unpacks to {total} bytes, more than "
                              f"max_bytes={max_bytes}")
    if total > MAX_RATIO * file_size:
        raise CheckpointError(f"load: {path} unpacks to {total} bytes from {file_size} on "
                              f"disk, more than MAX_RATIO={MAX_RATIO} times its size (set "
                              "minigrad.data.checkpoint.MAX_RATIO higher to load it)")


def read(archive, path, file_size, max_bytes, backend=None):
    """The object in the minigrad checkpoint ``archive`` (an open zip file): limits, header,
    then the tree; tensors go to ``backend`` (None: where they were saved)."""
    infos = {info.filename: info for info in archive.infolist()}
    if HEADER not in infos:
        raise CheckpointError(f"load: {path} is not a minigrad checkpoint (no {HEADER})")
    if infos[HEADER].file_size > MAX_HEADER_BYTES:
        raise CheckpointError(f"load: {path}: the header claims {infos[HEADER].file_size} "
                              f"bytes, more than the {MAX_HEADER_BYTES} allowed")
    check_unpacked_size(path, sum(info.file_size for info in infos.values()), file_size,
                        max_bytes)
    try:
        header = json.loads(archive.read(HEADER))
    except (ValueError, zipfile.BadZipFile, EOFError, RecursionError) as err:
        raise CheckpointError(f"load: {path}: unreadable header ({err})") from err
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"load: {path} is not a minigrad checkpoint")
    if header.get("version") != VERSION:
        raise CheckpointError(f"load: {path} has format version {header.get('version')}; "
                              f"this minigrad reads version {VERSION}")

    used = set()

    def read_array(index):
        name = f"{index}.npy"
        if not isinstance(index, int) or name not in infos:
            raise CheckpointError(f"missing array entry {name}")
        if name in used:  # NOTE: else one entry named N times unpacks N times its size
            raise CheckpointError(f"array entry {name} is referenced twice")
        used.add(name)
        try:
            with archive.open(name) as entry:
                return _read_npy(entry, infos[name].file_size, name)
        except (ValueError, zipfile.BadZipFile, EOFError, OSError) as err:
            if isinstance(err, CheckpointError):
                raise
            raise CheckpointError(f"array {name} is unreadable ({err})") from err

    try:
        return _decode(header["tree"], read_array, backend)
    except (CheckpointError, KeyError, TypeError, ValueError, RecursionError) as err:
        # NOTE: a crafted header may be any JSON; every way it can be wrong ends here
        raise CheckpointError(f"load: {path}: not a valid minigrad checkpoint "
                              f"({type(err).__name__}: {err})") from err
