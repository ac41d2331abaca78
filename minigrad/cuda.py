"""``mg.cuda``: what PyTorch programs ask ``torch.cuda``, answered by the CuPy backend.

``"cuda"`` is minigrad's CuPy backend, so CUDA is available exactly where that backend is
usable (CuPy installed and a GPU found). The seeding functions are safe to call anywhere, as
in PyTorch: without a GPU they do nothing.
"""

from minigrad.backends import _CLASSES, device_of, get_backend
from minigrad.devices import device as as_device
from minigrad.errors import BackendError

__all__ = ["is_available", "device_count", "current_device", "synchronize", "manual_seed",
           "manual_seed_all", "empty_cache"]


def is_available():
    """Whether ``"cuda"`` tensors can be made here (the CuPy backend is usable)."""
    return _CLASSES["cupy"].is_available()


def _backend():
    """The CuPy backend; without one, an error that says what to install."""
    if not is_available():
        raise BackendError(f"CUDA is not available here: minigrad's 'cuda' is the CuPy "
                           f"backend; install it with: {_CLASSES['cupy'].install_hint}")
    return get_backend("cupy")


def device_count():
    """The number of GPUs CuPy sees (0 without CuPy or a GPU)."""
    if not is_available():
        return 0
    return _backend().xp.cuda.runtime.getDeviceCount()


def current_device():
    """The index of the GPU the CuPy backend computes on."""
    return device_of(_backend()).index


def _index(device):
    """The GPU index ``device`` names (an int, ``"cuda:1"``, ``mg.device``; ``None``: current)."""
    if device is None:
        return current_device()
    if isinstance(device, int):
        return device
    index = as_device(device).index
    return current_device() if index is None else index


def synchronize(device=None):
    """Wait until the GPU has finished everything queued (before reading a timer)."""
    _backend().xp.cuda.Device(_index(device)).synchronize()


def manual_seed(seed):
    """Seed the GPU's random numbers; silently nothing without a GPU, as in PyTorch.

    NOTE: CuPy's random numbers are drawn by a NumPy generator on the host and copied over
    (see ``CupyBackend``), so this seeds that generator."""
    if is_available():
        get_backend("cupy").manual_seed(int(seed))


def manual_seed_all(seed):
    """Seed every GPU's random numbers (minigrad uses one GPU: as ``manual_seed``)."""
    manual_seed(seed)


def empty_cache():
    """Hand the GPU memory CuPy holds in its pool, but no tensor uses, back to the driver."""
    if is_available():
        get_backend("cupy").xp.get_default_memory_pool().free_all_blocks()
