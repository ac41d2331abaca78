"""``Function``: an op written as an explicit forward/backward pair on backend arrays.

``MyOp.apply(*args)`` unwraps tensors to arrays, runs ``forward``, wraps the result, and (when
any input requires grad and grad mode is on) records a ``Context`` as the result's
``grad_fn``: the node the backward engine later visits to call ``backward``.
"""

import re
import threading

from minigrad.autograd import anomaly
from minigrad.autograd.grad_mode import state
from minigrad.autograd.hooks import accumulator_of
from minigrad.errors import BackendError, DTypeError, ShapeError
from minigrad.tensor import Tensor


class Context:
    """What ``forward`` leaves for ``backward``; also the op's node in the graph (grad_fn).

    ``ctx.xp`` is the array namespace, ``ctx.backend`` the backend, ``ctx.needs_input_grad``
    one bool per forward argument. Arrays needed by backward go through
    ``save_for_backward`` so the engine can free them and detect in-place changes.
    """

    # NOTE: what most nodes never change lives on the class, so making a node (once per op
    # call) assigns only the five attributes below; an instance attribute shadows a default
    inputs = ()  # per forward argument: the Tensor that receives a gradient, or None
    outputs_meta = None  # (shape, dtype) per output, kept for multi-output ops
    released = False
    site = None  # where forward was called, recorded in anomaly mode
    tensor_hooks = None  # output index -> TensorHooks, once a hook or retain_grad is set
    _saved = ()
    _versions = ()  # (input tensor, its version) for each saved input array
    _non_differentiable = ()

    def __init__(self, fn, backend, needs_input_grad, impl):
        self.fn = fn  # the Function, whose name messages use
        self.impl = impl  # what runs forward and backward: ``fn`` or a backend's fused kernel
        self.backend = backend
        self.xp = backend.xp
        self.needs_input_grad = needs_input_grad

    def __repr__(self):
        return f"<{self.name()}>"

    def name(self):
        """The node's name, as PyTorch's ``grad_fn.name()``: ``MulBackward``."""
        return f"{self.fn.__name__}Backward"

    @property
    def op_name(self):
        """The op's user-facing name (``matmul``, ``log_softmax``, ...), for messages."""
        return self.fn.op_name

    @property
    def next_functions(self):
        """Where this node sends gradients, as PyTorch: one ``(node, output index)`` pair
        per forward argument, the node being the op that made the input, the input's
        ``AccumulateGrad`` for a leaf that requires grad, or ``None`` (an input that needs
        no gradient, or an argument that is no tensor, such as a ``dim``)."""
        return tuple(_edge(t) for t in self.inputs)

    def save_for_backward(self, *arrays):
        self._saved = arrays

    @property
    def saved_tensors(self):
        if self.released:
            raise RuntimeError(freed_graph_message(self))
        for tensor, version in self._versions:
            if tensor._version != version:
                raise RuntimeError(
                    f"{self.op_name}: an array saved for backward was modified in place: its "
                    f"tensor of shape {tuple(tensor.shape)} is at version {tensor._version}, "
                    f"expected version {version}. Recompute the forward pass after changing it.")
        return self._saved

    def mark_non_differentiable(self, *arrays):
        """Outputs that never carry a gradient (indices, masks)."""
        self._non_differentiable = arrays

    def release(self):
        """Drop the saved arrays after backward (what ``retain_graph=False`` asks for)."""
        self._saved = None
        self.released = True


def _edge(tensor):
    if tensor is None:
        return (None, 0)
    if tensor._ctx is None:
        return (accumulator_of(tensor), 0)
    return (tensor._ctx, tensor._out_index)


def _snake_case(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def freed_graph_message(ctx):
    return (f"Trying to backward through the graph a second time: the arrays {ctx.op_name} saved "
            "were freed by the first backward. Pass retain_graph=True to the first backward "
            "(or autograd.grad) if you need to backward twice.")


class _Observation(threading.local):
    """Who watches every ``apply`` in this thread: None, or ``observer(cls, args, result)``.

    An exporter (``minigrad.onnx``) sets it while it runs a model once, to record each op
    with its non-tensor arguments (dims, eps), which graph nodes do not keep. Ops call no
    other op's ``apply`` inside ``forward``, so an observer sees each user-level call once.
    """

    observer = None


observation = _Observation()


def _observed(cls, args):
    """``cls.apply(*args)`` reported to the observer, which is off while the op runs."""
    observer = observation.observer
    observation.observer = None
    try:
        result = cls.apply(*args)
    finally:
        observation.observer = observer
    observer(cls, args, result)
    return result


class Function:
    """Base class of every differentiable op.

    Subclasses define two static methods, both on backend arrays::

        forward(ctx, *args) -> array or tuple of arrays
        backward(ctx, *grad_outputs) -> one gradient (or None) per forward argument

    and are called as ``MyOp.apply(*args)``; tensor arguments arrive in ``forward`` as
    arrays, anything else (a dim, a Python scalar) unchanged. Gradients that have the shape
    of a broadcast result are summed back to each input's shape by the engine.
    """

    # NOTE: every built-in op declares its name once (``op_name = "softplus"``); that name
    # keys the registry and the backends' kernel tables (``kernel_name``), so renaming a
    # class cannot silently drop a kernel. Kernels replace minigrad's own ops only: a
    # user's Function never picks one up, whatever it is called (a user's own ``ReLU``
    # stays the user's). One that declares no name is named by its class in snake case,
    # for messages; a subclass inherits no name.
    op_name = None
    kernel_name = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        declared = "op_name" in cls.__dict__
        if not declared:
            cls.op_name = _snake_case(cls.__name__)
        builtin = cls.__module__.startswith("minigrad.")
        cls.kernel_name = cls.op_name if declared and builtin else None

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        if observation.observer is not None:
            return _observed(cls, args)
        backend = float_dtype = None
        any_requires_grad = False
        arrays = list(args)  # what forward receives: tensors become their arrays
        inputs = [None] * len(args)  # per argument: the Tensor to send a gradient to, or None
        for index, arg in enumerate(args):
            if not isinstance(arg, Tensor):
                continue
            if arg._backend is not backend:
                if backend is not None:
                    raise BackendError(f"{cls.op_name}: tensors on different backends "
                                       f"({backend.name} and {arg._backend.name}); move one "
                                       f"with .to({backend.name!r})")
                backend = arg._backend
            data = arrays[index] = arg.data
            dtype = data.dtype
            # NOTE: identity first: the operands of an op nearly always share one dtype object
            if dtype is not float_dtype and dtype.kind == "f":
                if float_dtype is not None and dtype != float_dtype:
                    raise DTypeError(_mixed_dtype_message(cls, args))
                float_dtype = dtype
            if arg.requires_grad:
                any_requires_grad = True
                inputs[index] = arg
        if backend is None:
            if cls.kernel_name is not None:  # NOTE: minigrad's ops take tensors, as PyTorch's
                raise TypeError(f"{cls.op_name}: input must be a Tensor, got "
                                f"{type(args[0]).__name__ if args else 'nothing'}; make one "
                                "with mg.tensor(data)")
            from minigrad.backends import get_backend

            backend = get_backend()

        grad_on = any_requires_grad and state.grad_enabled
        needs = tuple([t is not None for t in inputs]) if grad_on else (False,) * len(args)
        # NOTE: a backend may carry a fused kernel for this op (same signature, its own
        # forward and backward); the generic code here is the reference it is tested against
        ctx = Context(cls, backend, needs, backend.kernels.get(cls.kernel_name, cls))
        try:
            out = ctx.impl.forward(ctx, *arrays)
        except (ShapeError, DTypeError, BackendError):
            raise
        except (ValueError, IndexError, TypeError) as err:
            # NOTE: re-raised so the message names op and shapes; a bad value or type is a
            # ShapeError or DTypeError, also RuntimeError as PyTorch's (IndexError stays)
            kind = (IndexError if isinstance(err, IndexError) else
                    DTypeError if isinstance(err, TypeError) else ShapeError)
            raise kind(f"{cls.op_name}: {err} (inputs {_describe(args)})") from err

        if state.anomaly:
            anomaly.check_forward(ctx, args, out)
        ensure = backend.ensure_array
        if type(out) is not tuple:
            if not grad_on or out.dtype.kind != "f":
                return Tensor._make(ensure(out), backend)
            _record_inputs(ctx, args, inputs)
            return Tensor._make(ensure(out), backend, True, ctx, 0)

        if not grad_on:
            return tuple([Tensor._make(ensure(o), backend) for o in out])
        _record_inputs(ctx, args, inputs)
        ctx.outputs_meta = tuple([(o.shape, o.dtype) for o in out])
        results = []
        for index, o in enumerate(out):
            if o.dtype.kind == "f" and not _is_one_of(o, ctx._non_differentiable):
                results.append(Tensor._make(ensure(o), backend, True, ctx, index))
            else:
                results.append(Tensor._make(ensure(o), backend))
        return tuple(results)


def _is_one_of(array, arrays):
    """Whether ``array`` is (the very object) one of ``arrays``."""
    for a in arrays:
        if a is array:
            return True
    return False


def _record_inputs(ctx, args, inputs):
    """Link the node to the inputs it sends gradients to; note versions of saved inputs."""
    ctx.inputs = tuple(inputs)
    saved = ctx._saved
    if saved:
        # NOTE: plain loops, without a generator or a helper call: this runs for every
        # recorded op, over a handful of arguments and saved arrays
        versions = []
        for a in args:
            if isinstance(a, Tensor):
                data = a.data
                for s in saved:
                    if s is data:
                        versions.append((a, a._version))
                        break
        ctx._versions = versions


def _describe(args):
    parts = []
    for a in args:
        if isinstance(a, Tensor):
            parts.append(f"{tuple(a.shape)} {a.dtype.name}")
    return ", ".join(parts) or "none"


def _mixed_dtype_message(cls, args):
    return (f"{cls.op_name}: operands have different float dtypes ({_describe(args)}); minigrad "
            "never promotes silently: convert one with .float() or .double()")
