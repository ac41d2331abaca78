"""``Tensor``: a backend array, its gradient, and the op that produced it.

A tensor is thin on purpose: ``data`` is the backend array, ``grad`` another Tensor (or
``None``), and ``grad_fn`` the Context of the op that made it (``None`` for leaves). Every
operator and method below forwards to a function in ``minigrad.ops``, where the math lives.
"""

from minigrad import dtypes
from minigrad.backends import get_backend
from minigrad.errors import DTypeError


def _shape_args(shape):
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def to_array(data, dtype=None, backend=None, copy=True):
    """A backend array holding ``data``, with PyTorch's dtype rules.

    Arrays (NumPy, backend, PyTorch tensors) keep their dtype; Python floats and nested lists
    of them become float32, ints int64, bools bool; ``dtype`` overrides.
    """
    backend = get_backend(backend)
    if isinstance(data, Tensor):
        data = data.data if data._backend is backend else data.numpy()
    dtype = None if dtype is None else dtypes.as_dtype(dtype).name
    if hasattr(data, "detach") and hasattr(data, "numpy"):  # a PyTorch tensor
        data = data.detach().cpu().numpy()
    if hasattr(data, "dtype"):
        return backend.asarray(data, dtype=dtype, copy=copy)
    array = backend.asarray(data, dtype=dtype)
    if dtype is None and array.dtype.kind == "f" and array.dtype != dtypes.default_float:
        array = array.astype(dtypes.default_float.name)
    return array


class Tensor:
    """An n-dimensional array that can record the ops applied to it for backward."""

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_out_index", "_backend",
                 "_version", "__weakref__")
    __array_ufunc__ = None  # NOTE: makes `ndarray + Tensor` call Tensor.__radd__

    def __init__(self, data, dtype=None, requires_grad=False, backend=None):
        self._backend = get_backend(backend if backend is not None else
                                    (data._backend if isinstance(data, Tensor) else None))
        self.data = to_array(data, dtype, self._backend)
        self.grad = None
        self.requires_grad = False
        self._ctx = None
        self._out_index = 0
        self._version = 0
        if requires_grad:
            self.requires_grad_()

    @classmethod
    def _make(cls, data, backend, requires_grad=False, ctx=None, out_index=0):
        """Wrap a backend array without copying or checking (the ops' fast path)."""
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t.requires_grad = requires_grad
        t._ctx = ctx
        t._out_index = out_index
        t._backend = backend
        t._version = 0
        return t

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return dtypes.of_array(self.data)

    @property
    def backend(self):
        """The name of the backend holding ``data`` (``"numpy"``, ...)."""
        return self._backend.name

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        """The Context of the op that produced this tensor (``None`` for a leaf)."""
        return self._ctx

    @property
    def T(self):  # noqa: N802 - PyTorch's name
        return self.permute(*reversed(range(self.ndim)))

    def dim(self):
        return self.data.ndim

    def size(self, dim=None):
        return tuple(self.data.shape) if dim is None else self.data.shape[dim]

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    # ----------------------------------------------------------------- conversion
    def numpy(self):
        """The values as a NumPy array (shared with ``data`` on the NumPy backend)."""
        return self._backend.to_numpy(self.data)

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to Python "
                             f"scalars; this one has shape {tuple(self.shape)}")
        return self.data.item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {tuple(self.shape)} is "
                               "ambiguous; use .any() or .all()")
        return bool(self.item())

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def __dlpack__(self, *args, **kwargs):
        return self.data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self.data.__dlpack_device__()

    def __reduce__(self):
        """Pickling and ``copy.deepcopy`` copy a leaf's values, gradient and flags (as
        PyTorch allows); a tensor inside a graph must be detached first."""
        if self._ctx is not None:
            raise RuntimeError("only leaf tensors can be copied or pickled; call .detach()")
        grad = None if self.grad is None else self.grad.numpy().copy()
        return (_rebuild, (type(self), self.numpy().copy(), self._backend.name,
                           self.requires_grad, grad))

    def detach(self):
        """The same data, cut from the graph (shares memory, as in PyTorch)."""
        return Tensor._make(self.data, self._backend)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating point tensors can require gradients; this one is "
                            f"{self.dtype.name}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) is only for leaves; use .detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def to(self, target):
        """A copy on another backend (``"numpy"``, ...) or in another dtype."""
        if isinstance(target, str) and target in dtypes._BY_NAME:
            target = dtypes.from_name(target)
        if isinstance(target, dtypes.DType) or not isinstance(target, str):
            return ops.cast(self, dtypes.as_dtype(target))
        backend = get_backend(target)
        if backend is self._backend:
            return self
        out = Tensor._make(backend.asarray(self.numpy(), copy=True), backend)
        out.requires_grad = self.requires_grad and self._ctx is None
        return out

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def __repr__(self):
        body = self._backend.format(self.data, prefix="tensor(")
        extras = []
        if self.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool):
            extras.append(f"dtype={self.dtype!r}")
        if self._backend.name != "numpy":
            extras.append(f"backend={self._backend.name!r}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=False):
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf it depends on."""
        engine.backward(self, gradient, retain_graph=retain_graph)

    # ----------------------------------------------------------------- in-place
    def _write(self, opname):
        """Check that an in-place op may change this tensor, and bump its version."""
        if self.requires_grad and state.grad_enabled:
            what = "a leaf tensor" if self._ctx is None else "a tensor in the autograd graph"
            raise RuntimeError(f"{opname}: {what} that requires grad cannot be changed in "
                               "place while grad mode is on; wrap it in `with mg.no_grad():`")
        self._version += 1
        return self.data

    def _operand(self, other, opname):
        if not isinstance(other, Tensor):
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
        data[ops.indexing.backend_index(self._backend, index)] = value

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    # comparisons give bool tensors and carry no gradient
    def __eq__(self, other):
        return ops.compare("eq", self, other)

    def __ne__(self, other):
        return ops.compare("ne", self, other)

    def __lt__(self, other):
        return ops.compare("lt", self, other)

    def __le__(self, other):
        return ops.compare("le", self, other)

    def __gt__(self, other):
        return ops.compare("gt", self, other)

    def __ge__(self, other):
        return ops.compare("ge", self, other)

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- methods
    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def clamp(self, min=None, max=None):
        return ops.clamp(self, min, max)

    clip = clamp

    def relu(self):
        return ops.relu(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def tanh(self):
        return ops.tanh(self)

    def softmax(self, dim):
        return ops.softmax(self, dim)

    def log_softmax(self, dim):
        return ops.log_softmax(self, dim)

    def matmul(self, other):
        return ops.matmul(self, other)

    def pow(self, exponent):
        return ops.pow(self, exponent)

    def sum(self, dim=None, keepdim=False):
        return ops.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return ops.mean(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return ops.var(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return ops.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return ops.argmin(self, dim, keepdim)

    def any(self):
        return bool(self.data.any())

    def all(self):
        return bool(self.data.all())

    def reshape(self, *shape):
        return ops.reshape(self, _shape_args(shape))

    def view(self, *shape):
        return ops.reshape(self, _shape_args(shape))

    def transpose(self, dim0, dim1):
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return ops.permute(self, _shape_args(dims))

    def squeeze(self, dim=None):
        return ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return ops.unsqueeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)


def _rebuild(cls, array, backend, requires_grad, grad):
    """The inverse of ``Tensor.__reduce__``."""
    tensor = Tensor(array, backend=backend)
    tensor = cls(tensor, requires_grad) if cls is not Tensor else tensor.requires_grad_(
        requires_grad)
    if grad is not None:
        tensor.grad = Tensor(grad, backend=backend)
    return tensor


# NOTE: imported last because the autograd engine and the ops are built on Tensor
from minigrad import ops  # noqa: E402, I001
from minigrad.autograd import engine  # noqa: E402
from minigrad.autograd.grad_mode import state  # noqa: E402
