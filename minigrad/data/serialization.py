"""``mg.save`` / ``mg.load``, as ``torch.save`` / ``torch.load``, in three formats:

- ``"minigrad"`` (``checkpoint``): minigrad's own zip of ``.npy`` arrays and a JSON header;
  any nesting of dicts, lists, tuples, numbers, strings, arrays and tensors.
- ``"torch"`` (``torch_format``): the zip files ``torch.save`` writes, read through an
  allow-list unpickler that never runs what the file names, and written without PyTorch.
- ``"safetensors"`` (``safetensors_format``): a flat dict of tensors, through the
  ``safetensors`` package.

``save`` picks the format from the suffix (``.pt`` and ``.pth``: torch; ``.safetensors``;
anything else: minigrad) unless ``format=`` names one. ``load`` reads what the file holds
(a zip with ``header.json`` is minigrad's, one with ``<folder>/data.pkl`` PyTorch's), so
the suffix only decides which reader explains why an unreadable file is refused. Saves are
atomic and every reader is bounded by the limits of ``checkpoint``.
"""

import errno
import os
import zipfile
import zlib

from minigrad.backends import get_backend
from minigrad.data import checkpoint, safetensors_format, torch_format
from minigrad.data.checkpoint import CheckpointError, CheckpointNotFoundError

try:
    from lzma import LZMAError
except ImportError:  # NOTE: a Python without lzma, whose zipfile cannot open such entries
    LZMAError = NotImplementedError

FORMATS = ("minigrad", "torch", "safetensors")
SUFFIXES = {".pt": "torch", ".pth": "torch", ".safetensors": "safetensors"}
_NAMES = {"minigrad": "minigrad", "torch": "PyTorch", "safetensors": ".safetensors"}
_WRITERS = {"minigrad": checkpoint.write, "torch": torch_format.write,
            "safetensors": safetensors_format.write}
# NOTE: what zipfile raises for a corrupt, encrypted or unsupported entry (CRC, version or
# compression method, a deflate stream that does not decode)
_ZIP_ERRORS = (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError,
               UnicodeDecodeError, zlib.error, LZMAError)
# NOTE: how pickle.dump(obj, protocol=2) starts: a bare pickle, or torch.save before 1.6
_PICKLE_START = b"\x80\x02"


def save(obj, f, *, format=None):
    """Write ``obj`` to the path ``f`` atomically, in ``format`` (by default chosen by the
    suffix: see the module's docstring). A PyTorch file loads with ``torch.load(f,
    weights_only=True)``; a ``.safetensors`` file holds a flat dict of tensors only."""
    path = os.fspath(f)
    write = _WRITERS[_checked(format) or SUFFIXES.get(_suffix(path), "minigrad")]
    checkpoint.write_atomically(path, lambda file: write(obj, file))


def load(f, map_location=None, *, weights_only=None, format=None, max_bytes=2 ** 33):
    """Read a file written by ``save``, by ``torch.save`` or as ``.safetensors``.

    Tensors come back as minigrad tensors (arrays saved in a minigrad checkpoint as NumPy
    arrays), on ``map_location`` if given (a device or backend name, such as ``"cpu"``),
    else where they were saved if this machine has that backend, else on the CPU. Nothing in
    the file is ever executed: ``weights_only=True`` (PyTorch's default) is what minigrad
    always does, and ``weights_only=False`` is refused. A missing file raises
    ``CheckpointNotFoundError`` (a ``FileNotFoundError``); anything else unreadable raises
    ``CheckpointError`` naming the problem, before any large read. The unpacked size is
    bounded by ``max_bytes`` and ``checkpoint.MAX_RATIO`` times the file's size."""
    if weights_only is False:
        raise ValueError("load: weights_only=False is not supported: it would unpickle "
                         "arbitrary objects, which can run any code the file holds, and "
                         "minigrad never does; tensors, state dicts and plain values load "
                         "with weights_only=True")
    backend = None if map_location is None else _backend_of(map_location)
    path, kind = os.fspath(f), _checked(format)
    try:
        file = open(path, "rb")
    except FileNotFoundError as err:
        raise CheckpointNotFoundError(errno.ENOENT, "load: no checkpoint file", path) from err
    except OSError as err:
        raise CheckpointError(f"load: {path} cannot be read ({err})") from err
    with file:
        size = os.fstat(file.fileno()).st_size
        try:
            archive, zip_error = zipfile.ZipFile(file), None
        except _ZIP_ERRORS as err:
            archive, zip_error = None, err
        kind = kind or _identify(archive, file, size, path)
        if kind == "safetensors":
            if archive is not None:
                archive.close()
            file.seek(0)
            return safetensors_format.read(file, path, size, max_bytes, backend)
        if archive is None:
            raise CheckpointError(f"load: {path} is not a {_NAMES[kind]} checkpoint (not a "
                                  f"readable zip archive: {zip_error}){_legacy(file, kind)}")
        reader = torch_format.read if kind == "torch" else checkpoint.read
        try:
            with archive:
                return reader(archive, path, size, max_bytes, backend)
        except CheckpointError:
            raise
        except _ZIP_ERRORS as err:
            raise CheckpointError(f"load: {path}: a corrupt or unsupported zip entry "
                                  f"({type(err).__name__}: {err})") from err


def _checked(name):
    if name is not None and name not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(map(repr, FORMATS))}, not "
                         f"{name!r}")
    return name


def _suffix(path):
    return os.path.splitext(path)[1].lower()


def _identify(archive, file, size, path):
    """The format of an open file: from what it holds, else from its suffix."""
    if archive is not None:
        names = archive.namelist()
        if checkpoint.HEADER in names:
            return "minigrad"
        if torch_format.holds_pickle(names):
            return "torch"
    else:
        file.seek(0)
        if safetensors_format.looks_like(file.read(9), size):
            return "safetensors"
    return SUFFIXES.get(_suffix(path), "minigrad")


def _legacy(file, kind):
    """A hint for a PyTorch file that is a bare pickle (which minigrad never reads)."""
    file.seek(0)
    if kind != "torch" or file.read(len(_PICKLE_START)) != _PICKLE_START:
        return ""
    return ("; it is a bare pickle, as torch.save wrote before PyTorch 1.6 or with "
            "_use_new_zipfile_serialization=False: save it again with a recent torch.save")


def _backend_of(map_location):
    if not isinstance(map_location, str):  # NOTE: mg.device is a str
        raise TypeError(f"load: map_location must be a device or backend name such as "
                        f"'cpu', not a {type(map_location).__name__}")
    return get_backend(map_location)
