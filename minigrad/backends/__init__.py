"""Backend registry: which array libraries minigrad can use, and which one new tensors use.

``available_backends()`` lists those usable on this machine, ``set_default_backend(name)``
picks where new tensors live, ``get_backend(name)`` hands the Backend object to ops.
"""

from minigrad.backends.base import Backend
from minigrad.backends.cupy_backend import CupyBackend
from minigrad.backends.numba_backend import NumbaBackend
from minigrad.backends.numpy_backend import NumpyBackend
from minigrad.errors import BackendError

# name -> Backend subclass; instances are made on first use, so a backend whose library is
# missing costs nothing until asked for.
_CLASSES = {"numpy": NumpyBackend, "numba": NumbaBackend, "cupy": CupyBackend}
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
        raise BackendError(f"unknown backend {name!r}; known backends: "
                           f"{', '.join(_CLASSES)}, usable here: "
                           f"{', '.join(available_backends())}")
    if not cls.is_available():
        raise BackendError(f"backend {name!r} is not usable here; install it with: "
                           f"{cls.install_hint}")
    backend = _instances[name] = cls()
    if _seed is not None:
        backend.manual_seed(_seed)
    return backend


def set_default_backend(name):
    """Make new tensors live on backend ``name`` (checked at once)."""
    global _default
    get_backend(name)
    _default = name


def get_default_backend():
    """The name of the backend new tensors use."""
    return _default


def manual_seed(seed):
    """Seed the random generator of every backend in use (and of any created later)."""
    global _seed
    _seed = seed
    for backend in _instances.values():
        backend.manual_seed(seed)


def get_rng_state():
    """The random state of every backend in use, by name (save it to resume bit for bit)."""
    return {name: backend.get_rng_state() for name, backend in _instances.items()}


def set_rng_state(state):
    """Restore what ``get_rng_state`` returned."""
    for name, backend_state in state.items():
        get_backend(name).set_rng_state(backend_state)


__all__ = ["Backend", "available_backends", "get_backend", "get_default_backend",
           "get_rng_state", "manual_seed", "set_default_backend", "set_rng_state"]
