"""``mg.accelerator``: PyTorch's device-agnostic questions about the accelerator, answered
for the only one minigrad knows, the GPU behind the CuPy backend (``"cuda"``).

Code written as ``if mg.accelerator.is_available(): model.to(mg.accelerator.current_accelerator())``
runs unchanged: on a machine without a usable CuPy backend there is no accelerator.
"""

from minigrad import cuda
from minigrad.devices import device as as_device

__all__ = ["current_accelerator", "current_device_index", "device_count", "is_available",
           "synchronize"]

_NONE = "Cannot access accelerator device when none is available."


def is_available():
    """Whether an accelerator can be used here: the CuPy backend is installed and sees a GPU."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """``mg.device("cuda")`` where the CuPy backend is usable, ``None`` elsewhere.

    ``check_available`` is accepted for PyTorch's signature; minigrad only ever reports an
    accelerator it can use, so both answers are the same."""
    return as_device("cuda") if cuda.is_available() else None


def device_count():
    """The number of GPUs the CuPy backend sees (0 without one)."""
    return cuda.device_count()


def _require():
    if not cuda.is_available():
        raise RuntimeError(_NONE)


def current_device_index():
    """The index of the GPU the CuPy backend computes on."""
    _require()
    return cuda.current_device()


def synchronize(device=None, /):
    """Wait until the GPU (``device``: an index, ``"cuda:1"``, an ``mg.device``; ``None``:
    the current one) has finished all queued work, e.g. before reading a timer."""
    _require()
    if device is not None and not isinstance(device, int) and as_device(device).type != "cuda":
        raise ValueError(f"synchronize: {device!r} is not the accelerator's device type, cuda")
    cuda.synchronize(device)
