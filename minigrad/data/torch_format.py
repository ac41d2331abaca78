"""PyTorch's checkpoint format without PyTorch: the zip files ``torch.save`` writes, read and
written with NumPy and the standard library.

The archive's records sit in one folder (``archive/``): ``data.pkl``, a pickle of the saved
object in which each tensor is a call ``torch._utils._rebuild_tensor_v2(storage, offset,
size, stride, requires_grad, hooks)`` on a storage named by a persistent id; ``data/<key>``,
the raw bytes of each storage; ``byteorder`` (``little`` or ``big``); ``version``.

Reading (``read``): the pickle is scanned and unpickled into inert records by
``torch_unpickler`` (nothing it names ever runs), then each storage is unpacked once, straight
into its buffer, after checking that it is exactly as large as its record, and each tensor is
a checked view of it, copied into a minigrad tensor. The records' sizes are bounded like a
minigrad checkpoint's (``max_bytes``, ``checkpoint.MAX_RATIO`` times the file's size), and so
is the sum of the tensors built from them (views may overlap). Tensors that are one object in
the file (tied weights) are one tensor after loading; distinct views of one storage become
independent tensors. NumPy has no bfloat16: such tensors become float32, exactly.

Writing (``write``): the pickle of ``torch_pickler`` and one storage record per tensor, in
the layout ``torch.load(..., weights_only=True)`` reads.
"""

import collections
import math
import zipfile

import numpy as np

from minigrad import dtypes
from minigrad.backends import get_backend
from minigrad.data import checkpoint
from minigrad.data.checkpoint import CheckpointError
from minigrad.data.torch_pickler import STORAGE_NAMES, Pickler
from minigrad.data.torch_unpickler import (
    CounterRecord,
    StateDict,
    Storage,
    TensorRecord,
    TorchDType,
    scan,
    unpickle,
)
from minigrad.devices import device
from minigrad.errors import BackendError
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor

PICKLE = "data.pkl"
ARCHIVE = "archive/"
MAX_DIMS = 64  # NumPy's limit


def holds_pickle(names):
    """Whether zip entries ``names`` look like a ``torch.save`` archive."""
    return any(_is_pickle(name) for name in names)


def _is_pickle(name):
    folder, _, base = name.rpartition("/")
    return base == PICKLE and folder and "/" not in folder


def read(archive, path, file_size, max_bytes, backend=None):
    """The object in the ``torch.save`` archive ``archive`` (an open zip file); tensors go to
    ``backend`` (None: their saved device if this machine has it, else the CPU)."""
    infos = {info.filename: info for info in archive.infolist()}
    pickles = [name for name in infos if _is_pickle(name)]
    if len(pickles) != 1:
        raise CheckpointError(f"load: {path} is not a PyTorch checkpoint ({len(pickles)} "
                              f"{PICKLE} records, not one)")
    if infos[pickles[0]].file_size > checkpoint.MAX_HEADER_BYTES:
        raise CheckpointError(f"load: {path}: {pickles[0]} claims {infos[pickles[0]].file_size}"
                              f" bytes, more than the {checkpoint.MAX_HEADER_BYTES} allowed")
    checkpoint.check_unpacked_size(path, sum(info.file_size for info in infos.values()),
                                   file_size, max_bytes)
    budget = min(max_bytes, checkpoint.MAX_RATIO * file_size)
    try:
        prefix = pickles[0][:-len(PICKLE)]
        data = archive.read(pickles[0])
        scan(data)
        tree = unpickle(data)
        builder = _Builder(archive, infos, prefix, budget, backend)
        return builder.build(tree)
    except CheckpointError as err:
        raise CheckpointError(f"load: {path}: {err}") from None
    except (zipfile.BadZipFile, EOFError, OSError, RecursionError, TypeError, ValueError,
            OverflowError) as err:
        # NOTE: a crafted file can make NumPy or a container refuse its values; all end here
        raise CheckpointError(f"load: {path}: unreadable PyTorch checkpoint "
                              f"({type(err).__name__}: {err})") from err


# the containers the unpickler builds -> what they become
_CONTAINERS = {list: list, dict: dict, StateDict: collections.OrderedDict,
               CounterRecord: collections.Counter}


class _Builder:
    """Turns the unpickled records into minigrad objects, each object once (what the pickle
    shares stays shared, and a cycle ends)."""

    def __init__(self, archive, infos, prefix, budget, backend):
        self.archive, self.infos, self.prefix = archive, infos, prefix
        self.budget, self.backend = budget, backend
        self.order = _byteorder(archive, infos, prefix)
        self.storages = {}  # key -> its bytes, as a uint8 array
        self.built = {}  # id of an unpickled object -> what it became

    def build(self, obj):
        if obj is None or type(obj) in (bool, int, float, complex, str, bytes, bytearray, device):
            return obj
        if id(obj) in self.built:
            return self.built[id(obj)]
        kind = type(obj)
        if kind is TensorRecord:
            result = self.built[id(obj)] = self._tensor(obj)
        elif kind in _CONTAINERS:
            result = self.built[id(obj)] = _CONTAINERS[kind]()
            if kind is list:
                result.extend(self.build(item) for item in obj)
            else:
                for key, value in obj.items():  # NOTE: not update(): a Counter's would add
                    result[self.build(key)] = self.build(value)
            if kind is StateDict:
                self._restore_attributes(obj, result)
        elif kind in (tuple, set, frozenset):
            result = self.built[id(obj)] = kind(self.build(item) for item in obj)
        elif kind is TorchDType:
            result = _dtype(obj.name)
        else:
            raise CheckpointError(f"the pickle holds a {kind.__name__} as a value, which no "
                                  "weights-only checkpoint does")
        return result

    def _restore_attributes(self, obj, result):
        state = getattr(obj, "pickled_state", None) or {}
        if set(state) - {"_metadata"}:
            raise CheckpointError(f"the pickle sets attributes {sorted(map(str, state))} on "
                                  "an OrderedDict; a state dict has only _metadata")
        if state:
            result._metadata = self.build(state["_metadata"])

    def _tensor(self, record):
        storage, dtype = record.storage, record.dtype
        if not isinstance(storage, Storage):
            raise CheckpointError(f"a tensor views a {type(storage).__name__}, not a storage")
        name = storage.dtype if dtype is None else getattr(dtype, "name", None)
        if name is None or storage.dtype not in (None, name):
            raise CheckpointError(f"tensor on storage {storage.key} has no consistent dtype "
                                  f"(storage {storage.dtype}, tensor {name})")
        if name != "bfloat16" and name not in STORAGE_NAMES:
            raise CheckpointError(f"a tensor has dtype torch.{name}, which minigrad lacks")
        if record.requires_grad is True and not name.startswith(("float", "bfloat")):
            raise CheckpointError(f"a tensor of dtype torch.{name} requires grad")
        size, stride, offset = record.size, record.stride, record.offset
        if not (_dims(size) and _dims(stride) and len(size) == len(stride) <= MAX_DIMS
                and type(offset) is int and offset >= 0 and type(record.requires_grad) is bool):
            raise CheckpointError(f"malformed tensor: size {size!r:.80}, stride "
                                  f"{stride!r:.80}, offset {offset!r:.40}")
        element = np.dtype("<u2" if name == "bfloat16" else name).newbyteorder(self.order)
        raw = self._storage(storage)
        if raw.size % element.itemsize:
            raise CheckpointError(f"storage {storage.key} of {raw.size} bytes is viewed as "
                                  f"{name}, of {element.itemsize} bytes each")
        elements = raw.view(element)
        count = math.prod(size)
        self._spend(count * (4 if name == "bfloat16" else element.itemsize))
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if count and last >= elements.size:
            raise CheckpointError(f"a tensor of size {size} views element {last} of storage "
                                  f"{storage.key}, which holds {elements.size}")
        array = (np.lib.stride_tricks.as_strided(
            elements[offset:], shape=size, writeable=False,
            strides=[s * element.itemsize if n > 1 else 0 for n, s in zip(size, stride)])
            if count else np.empty(size, element))
        if name == "bfloat16":  # NOTE: bfloat16 is the top half of a float32's bits
            array = (array.astype(np.uint32) << 16).view(np.float32)
        elif not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        return self._wrap(array, storage.location, record)

    def _wrap(self, array, location, record):
        """``array`` copied into a tensor (or a Parameter) on the target backend."""
        backend = self.backend if self.backend is not None else _backend_for(location)
        tensor = Tensor(array, backend=backend, requires_grad=record.requires_grad)
        return Parameter(tensor, record.requires_grad) if record.parameter else tensor

    def _storage(self, storage):
        """The bytes of ``storage``, unpacked on first use straight into their buffer."""
        name = f"{self.prefix}data/{storage.key}"
        info = self.infos.get(name)
        if info is None:
            raise CheckpointError(f"storage {storage.key!r:.40} has no record {name!r:.80}")
        if info.file_size != storage.nbytes:
            raise CheckpointError(f"storage {storage.key} declares {storage.nbytes} bytes but "
                                  f"its record holds {info.file_size}")
        if storage.key not in self.storages:
            raw = np.empty(info.file_size, np.uint8)
            with self.archive.open(info) as entry:
                checkpoint.fill(entry, memoryview(raw), name)
            self.storages[storage.key] = raw
        return self.storages[storage.key]

    def _spend(self, nbytes):
        self.budget -= nbytes
        if self.budget < 0:
            raise CheckpointError("its tensors need more memory than max_bytes and MAX_RATIO "
                                  "times the file's size allow (views of one storage can "
                                  "claim more than it holds)")


def _dims(values):
    return isinstance(values, tuple) and all(type(n) is int and n >= 0 for n in values)


def _dtype(name):
    try:
        return dtypes.from_name(name)
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"the pickle names dtype torch.{name}, which minigrad "
                              "lacks") from None


def _byteorder(archive, infos, prefix):
    """``"<"`` or ``">"``, from the ``byteorder`` record (files without one are little)."""
    info = infos.get(f"{prefix}byteorder")
    if info is None:
        return "<"
    text = archive.read(info) if info.file_size <= 16 else b""
    if text not in (b"little", b"big"):
        raise CheckpointError(f"byteorder record {text!r:.20} is neither little nor big")
    return "<" if text == b"little" else ">"


def _backend_for(location):
    """The backend of a saved location (``"cpu"``, ``"cuda:0"``): that device if this
    machine has it, else the CPU, as minigrad's own checkpoints do."""
    try:
        return get_backend(location)
    except BackendError:
        return get_backend("cpu")


# ------------------------------------------------------------------------------- writing
def write(obj, file):
    """Write ``obj`` (dicts, OrderedDicts, lists, tuples, numbers, strings, None, tensors and
    arrays) to the open binary ``file`` in ``torch.save``'s format."""
    pickler = Pickler()
    data = pickler.dumps(obj)
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(ARCHIVE + PICKLE, data)
        archive.writestr(ARCHIVE + "byteorder", "little")
        for key, array in enumerate(pickler.storages):
            archive.writestr(f"{ARCHIVE}data/{key}", memoryview(array.reshape(-1)).cast("B"))
        archive.writestr(ARCHIVE + "version", "3\n")
        archive.writestr(ARCHIVE + ".format_version", "1")
