"""Backend registry: which array libraries minigrad can use, and which one new tensors use.

``available_backends()`` lists those usable on this machine, ``set_default_backend(name)``
picks where new tensors live, ``get_backend(name)`` hands the Backend object to ops.

Devices are PyTorch's names for the same choice, and every function here takes one where
it takes a backend name: ``"cpu"`` (or ``mg.device("cpu")``) is the default CPU backend,
the default backend when that is NumPy or Numba and NumPy otherwise, so a program that
picks Numba once keeps it; ``"cuda"`` is CuPy, on CuPy's current GPU.
"""

from minigrad.backends.base import Backend, checked_seed
from minigrad.backends.cupy_backend import CupyBackend
from minigrad.backends.numba_backend import NumbaBackend
from minigrad.backends.numpy_backend import NumpyBackend
from minigrad.devices import device, parse
from minigrad.errors import BackendError

# name -> Backend subclass; instances are made on first use, so a backend whose library is
# missing costs nothing until asked for.
_CLASSES = {"numpy": NumpyBackend, "numba": NumbaBackend, "cupy": CupyBackend}
_DEVICE_TYPES = {"numpy": "cpu", "numba": "cpu", "cupy": "cuda"}
_CPU = device("cpu")
_instances = {}
_default = "numpy"
_seed = None  # the last mg.manual_seed, applied to backends created after it too


def available_backends():
    """Names of the backends usable on this machine, the reference ``"numpy"`` first."""
    return [name for name, cls in _CLASSES.items() if cls.is_available()]


def get_backend(name=None):
    """The Backend object called ``name`` (the default backend when ``None``)."""
    name = _default if name is None else name
    backend = _instances.get(name)
    if backend is not None:
        return backend
    if isinstance(name, Backend):
        return name
    cls = _CLASSES.get(name)
    if cls is None:
        return _backend_of_device(name)
    if not cls.is_available():
        raise BackendError(f"backend {name!r} is not usable here; install it with: "
                           f"{cls.install_hint}")
    backend = _instances[name] = cls()
    if _seed is not None:
        backend.manual_seed(_seed)
    return backend


def is_backend_name(name):
    """Whether ``name`` is a backend's own name (``"numba"``), not a device (``"cpu"``)."""
    return type(name) is str and name in _CLASSES


def _backend_of_device(name):
    """The backend a device names (``"cpu"``, ``"cuda:0"``, ``mg.device("cuda")``)."""
    try:
        kind, index = parse(name)
    except (RuntimeError, TypeError):  # not a device string, or not a string at all
        raise BackendError(f"unknown backend {name!r}; known backends: {', '.join(_CLASSES)} "
                           f"(devices: 'cpu', 'cuda'), usable here: "
                           f"{', '.join(available_backends())}") from None
    if kind == "cpu":
        return get_backend(cpu_backend_name())
    if not _CLASSES["cupy"].is_available():
        raise BackendError(f"device {str(name)!r} is the CuPy backend, which is not usable "
                           f"here; install it with: {_CLASSES['cupy'].install_hint}")
    backend = get_backend("cupy")
    current = _cuda_index(backend)
    if index is not None and index != current:
        raise BackendError(f"device {str(name)!r}: minigrad uses one GPU, CuPy's current "
                           f"device (cuda:{current}); select another with "
                           f"cupy.cuda.Device({index}).use() before making tensors")
    return backend


def _cuda_index(backend):
    """The index of the GPU the CuPy backend computes on."""
    return backend.xp.cuda.runtime.getDevice()


def cpu_backend_name():
    """The backend ``"cpu"`` names: the default backend if it lives on the CPU, else NumPy."""
    return _default if _DEVICE_TYPES[_default] == "cpu" else "numpy"


def device_of(backend):
    """The ``mg.device`` of tensors on ``backend``: ``cpu`` for NumPy and Numba, ``cuda:N``
    for CuPy."""
    if _DEVICE_TYPES[backend.name] == "cpu":
        return _CPU
    return device("cuda", _cuda_index(backend))


def set_default_backend(name):
    """Make new tensors live on backend ``name`` (checked at once); a device works too."""
    global _default
    _default = get_backend(name).name


def set_default_device(device):
    """Make new tensors live on ``device`` (``None``: the CPU), as ``torch.set_default_device``."""
    set_default_backend("cpu" if device is None else device)


def get_default_device():
    """The ``mg.device`` new tensors are made on, as ``torch.get_default_device``."""
    return device_of(get_backend())


def get_default_backend():
    """The name of the backend new tensors use."""
    return _default


def manual_seed(seed):
    """Seed the random generator of every backend in use (and of any created later)."""
    global _seed
    _seed = checked_seed(seed)
    for backend in _instances.values():
        backend.manual_seed(seed)


def get_rng_state():
    """The random state of every backend in use, by name (save it to resume bit for bit)."""
    return {name: backend.get_rng_state() for name, backend in _instances.items()}


def set_rng_state(state):
    """Restore what ``get_rng_state`` returned."""
    for name, backend_state in state.items():
        get_backend(name).set_rng_state(backend_state)


__all__ = ["Backend", "available_backends", "cpu_backend_name", "device_of", "get_backend",
           "get_default_backend", "get_default_device", "get_rng_state", "is_backend_name",
           "manual_seed",
           "set_default_backend", "set_default_device", "set_rng_state"]
