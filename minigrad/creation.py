"""Ways to make tensors of given values: ``tensor``, ``as_tensor``, ``from_numpy``,
``zeros``, ``ones``, ``full``, ``empty``, ``eye``, ``arange``, ``linspace``, ``logspace`` and
the ``*_like`` forms. The random ones are in ``minigrad.creation_random``.

Where a new tensor goes is ``backend=`` (minigrad's name) or ``device=`` (PyTorch's); its
float dtype, unless given, is ``dtypes.default_float``, read when the tensor is made."""

import numbers
import operator

from minigrad import dtypes
from minigrad.backends import cpu_backend_name, get_backend
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


def _place_like(input, backend, device):
    """Where a ``*_like`` tensor goes: ``input``'s backend unless one is named."""
    return input._backend if backend is None and device is None else _place(backend, device)


_DLPACK_CUDA = 2  # the device type DLPack gives CUDA memory


def from_dlpack(obj, backend=None, *, device=None):
    """A tensor sharing memory with a PyTorch, CuPy or NumPy array (no copy): CPU memory
    lands on the default CPU backend, CUDA memory on ``"cupy"``, unless ``backend=`` or
    ``device=`` names the place (one where that memory lives)."""
    backend = _place(backend, device)
    if backend is None:
        on_gpu = obj.__dlpack_device__()[0] == _DLPACK_CUDA
        backend = "cupy" if on_gpu else cpu_backend_name()
    b = get_backend(backend)
    return Tensor._make(b.from_dlpack(obj), b)


def from_numpy(ndarray):
    """A CPU tensor sharing memory with the NumPy array ``ndarray``, as ``torch.from_numpy``:
    writes to either show in the other. It lands on the default CPU backend (NumPy or
    Numba, whose arrays are NumPy arrays), so the memory is always shared; ``.to("cuda")``
    copies it to the GPU."""
    b = get_backend(cpu_backend_name())
    if not b.is_array(ndarray) or b.xp.isscalar(ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    try:
        dtypes.of_array(ndarray)
    except TypeError as err:
        raise TypeError(f"from_numpy: can't convert an array of dtype {ndarray.dtype}: "
                        f"{err}") from None
    return Tensor._make(ndarray, b)


def as_tensor(data, *, dtype=None, device=None, backend=None):
    """``data`` as a tensor, copying only when needed, as ``torch.as_tensor``: a tensor
    already of that dtype and backend is returned itself (else converted as by ``.to``);
    an array of the backend (a NumPy array on NumPy or Numba, a CuPy array on CuPy) is
    shared when its dtype fits; anything else is copied as by ``tensor``."""
    target = None if backend is None and device is None else get_backend(_place(backend,
                                                                                device))
    if isinstance(data, Tensor):
        return data.to(data._backend if target is None else target, dtype=dtype)
    b = get_backend() if target is None else target
    if b.is_array(data) and not b.xp.isscalar(data):
        array = data if dtype is None else data.astype(dtypes.as_dtype(dtype).name, copy=False)
        dtypes.of_array(array)  # NOTE: a dtype minigrad lacks raises here, naming it
        return Tensor._make(array, b)
    return tensor(data, dtype=dtype, backend=b)


def _new(array, backend, requires_grad):
    t = Tensor._make(array, backend)
    return t.requires_grad_() if requires_grad else t


def _dtype_name(dtype):
    dtype = dtypes.default_float if dtype is None else dtypes.as_dtype(dtype)
    return dtype.name


def integer(op, name, value):
    """``value`` as an int (a Python or NumPy integer, not a bool or a float), or PyTorch's
    TypeError naming the argument."""
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise TypeError(f"{op}: argument '{name}' must be int, not {type(value).__name__}")
    return operator.index(value)


def checked_size(op, shape):
    """``shape`` (``f(2, 3)`` or ``f((2, 3))``) as a tuple of non-negative ints."""
    size = tuple(integer(op, "size", n) for n in shape_args(shape))
    if any(n < 0 for n in size):
        raise RuntimeError(f"{op}: trying to create a tensor with negative dimension "
                           f"{min(size)}: {list(size)}")
    return size


def _filled(op, shape, fill_value, dtype, requires_grad, backend):
    # NOTE: NumPy's bool is no numbers.Number, but converts to float as numbers do
    if not (isinstance(fill_value, numbers.Number) or hasattr(type(fill_value), "__float__")):
        raise TypeError(f"{op}: fill_value must be a number, got {type(fill_value).__name__} "
                        f"{fill_value!r}")
    b = get_backend(backend)
    array = b.xp.full(checked_size(op, shape), fill_value, dtype=_dtype_name(dtype))
    return _new(array, b, requires_grad)


def full(*shape, fill_value=None, dtype=None, requires_grad=False, backend=None, device=None):
    """A tensor of ``shape`` filled with ``fill_value``; called as ``full(shape, value)``.
    The dtype follows the value (bool, int64, or the default float) unless given."""
    if fill_value is None:  # torch.full(size, fill_value): the value is the last positional
        *shape, fill_value = shape
    if dtype is None and isinstance(fill_value, bool):
        dtype = dtypes.bool
    elif dtype is None and isinstance(fill_value, int):
        dtype = dtypes.int64
    return _filled("full", shape, fill_value, dtype, requires_grad, _place(backend, device))


def zeros(*shape, dtype=None, requires_grad=False, backend=None, device=None):
    return _filled("zeros", shape, 0, dtype, requires_grad, _place(backend, device))


def ones(*shape, dtype=None, requires_grad=False, backend=None, device=None):
    return _filled("ones", shape, 1, dtype, requires_grad, _place(backend, device))


def empty(*shape, dtype=None, requires_grad=False, backend=None, device=None):
    """A tensor of ``shape`` whose values are not to be relied on, as ``torch.empty``;
    minigrad's are zeros (NOTE: uninitialized memory would make runs differ)."""
    return _filled("empty", shape, 0, dtype, requires_grad, _place(backend, device))


def zeros_like(input, *, dtype=None, requires_grad=False, backend=None, device=None):
    """Zeros shaped like ``input``, in its dtype and on its backend unless given."""
    return _filled("zeros_like", input.shape, 0, dtype or input.dtype, requires_grad,
                   _place_like(input, backend, device))


def ones_like(input, *, dtype=None, requires_grad=False, backend=None, device=None):
    """Ones shaped like ``input``, in its dtype and on its backend unless given."""
    return _filled("ones_like", input.shape, 1, dtype or input.dtype, requires_grad,
                   _place_like(input, backend, device))


def full_like(input, fill_value, *, dtype=None, requires_grad=False, backend=None,
              device=None):
    """``fill_value`` shaped like ``input``, in its dtype (the value is cast: 2.7 fills an
    int64 tensor with 2) and on its backend unless given."""
    return _filled("full_like", input.shape, fill_value, dtype or input.dtype, requires_grad,
                   _place_like(input, backend, device))


def empty_like(input, *, dtype=None, requires_grad=False, backend=None, device=None):
    """``empty`` shaped like ``input``, in its dtype and on its backend unless given."""
    return _filled("empty_like", input.shape, 0, dtype or input.dtype, requires_grad,
                   _place_like(input, backend, device))


def eye(n, m=None, *, dtype=None, requires_grad=False, backend=None, device=None):
    """The ``n`` x ``m`` (default ``n`` x ``n``) matrix with ones on the diagonal."""
    n = integer("eye", "n", n)
    m = n if m is None else integer("eye", "m", m)
    for name, value in (("n", n), ("m", m)):
        if value < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {value}")
    b = get_backend(_place(backend, device))
    return _new(b.xp.eye(n, m, dtype=_dtype_name(dtype)), b, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, backend=None,
           device=None):
    """Values from start (default 0) up to end, as ``torch.arange`` (ints give int64)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError(f"arange: step must be nonzero (start {start}, end {end})")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign "
                           f"(start {start}, end {end}, step {step})")
    if dtype is None:
        integral = all(isinstance(v, int) for v in (start, end, step))
        dtype = dtypes.int64 if integral else dtypes.default_float
    b = get_backend(_place(backend, device))
    array = b.xp.arange(start, end, step, dtype=dtypes.as_dtype(dtype).name)
    return _new(array, b, requires_grad)


def _spaced(op, start, end, steps, xp):
    """``steps`` evenly spaced float64 values from ``start`` to ``end`` (both included),
    as PyTorch computes them: the first half counted up from ``start``, the second half
    down from ``end``, so both ends are exact and the values symmetric."""
    steps = integer(op, "steps", steps)
    if steps < 0:
        raise RuntimeError(f"{op}: number of steps must be non-negative, got {steps}")
    start, end = float(start), float(end)  # NOTE: 0-d tensors too, as PyTorch takes them
    i = xp.arange(steps, dtype="float64")
    step = (end - start) / max(steps - 1, 1)
    return xp.where(i < max(steps // 2, 1), start + i * step, end - (steps - 1 - i) * step)


def linspace(start, end, steps, *, dtype=None, requires_grad=False, backend=None,
             device=None):
    """``steps`` values evenly spaced from ``start`` to ``end``, in the default float dtype
    unless given (an integer dtype truncates them toward zero, as PyTorch does)."""
    b = get_backend(_place(backend, device))
    array = _spaced("linspace", start, end, steps, b.xp)
    return _new(array.astype(_dtype_name(dtype)), b, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, requires_grad=False, backend=None,
             device=None):
    """``base ** linspace(start, end, steps)``: ``steps`` values evenly spaced on a log
    scale from ``base ** start`` to ``base ** end``."""
    b = get_backend(_place(backend, device))
    exponents = _spaced("logspace", start, end, steps, b.xp)
    array = b.xp.power(float(base), exponents)
    return _new(array.astype(_dtype_name(dtype)), b, requires_grad)
