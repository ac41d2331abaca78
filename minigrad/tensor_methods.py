"""The methods of ``Tensor`` that are named like functions: ``x.exp()``, ``x.sum(dim)``,
``x.reshape(...)`` forward to ``minigrad.ops`` (where the math lives), and the in-place ones
(``x.add_(y)``, ``x[i] = v``) write the array and bump the tensor's version. ``Tensor``
inherits them; its own file keeps what a tensor is (data, grad, graph links, operators).

NOTE: ``minigrad.ops`` is looked up when a method runs, not imported here: the ops are
built on ``Tensor``, which is built on this class.
"""

import minigrad
from minigrad import dtypes
from minigrad.backends import Backend, device_of, get_backend, is_backend_name
from minigrad.devices import device as as_device
from minigrad.errors import DTypeError


def shape_args(shape):
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _pointwise_method(name):
    """``x.<name>(*args)`` as ``minigrad.ops.<name>(x, *args)``, for the pointwise ops."""
    def method(self, *args):
        return getattr(minigrad.ops, name)(self, *args)
    method.__name__ = method.__qualname__ = name
    return method


class TensorMethods:
    """What ``Tensor`` can do by name; a mixin with no state of its own."""

    __slots__ = ()

    # ----------------------------------------------------------------- ops by name
    def exp(self):
        return minigrad.ops.exp(self)

    def log(self):
        return minigrad.ops.log(self)

    def sqrt(self):
        return minigrad.ops.sqrt(self)

    def abs(self):
        return minigrad.ops.abs(self)

    def clamp(self, min=None, max=None):
        return minigrad.ops.clamp(self, min, max)

    clip = clamp

    def relu(self):
        return minigrad.ops.relu(self)

    def sigmoid(self):
        return minigrad.ops.sigmoid(self)

    def prelu(self, weight):
        return minigrad.ops.prelu(self, weight)

    def tanh(self):
        return minigrad.ops.tanh(self)

    def softmax(self, dim):
        return minigrad.ops.softmax(self, dim)

    def log_softmax(self, dim):
        return minigrad.ops.log_softmax(self, dim)

    def matmul(self, other):
        return minigrad.ops.matmul(self, other)

    def pow(self, exponent):
        return minigrad.ops.pow(self, exponent)

    # NOTE: the pointwise ops take the tensor and, for the binary ones, ``other``
    sin, cos, tan = (_pointwise_method(n) for n in ("sin", "cos", "tan"))
    asin, acos, atan = (_pointwise_method(n) for n in ("asin", "acos", "atan"))
    sinh, cosh = _pointwise_method("sinh"), _pointwise_method("cosh")
    log1p, expm1 = _pointwise_method("log1p"), _pointwise_method("expm1")
    log2, log10, exp2 = (_pointwise_method(n) for n in ("log2", "log10", "exp2"))
    square, rsqrt = _pointwise_method("square"), _pointwise_method("rsqrt")
    reciprocal, frac = _pointwise_method("reciprocal"), _pointwise_method("frac")
    erf, erfc = _pointwise_method("erf"), _pointwise_method("erfc")
    atan2, hypot = _pointwise_method("atan2"), _pointwise_method("hypot")
    logaddexp = _pointwise_method("logaddexp")
    fmod, remainder = _pointwise_method("fmod"), _pointwise_method("remainder")
    sign, floor, ceil = (_pointwise_method(n) for n in ("sign", "floor", "ceil"))
    trunc = _pointwise_method("trunc")

    def round(self, *, decimals=0):
        return minigrad.ops.round(self, decimals=decimals)

    def sum(self, dim=None, keepdim=False):
        return minigrad.ops.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return minigrad.ops.mean(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return minigrad.ops.var(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return minigrad.ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return minigrad.ops.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return minigrad.ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return minigrad.ops.argmin(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return minigrad.ops.any(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return minigrad.ops.all(self, dim, keepdim)

    def prod(self, dim=None, keepdim=False):
        return minigrad.ops.prod(self, dim, keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return minigrad.ops.std(self, dim, unbiased, keepdim, correction=correction)

    def logsumexp(self, dim, keepdim=False):
        return minigrad.ops.logsumexp(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return minigrad.ops.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return minigrad.ops.amin(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False):
        return minigrad.ops.norm(self, p, dim, keepdim)

    def cumsum(self, dim):
        return minigrad.ops.cumsum(self, dim)

    def cumprod(self, dim):
        return minigrad.ops.cumprod(self, dim)

    def count_nonzero(self, dim=None):
        return minigrad.ops.count_nonzero(self, dim)

    def reshape(self, *shape):
        return minigrad.ops.reshape(self, shape_args(shape))

    def view(self, *shape):
        return minigrad.ops.reshape(self, shape_args(shape))

    def transpose(self, dim0, dim1):
        return minigrad.ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return minigrad.ops.permute(self, shape_args(dims))

    def squeeze(self, dim=None):
        return minigrad.ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return minigrad.ops.unsqueeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return minigrad.ops.flatten(self, start_dim, end_dim)

    # ----------------------------------------------------------------- conversion
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

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    # ----------------------------------------------------------------- in-place
    def _write(self, opname):
        """Check that an in-place op may change this tensor, and bump its version."""
        if self.requires_grad and minigrad.autograd.grad_mode.state.grad_enabled:
            what = "a leaf tensor" if self._ctx is None else "a tensor in the autograd graph"
            raise RuntimeError(f"{opname}: {what} that requires grad cannot be changed in "
                               "place while grad mode is on; wrap it in `with mg.no_grad():`")
        self._version += 1
        return self.data

    def _operand(self, other, opname):
        if not isinstance(other, minigrad.Tensor):
            return other
        if (other.data.dtype.kind == "f" and self.data.dtype.kind == "f"
                and other.data.dtype != self.data.dtype):
            raise DTypeError(f"{opname}: cannot write {other.dtype.name} values into a "
                             f"{self.dtype.name} tensor; convert with .to()")
        return other.data

    def add_(self, other, alpha=1):
        data, other = self._write("add_"), self._operand(other, "add_")
        self._backend.xp.add(data, other * alpha if alpha != 1 else other, out=data,
                             casting="unsafe")
        return self

    def sub_(self, other, alpha=1):
        return self.add_(other, alpha=-alpha)

    def mul_(self, other):
        data, other = self._write("mul_"), self._operand(other, "mul_")
        self._backend.xp.multiply(data, other, out=data, casting="unsafe")
        return self

    def div_(self, other):
        data, other = self._write("div_"), self._operand(other, "div_")
        self._backend.xp.divide(data, other, out=data, casting="unsafe")
        return self

    def clamp_(self, min=None, max=None):
        data = self._write("clamp_")
        self._backend.xp.clip(data, min, max, out=data)
        return self

    def copy_(self, src):
        data, src = self._write("copy_"), self._operand(src, "copy_")
        data[...] = src
        return self

    def fill_(self, value):
        self._write("fill_")[...] = value
        return self

    def zero_(self):
        return self.fill_(0)

    def __setitem__(self, index, value):
        data, value = self._write("__setitem__"), self._operand(value, "__setitem__")
        data[minigrad.ops.indexing.backend_index(self._backend, index)] = value


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
