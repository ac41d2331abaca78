"""Ways to make tensors: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``randn``,
``rand`` and the ``*_like`` forms. Random ones draw from the backend's seeded generator, or
from an ``mg.Generator`` passed as ``generator=``."""

from minigrad import dtypes
from minigrad.backends import cpu_backend_name, get_backend
from minigrad.random import host_generator
from minigrad.tensor import Tensor
from minigrad.tensor_methods._forwarding import shape_args


def tensor(data, dtype=None, requires_grad=False, backend=None, *, device=None):
    """A new tensor holding a copy of ``data`` (floats become float32 unless ``dtype``)."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad,
                  backend=_place(backend, device))


def _place(backend, device):
    """Where a new tensor goes: ``backend=`` or PyTorch's ``device=`` (two names for one
    choice, so not both); ``None`` is the default backend."""
    if device is None:
        return backend
    if backend is not None:
        raise ValueError(f"pass backend= or device=, not both (got backend={backend!r}, "
                         f"device={device!r})")
    return device


_DLPACK_CUDA = 2  # the device type DLPack gives CUDA memory


def from_dlpack(obj, backend=None):
    """A tensor sharing memory with a PyTorch, CuPy or NumPy array (no copy): CPU memory
    lands on the default CPU backend, CUDA memory on ``"cupy"``."""
    if backend is None:
        on_gpu = obj.__dlpack_device__()[0] == _DLPACK_CUDA
        backend = "cupy" if on_gpu else cpu_backend_name()
    b = get_backend(backend)
    return Tensor._make(b.from_dlpack(obj), b)


def _new(array, backend, requires_grad):
    t = Tensor._make(array, backend)
    return t.requires_grad_() if requires_grad else t


def _dtype_name(dtype):
    dtype = dtypes.default_float if dtype is None else dtypes.as_dtype(dtype)
    return dtype.name


def full(*shape, fill_value=None, dtype=None, requires_grad=False, backend=None, device=None):
    """A tensor of ``shape`` filled with ``fill_value``; called as ``full(shape, value)``."""
    if fill_value is None:  # torch.full(size, fill_value): the value is the last positional
        *shape, fill_value = shape
    if dtype is None and isinstance(fill_value, bool):
        dtype = dtypes.bool
    elif dtype is None and isinstance(fill_value, int):
        dtype = dtypes.int64
    b = get_backend(_place(backend, device))
    array = b.xp.full(shape_args(shape), fill_value, dtype=_dtype_name(dtype))
    return _new(array, b, requires_grad)


def zeros(*shape, dtype=None, requires_grad=False, backend=None, device=None):
    return full(*shape_args(shape), 0.0, dtype=dtype, requires_grad=requires_grad,
                backend=backend, device=device)


def ones(*shape, dtype=None, requires_grad=False, backend=None, device=None):
    return full(*shape_args(shape), 1.0, dtype=dtype, requires_grad=requires_grad,
                backend=backend, device=device)


def zeros_like(t, dtype=None, requires_grad=False, *, device=None):
    """Zeros shaped like ``t``, on ``t``'s backend unless ``device`` says otherwise."""
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad,
                 backend=t._backend if device is None else get_backend(device))


def ones_like(t, dtype=None, requires_grad=False, *, device=None):
    """Ones shaped like ``t``, on ``t``'s backend unless ``device`` says otherwise."""
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad,
                backend=t._backend if device is None else get_backend(device))


def arange(start, end=None, step=1, dtype=None, requires_grad=False, backend=None,
           device=None):
    """Values from start (default 0) up to end, as ``torch.arange`` (ints give int64)."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, int) for v in (start, end, step))
        dtype = dtypes.int64 if integral else dtypes.default_float
    b = get_backend(_place(backend, device))
    array = b.xp.arange(start, end, step, dtype=dtypes.as_dtype(dtype).name)
    return _new(array, b, requires_grad)


def _random(op, method, shape, generator, dtype, requires_grad, backend):
    """``op``'s draws by ``method`` of the backend's shared generator, or of ``generator``'s
    (on the host, then moved to the backend)."""
    b = get_backend(backend)
    size, dtype_name = shape_args(shape), _dtype_name(dtype)
    if generator is None:
        array = getattr(b.rng, method)(size, dtype=dtype_name)
    else:
        host = host_generator(generator, op, b)
        array = b.asarray(getattr(host, method)(size, dtype=dtype_name))
    return _new(array, b, requires_grad)


def randn(*shape, generator=None, dtype=None, requires_grad=False, backend=None, device=None):
    """Standard normal samples from ``generator`` (an ``mg.Generator``), by default from the
    backend's shared generator (``mg.manual_seed`` seeds it)."""
    return _random("randn", "standard_normal", shape, generator, dtype, requires_grad,
                   _place(backend, device))


def rand(*shape, generator=None, dtype=None, requires_grad=False, backend=None, device=None):
    """Uniform samples in [0, 1) from ``generator``, by default the backend's shared one."""
    return _random("rand", "random", shape, generator, dtype, requires_grad,
                   _place(backend, device))
