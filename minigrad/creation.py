"""Ways to make tensors: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``randn``,
``rand`` and the ``*_like`` forms. Random ones draw from the backend's seeded generator."""

from minigrad import dtypes
from minigrad.backends import get_backend, get_default_backend
from minigrad.tensor import Tensor
from minigrad.tensor_methods import shape_args


def tensor(data, dtype=None, requires_grad=False, backend=None):
    """A new tensor holding a copy of ``data`` (floats become float32 unless ``dtype``)."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, backend=backend)


_DLPACK_CUDA = 2  # the device type DLPack gives CUDA memory


def from_dlpack(obj, backend=None):
    """A tensor sharing memory with a PyTorch, CuPy or NumPy array (no copy): CPU memory
    lands on the default CPU backend, CUDA memory on ``"cupy"``."""
    if backend is None:
        on_gpu = obj.__dlpack_device__()[0] == _DLPACK_CUDA
        backend = "cupy" if on_gpu else _cpu_backend_name()
    b = get_backend(backend)
    return Tensor._make(b.from_dlpack(obj), b)


def _cpu_backend_name():
    """The default backend if it lives on the CPU, else NumPy."""
    name = get_default_backend()
    return "numpy" if name == "cupy" else name


def _new(array, backend, requires_grad):
    t = Tensor._make(array, backend)
    return t.requires_grad_() if requires_grad else t


def _dtype_name(dtype):
    dtype = dtypes.default_float if dtype is None else dtypes.as_dtype(dtype)
    return dtype.name


def full(*shape, fill_value=None, dtype=None, requires_grad=False, backend=None):
    """A tensor of ``shape`` filled with ``fill_value``; called as ``full(shape, value)``."""
    if fill_value is None:  # torch.full(size, fill_value): the value is the last positional
        *shape, fill_value = shape
    if dtype is None and isinstance(fill_value, bool):
        dtype = dtypes.bool
    elif dtype is None and isinstance(fill_value, int):
        dtype = dtypes.int64
    b = get_backend(backend)
    array = b.xp.full(shape_args(shape), fill_value, dtype=_dtype_name(dtype))
    return _new(array, b, requires_grad)


def zeros(*shape, dtype=None, requires_grad=False, backend=None):
    return full(*shape_args(shape), 0.0, dtype=dtype, requires_grad=requires_grad,
                backend=backend)


def ones(*shape, dtype=None, requires_grad=False, backend=None):
    return full(*shape_args(shape), 1.0, dtype=dtype, requires_grad=requires_grad,
                backend=backend)


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad,
                 backend=t.backend)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, backend=t.backend)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, backend=None):
    """Values from start (default 0) up to end, as ``torch.arange`` (ints give int64)."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, int) for v in (start, end, step))
        dtype = dtypes.int64 if integral else dtypes.default_float
    b = get_backend(backend)
    array = b.xp.arange(start, end, step, dtype=dtypes.as_dtype(dtype).name)
    return _new(array, b, requires_grad)


def randn(*shape, dtype=None, requires_grad=False, backend=None):
    """Standard normal samples from the backend's generator (``mg.manual_seed`` seeds it)."""
    b = get_backend(backend)
    array = b.rng.standard_normal(shape_args(shape), dtype=_dtype_name(dtype))
    return _new(array, b, requires_grad)


def rand(*shape, dtype=None, requires_grad=False, backend=None):
    """Uniform samples in [0, 1) from the backend's generator."""
    b = get_backend(backend)
    array = b.rng.random(shape_args(shape), dtype=_dtype_name(dtype))
    return _new(array, b, requires_grad)
