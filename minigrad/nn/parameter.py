"""``Parameter``, a tensor that a Module registers as one of its learnable weights, and the
placeholders of lazy modules, ``UninitializedParameter`` and ``UninitializedBuffer``
(``torch.nn.parameter``'s names)."""

from minigrad import dtypes
from minigrad.backends import get_backend
from minigrad.errors import DTypeError
from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and registers itself when set on a Module.

    ``Parameter(t)`` shares ``t``'s data, as ``torch.nn.Parameter`` does.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        source = data if isinstance(data, Tensor) else Tensor([] if data is None else data)
        super().__init__(source, requires_grad=requires_grad)
        self.data = source.data  # share, not copy

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def stored_array(tensor):
    """The backend array a tensor holds, read past the guard of an uninitialized one (moving
    a lazy module to another backend or dtype before its first forward is allowed)."""
    return Tensor.data.__get__(tensor)


class UninitializedTensorMixin:
    """What uninitialized parameters and buffers share: a dtype, a backend and
    ``requires_grad``, but no shape and no values until ``materialize(shape)``.

    As in PyTorch, reading the shape raises a ``RuntimeError`` and any other use of the
    values (an op, ``numpy()``, ``detach()``) a ``ValueError``; ``Module.to`` and its dtype
    forms work, so a lazy model is placed first and initialized by a dry run after.
    """

    __slots__ = ()
    cls_to_become = None  # the class the object becomes once materialized

    def _start_empty(self, requires_grad, device, dtype):
        Tensor.__init__(self, [], dtype=dtype, backend=device)
        if requires_grad and not self.dtype.is_floating_point:
            raise DTypeError(f"only Tensors of floating point dtype can require gradients; "
                             f"this one is {self.dtype.name}")
        self.requires_grad = bool(requires_grad)

    @property
    def data(self):
        raise ValueError(
            f"Attempted to use an uninitialized parameter or buffer. This error happens when "
            f"you are using a `LazyModule` or explicitly manipulating "
            f"`minigrad.nn.parameter.{type(self).__name__}` objects. When using LazyModules, "
            f"call `forward` with a dummy batch to initialize the parameters before calling "
            f"minigrad functions")

    @data.setter
    def data(self, array):
        Tensor.data.__set__(self, array)

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes.")

    @property
    def dtype(self):
        return dtypes.of_array(stored_array(self))

    def materialize(self, shape, device=None, dtype=None):
        """Give this object ``shape`` (values uninitialized: zeros here), on its own backend and
        dtype unless ``device`` or ``dtype`` name others, and make it a ``cls_to_become`` in
        place: every reference to it (an optimizer's) sees the new tensor."""
        backend = self._backend if device is None else get_backend(device)
        dtype = self.dtype if dtype is None else dtypes.as_dtype(dtype)
        self.data = backend.xp.zeros(tuple(shape), dtype=dtype.name)
        self._backend = backend
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce__(self):
        """Copies and pickles are new placeholders with the same flags, dtype and backend."""
        return type(self), (self.requires_grad, self._backend.name, self.dtype.name)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet: a lazy module's weight until its first
    forward. ``device`` and ``dtype`` say where and in what dtype it will be materialized.
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        self._start_empty(requires_grad, device, dtype)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy batch norm's running statistics); it
    becomes a plain Tensor when materialized."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        self._start_empty(requires_grad, device, dtype)


def is_lazy(param):
    """Whether ``param`` is an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)
