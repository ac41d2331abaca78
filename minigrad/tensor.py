"""``Tensor``: a backend array, its gradient, and the op that produced it.

A tensor is thin on purpose: ``data`` is the backend array, ``grad`` another Tensor (or
``None``), and ``grad_fn`` the Context of the op that made it (``None`` for leaves). Every
operator below forwards to a function in ``minigrad.ops``, where the math lives; the
methods named like functions (``x.exp()``, ``x.add_(y)``) are in ``tensor_methods``.
"""

import warnings

from minigrad import dtypes
from minigrad.backends import device_of, get_backend
from minigrad.backends.printing import add_suffixes
from minigrad.backends.printing import options as print_options
from minigrad.errors import DTypeError, ShapeError
from minigrad.tensor_methods import TensorMethods


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
    if isinstance(data, str | bytes):
        raise TypeError(f"tensor: expected numbers or (nested) lists of numbers, got "
                        f"{type(data).__name__} {data!r}")
    try:
        array = backend.asarray(data, dtype=dtype)
    except ValueError as err:
        raise ValueError(f"tensor: {_ragged(data) or err}") from err
    if array.dtype.kind not in "biuf":
        raise TypeError(f"tensor: expected numbers or (nested) lists of numbers, got "
                        f"{type(data).__name__} holding {_leaf_type(data)}")
    if dtype is None and array.dtype.kind == "f" and array.dtype != dtypes.default_float:
        array = array.astype(dtypes.default_float.name)
    return array


def _ragged(data, dim=0):
    """Where nested lists stop being rectangular, in PyTorch's words (None if they are)."""
    if not isinstance(data, list | tuple) or not data:
        return None
    inner = [len(d) if isinstance(d, list | tuple) else None for d in data]
    if len(set(inner)) > 1:
        first = inner[0]
        got = next(n for n in inner if n != first)
        return (f"expected sequence of length {first} at dim {dim + 1} (got {got})"
                if None not in (first, got) else f"a list mixes numbers and lists at dim {dim}")
    return next((found for found in (_ragged(d, dim + 1) for d in data) if found), None)


def _leaf_type(data):
    while isinstance(data, list | tuple) and data:
        data = data[0]
    return type(data).__name__


class Tensor(TensorMethods):
    """An n-dimensional array that can record the ops applied to it for backward."""

    __slots__ = ("data", "_grad", "requires_grad", "_ctx", "_out_index", "_backend",
                 "_version", "_hooks", "__weakref__")
    __array_ufunc__ = None  # NOTE: makes `ndarray + Tensor` call Tensor.__radd__

    def __init__(self, data, dtype=None, requires_grad=False, backend=None):
        self._backend = get_backend(backend if backend is not None else
                                    (data._backend if isinstance(data, Tensor) else None))
        self.data = to_array(data, dtype, self._backend)
        self._grad = None
        self.requires_grad = False
        self._ctx = None
        self._out_index = 0
        self._version = 0
        self._hooks = None  # an autograd.hooks.TensorHooks once a hook is registered
        if requires_grad:
            self.requires_grad_()

    @classmethod
    def _make(cls, data, backend, requires_grad=False, ctx=None, out_index=0):
        """Wrap a backend array without copying or checking (the ops' fast path)."""
        t = object.__new__(cls)
        t.data = data
        t._grad = None
        t.requires_grad = requires_grad
        t._ctx = ctx
        t._out_index = out_index
        t._backend = backend
        t._version = 0
        t._hooks = None
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
    def device(self):
        """Where ``data`` lives, as an ``mg.device``: ``cpu`` on NumPy and Numba, ``cuda:N``
        on CuPy."""
        return device_of(self._backend)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    @property
    def grad(self):
        """The gradient backward accumulated (a Tensor, or ``None``): for leaves, and for
        non-leaves that ``retain_grad()``; reading it on any other non-leaf warns, as in
        PyTorch (the engine itself uses ``_grad``)."""
        grad = self._grad
        if grad is None and self._ctx is not None and not self.retains_grad:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: grad "
                                   f"{tuple(value.shape)}, tensor {tuple(self.shape)}")
            if value.dtype != self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: grad "
                                   f"{value.dtype.name}, tensor {self.dtype.name}")
            if value._backend is not self._backend:
                raise RuntimeError(f"assigned grad has data on a different backend: grad "
                                   f"{value.backend}, tensor {self.backend}; move it with "
                                   f".to({self.backend!r})")
        self._grad = value

    @property
    def retains_grad(self):
        """Whether this non-leaf keeps its gradient in ``.grad`` (``retain_grad()``)."""
        hooks = self._hooks
        return hooks is not None and hooks.retained is not None and self._ctx is not None

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        """The Context of the op that produced this tensor (``None`` for a leaf); its
        ``next_functions`` lead back to the leaves."""
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
            raise ShapeError(f"item: a tensor with {self.data.size} elements cannot be "
                             f"converted to a Python scalar (shape {tuple(self.shape)})")
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
            raise DTypeError(f"only Tensors of floating point dtype can require gradients; "
                             f"this one is {self.dtype.name}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) is only for leaves; use .detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def __repr__(self):
        prefix = "tensor("
        body = self._backend.format(self.data, prefix=prefix)
        empty = self.data.size == 0
        # NOTE: PyTorch states the size where the values cannot show it
        shows_size = self.ndim != 1 if empty else not print_options["edgeitems"]
        extras = [f"size={tuple(self.shape)}"] if shows_size else []
        # NOTE: as in PyTorch, the default float dtype goes unsaid, whichever it is, and so do
        # int64 and bool where values show them
        if self.dtype not in ((dtypes.default_float,) if empty else
                              (dtypes.default_float, dtypes.int64, dtypes.bool)):
            extras.append(f"dtype={self.dtype!r}")
        if self._backend.name != "numpy":
            extras.append(f"backend={self._backend.name!r}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return add_suffixes(prefix + body, extras, len(prefix))

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf it depends on
        (only of ``inputs``, when given)."""
        engine.backward(self, gradient, retain_graph, create_graph, None, inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient each time backward computes it;
        a returned tensor replaces the gradient. Returns a handle: ``handle.remove()``."""
        return hooks.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` on this leaf after backward has added into its ``.grad``."""
        return hooks.register_post_accumulate_grad_hook(self, hook)

    def retain_grad(self):
        """Keep this non-leaf's gradient in ``.grad`` after backward (a no-op on leaves)."""
        hooks.retain_grad(self)

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


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead.")


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
from minigrad.autograd import engine, hooks  # noqa: E402
