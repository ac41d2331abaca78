"""Running a model once and recording what it computes: every ``Function.apply`` with its
arguments and results, and which module ran it.

``Function.apply`` reports each call to an observer (``minigrad.autograd.function``); the
modules report themselves by a ``forward`` wrapper set on each instance for the run. A
module with a translation of its own (a recurrent layer, a batch norm in evaluation) is
recorded as one node, and the ops it runs inside are not recorded.
"""

import contextlib
from dataclasses import dataclass

from minigrad.autograd import function
from minigrad.tensor import Tensor


@dataclass
class Node:
    """One recorded call. ``op`` is the op's name (``Function.op_name``), or the module for a
    module recorded whole; ``args`` are the forward arguments as given (tensors among them);
    ``outputs`` the tensors it returned, in order (nested tuples flattened); ``scope`` is the
    qualified name of the innermost module that ran it, ``where`` says it for messages, as
    ``"module 'features.3' (Conv2d)"``.

    ``compare`` fills in what changed in a second run with the dynamic axes grown:
    ``varying``, per output, the dims whose size changed (None when not known);
    ``sizes_vary``, whether a non-tensor argument changed; ``varying_args``, the ids of the
    tensor arguments whose shape changed. ``versions`` holds the version of each tensor
    argument (by id) and then each output when the call ran, so that a tensor changed in
    place later is noticed."""

    op: object
    args: tuple
    outputs: tuple
    scope: str
    where: str
    translation: object = None  # for a module recorded whole: its translation
    varying: tuple = None
    sizes_vary: bool = False
    varying_args: frozenset = frozenset()
    versions: dict = None


def flatten(value):
    """The tensors of a (possibly nested) tuple or list of results, in order."""
    if isinstance(value, Tensor):
        return (value,)
    if isinstance(value, (tuple, list)):
        return tuple(t for item in value for t in flatten(item))
    return ()


def _tensors(value):
    if isinstance(value, Tensor):
        yield value
    elif type(value) in (tuple, list):
        for item in value:
            yield from _tensors(item)


def _sizes(value):
    """The non-tensor part of an argument, comparable between runs (arrays by value)."""
    if isinstance(value, Tensor):
        return None
    if type(value) in (tuple, list):
        return tuple(_sizes(v) for v in value)
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        return ("array", tuple(value.shape), value.tolist())
    return value


def compare(first, second):
    """Mark on each node of ``first`` what differs in ``second`` (see ``Node``); False,
    marking nothing, when the two runs did not record the same ops."""
    pairs = list(zip(first.nodes, second.nodes))
    if len(first.nodes) != len(second.nodes) or any(
            a.op != b.op or [t.ndim for t in a.outputs] != [t.ndim for t in b.outputs]
            for a, b in pairs):
        return False
    for a, b in pairs:
        a.varying = tuple(frozenset(d for d, (m, n) in enumerate(zip(s.shape, t.shape))
                                    if m != n) for s, t in zip(a.outputs, b.outputs))
        a.sizes_vary = _sizes(a.args) != _sizes(b.args)
        a.varying_args = frozenset(id(s) for s, t in zip(_tensors(a.args), _tensors(b.args))
                                   if s.shape != t.shape)
    return True


class Trace:
    """The nodes of one run, in execution order."""

    def __init__(self):
        self.nodes = []
        self._scope = []  # (qualified name, module) from the model down to the running one

    def _add(self, op, args, result, translation=None):
        name, module = self._scope[-1] if self._scope else ("", None)
        where = f"module '{name}' ({type(module).__name__})" if name else \
            f"the model ({type(module).__name__})"
        outputs = flatten(result)
        versions = {id(t): t._version for t in (*_tensors(args), *outputs)}
        self.nodes.append(Node(op, args, outputs, name, where, translation, versions=versions))

    def observe(self, cls, args, result):
        self._add(cls.op_name, args, result)

    def _wrap(self, name, module, forward, whole):
        """``forward`` reporting its module; ``whole`` is the module's own translation (the
        module is then recorded as one node), or None."""
        def traced(*args, **kwargs):
            self._scope.append((name, module))
            try:
                observer = function.observation.observer
                if whole is None or observer is None:  # NOTE: None within a whole module
                    return forward(*args, **kwargs)
                function.observation.observer = None
                try:
                    result = forward(*args, **kwargs)
                finally:
                    function.observation.observer = observer
                self._add(module, args + tuple(kwargs.values()), result, whole)
                return result
            finally:
                self._scope.pop()
        return traced


class _Exporting:
    active = False


def is_in_onnx_export():
    """Whether a model is being run for an ONNX export, as ``torch.onnx.is_in_onnx_export``."""
    return _Exporting.active


@contextlib.contextmanager
def recording(model, whole_translation):
    """Record the ops run inside the block into the yielded ``Trace``; a module for which
    ``whole_translation(module)`` gives a translation becomes one node."""
    if _Exporting.active:
        raise RuntimeError("onnx.export: an export is already running (export calls cannot "
                           "nest)")
    trace = Trace()
    wrapped = []
    for name, module in model.named_modules():
        previous = module.__dict__.get("forward")
        forward = module.forward
        module.__dict__["forward"] = trace._wrap(name, module, forward,
                                                     whole_translation(module))
        wrapped.append((module, previous))
    function.observation.observer = trace.observe
    _Exporting.active = True
    try:
        yield trace
    finally:
        function.observation.observer = None
        _Exporting.active = False
        for module, previous in wrapped:
            if previous is None:
                del module.__dict__["forward"]
            else:
                module.__dict__["forward"] = previous
