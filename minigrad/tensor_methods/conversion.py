"""Where a tensor lives and in what dtype: ``to``, ``cpu``, ``cuda``, the casts (``float``,
``long``, ``type``, ``type_as``...), ``clone``, and what a dtype implies (``element_size``)."""

import minigrad
from minigrad import dtypes
from minigrad.backends import Backend, device_of, get_backend, is_backend_name
from minigrad.devices import device as as_device


def _cast_method(name, dtype):
    """The method ``Tensor.<name>()``: this tensor in ``dtype`` (``self`` if it already is),
    differentiable between float dtypes."""
    def cast(self):
        return self.to(dtype)
    cast.__name__ = cast.__qualname__ = name
    cast.__doc__ = f"This tensor in {dtype.name}, as ``self.to(minigrad.{dtype.name})``."
    return cast


class ConversionMethods:
    """Moves between devices and backends, and casts."""

    __slots__ = ()

    def to(self, *args, **kwargs):
        """This tensor on another device or backend and/or in another dtype, as
        ``torch.Tensor.to``: ``to(dtype)``, ``to(device, dtype=None)`` (an ``mg.device``, a
        device string or a backend name), ``to(other)`` (other's backend and dtype), each
        also taking ``non_blocking`` (accepted: every copy here is synchronous) and
        ``copy``. Returns ``self`` when nothing changes, unless ``copy=True``.

        A dtype change is differentiable; a move to another backend makes a new leaf, which
        requires grad when this tensor is a leaf that does.
        """
        target, dtype, copy = _to_arguments(args, kwargs)
        backend = None if target is None else _target_backend(target, self._backend)
        out = self
        if backend is not None and backend is not self._backend:
            out = minigrad.Tensor._make(backend.asarray(self.numpy(), copy=True), backend)
            out.requires_grad = self.requires_grad and self._ctx is None
        elif copy and (dtype is None or dtype == self.dtype):
            # NOTE: a cast to the dtype it already has is a differentiable copy
            return minigrad.ops.elementwise.Cast.apply(self, self.dtype)
        return out if dtype is None else minigrad.ops.cast(out, dtype)

    def cpu(self):
        """This tensor on the CPU: ``self`` if already there, else on the default CPU
        backend."""
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        """This tensor on the GPU, the CuPy backend (an error naming what to install where
        there is none)."""
        target = as_device("cuda", device) if isinstance(device, int) else as_device(
            "cuda" if device is None else device)
        if target.type != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device (got {target})")
        return self.to(target, non_blocking=non_blocking)

    float = _cast_method("float", dtypes.float32)
    double = _cast_method("double", dtypes.float64)
    half = _cast_method("half", dtypes.float16)
    long = _cast_method("long", dtypes.int64)
    int = _cast_method("int", dtypes.int32)
    short = _cast_method("short", dtypes.int16)
    char = _cast_method("char", dtypes.int8)
    byte = _cast_method("byte", dtypes.uint8)
    bool = _cast_method("bool", dtypes.bool)

    def type(self, dtype=None, non_blocking=False):
        """With no argument, PyTorch's name of this tensor's type: ``'torch.FloatTensor'``,
        ``'torch.cuda.FloatTensor'`` on the GPU. Otherwise this tensor cast to ``dtype``
        (``self`` if it already has it): a dtype, or such a name, which also says CPU or
        GPU."""
        if dtype is None:
            return dtypes.tensor_type(self.dtype, self.is_cuda)
        named = dtypes.parse_tensor_type(dtype) if isinstance(dtype, str) else None
        if named is not None:
            on_cuda, target = named
            return self.to("cuda" if on_cuda else "cpu", target, non_blocking=non_blocking)
        try:
            target = dtypes.as_dtype(dtype)
        except TypeError:
            raise ValueError(f"type: invalid type: {dtype!r}") from None
        return self.to(target, non_blocking=non_blocking)

    def type_as(self, other):
        """This tensor with ``other``'s dtype, and on the GPU if ``other`` is:
        ``self.type(other.type())``."""
        return self.type(other.type())

    def clone(self):
        """A copy of this tensor with its own memory, differentiable: the gradient flows back
        to this tensor unchanged."""
        return self.to(copy=True)

    def contiguous(self):
        """``self``: minigrad's ops accept arrays in any memory layout, so none is needed."""
        return self

    def element_size(self):
        """Bytes per element (4 for float32)."""
        return self.dtype.itemsize

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def __format__(self, format_spec):
        """``f"{loss:.4f}"``: a 0-d tensor formats its value, ``self.item()``, with the spec
        (an empty one too: ``f"{loss}"`` is ``'0.25'``); any other tensor takes only the empty
        spec, which gives ``str(self)``, and raises TypeError for another, as in PyTorch."""
        # NOTE: PyTorch does this for a plain Tensor only: a 0-d Parameter is formatted as
        # any other object, so ``f"{p:.2f}"`` raises there too
        if self.ndim == 0 and type(self) is minigrad.Tensor:
            return format(self.item(), format_spec)
        return object.__format__(self, format_spec)


def _to_device(device=None, dtype=None, non_blocking=False, copy=False):
    return device, dtype, copy


def _to_dtype(dtype, non_blocking=False, copy=False):
    return None, dtype, copy


def _to_other(other, non_blocking=False, copy=False):
    return other._backend, other.dtype, copy


def _dtype_or_none(spec):
    try:
        return dtypes.as_dtype(spec)
    except TypeError:
        return None


def _to_arguments(args, kwargs):
    """(target or None, DType or None, copy) from ``Tensor.to``'s arguments, read the way
    PyTorch reads its three signatures (``_to_device``, ``_to_dtype``, ``_to_other``)."""
    if args and isinstance(args[0], minigrad.Tensor):
        read = _to_other
    elif args and _dtype_or_none(args[0]) is not None:
        read = _to_dtype
    else:
        read = _to_device
    try:
        device, dtype, copy = read(*args, **kwargs)
    except TypeError as err:
        raise TypeError(f"to() received an invalid combination of arguments ({err}); it takes "
                        "(dtype, non_blocking=False, copy=False), (device=None, dtype=None, "
                        "non_blocking=False, copy=False) or (other, non_blocking=False, "
                        "copy=False)") from None
    return device, (None if dtype is None else dtypes.as_dtype(dtype)), bool(copy)


def _target_backend(target, current):
    """The backend ``to(target)`` puts a tensor on. A backend (or its name) is taken as
    given; a device keeps the tensor's own backend when that is already on a device of the
    same kind (a Numba tensor is on the CPU), as ``torch.Tensor.to`` returns ``self``."""
    backend = get_backend(target)
    names_a_backend = isinstance(target, Backend) or is_backend_name(target)
    if backend is not current and not names_a_backend and device_of(backend) == device_of(
            current):
        return current
    return backend
