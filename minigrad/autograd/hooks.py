"""Tensor hooks: functions called with a tensor's gradient during backward, as in PyTorch.

``t.register_hook(fn)`` calls ``fn(grad)`` once per backward, when the gradient of ``t``
is complete (summed over every path); a hook that returns a tensor replaces the gradient for
everything downstream, and several hooks run in the order they were registered, each seeing
the one before's result. On a non-leaf the hooks run before its op's backward, and
``retain_grad()`` keeps the final gradient in ``.grad``; on a leaf they run before the
gradient is added into ``.grad`` (by its ``AccumulateGrad`` node), and post-accumulate hooks
after.
"""

import weakref

from minigrad.tensor import Tensor
from minigrad.utils.hooks import RemovableHandle


class TensorHooks:
    """What is attached to one tensor: its gradient hooks, post-accumulate hooks (leaves),
    and, for a non-leaf that retains its gradient, a weak reference to it (the node must not
    keep its output alive)."""

    __slots__ = ("grad_hooks", "post_accumulate", "retained")

    def __init__(self):
        self.grad_hooks = {}  # handle id -> hook(grad) -> Tensor or None
        self.post_accumulate = {}  # handle id -> hook(tensor)
        self.retained = None


class AccumulateGrad:
    """The node that adds a leaf's gradient into its ``.grad`` (PyTorch's name for it).

    It is what ``next_functions`` shows for an input that is a leaf requiring grad, and
    the engine visits it, like an op's node, for a leaf that has hooks. ``.variable`` is
    the leaf.
    """

    __slots__ = ("variable", "__weakref__")
    # NOTE: what the engine reads of every node, as on Context
    inputs = ()
    next_functions = ()
    released = False  # it saves nothing, so nothing is freed

    def __init__(self, variable):
        self.variable = variable

    @property
    def backend(self):
        return self.variable._backend

    @property
    def tensor_hooks(self):
        """The leaf's hooks, as ``Context.tensor_hooks`` holds an op's outputs'."""
        return {0: self.variable._hooks}

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"


# NOTE: one node per leaf while anyone holds it, so graph walks can tell leaves apart by
# identity, without the tensor keeping a reference to it; keyed by id, as a Tensor's
# ``==`` is elementwise. The node holds its leaf, so the id cannot be reused meanwhile.
_accumulators = weakref.WeakValueDictionary()


def accumulator_of(leaf):
    """The ``AccumulateGrad`` node of ``leaf``."""
    node = _accumulators.get(id(leaf))
    if node is None:
        node = _accumulators[id(leaf)] = AccumulateGrad(leaf)
    return node


def hooks_of(tensor):
    """The ``TensorHooks`` of ``tensor``, made (and, for a non-leaf, attached to the node
    that produced it) on first use."""
    hooks = tensor._hooks
    if hooks is None:
        hooks = tensor._hooks = TensorHooks()
        ctx = tensor._ctx
        if ctx is not None:
            if ctx.tensor_hooks is None:
                ctx.tensor_hooks = {}
            ctx.tensor_hooks[tensor._out_index] = hooks
    return hooks


def register_hook(tensor, hook):
    """``Tensor.register_hook``: see the module's docstring."""
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    return _add(hooks_of(tensor).grad_hooks, hook)


def register_post_accumulate_grad_hook(tensor, hook):
    """``Tensor.register_post_accumulate_grad_hook``: ``hook(tensor)`` after ``.grad`` of a
    leaf has been updated by backward (for example, to step an optimizer per parameter)."""
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor._ctx is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                           "tensors")
    return _add(hooks_of(tensor).post_accumulate, hook)


def retain_grad(tensor):
    """``Tensor.retain_grad``: keep a non-leaf's gradient in ``.grad`` (leaves always do)."""
    if not tensor.requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if tensor._ctx is not None:
        hooks_of(tensor).retained = weakref.ref(tensor)


def _add(hooks, hook):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def run_grad_hooks(hooks, g, backend):
    """``g`` after every hook in ``hooks`` (in registration order) has seen it."""
    for hook in list(hooks.values()):  # NOTE: a copy: a hook may remove itself
        result = hook(Tensor._make(g, backend))
        if result is not None:
            g = _replacement(hook, g, result, backend)
    return g


def _replacement(hook, g, result, backend):
    """The array of a hook's returned tensor, refused when it does not fit the gradient."""
    name = getattr(hook, "__name__", repr(hook))
    data = getattr(result, "data", None)
    if getattr(result, "_backend", None) is not backend:
        raise TypeError(f"hook {name!r} returned {type(result).__name__}, not a Tensor on the "
                        f"{backend.name} backend; a hook returns the gradient as a Tensor, "
                        "or None to keep it")
    if data.shape != g.shape:
        raise RuntimeError(f"hook {name!r} has changed the size of value (was "
                           f"{tuple(g.shape)}, got {tuple(data.shape)})")
    if data.dtype != g.dtype:
        raise RuntimeError(f"hook {name!r} has changed the type of value (was {g.dtype}, "
                           f"got {data.dtype})")
    return data
