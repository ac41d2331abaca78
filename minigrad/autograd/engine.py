"""The backward engine: walks the graph of Contexts from outputs to leaves, iteratively.

Nodes are visited in reverse topological order (found with an explicit stack, so a chain of
100,000 ops needs no recursion). Each node's output gradients are summed over every path
that reaches it before its ``backward`` runs; gradients shaped like a broadcast result are
summed back to the input's shape here, once for all ops.
"""

from minigrad.autograd import anomaly
from minigrad.autograd.function import freed_graph_message
from minigrad.autograd.grad_mode import state
from minigrad.errors import ShapeError
from minigrad.tensor import Tensor


def backward(tensors, grad_tensors=None, retain_graph=False):
    """Accumulate d(tensors)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
    tensors, grad_tensors = _as_sequences(tensors, grad_tensors)
    roots = _root_gradients(tensors, grad_tensors)
    _run(roots, retain_graph, targets=None)


def grad(outputs, inputs, grad_outputs=None, retain_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple of Tensors.

    Unlike ``backward`` it leaves every ``.grad`` untouched. An input that the outputs do not
    depend on raises unless ``allow_unused=True`` (then its gradient is ``None``).
    """
    outputs, grad_outputs = _as_sequences(outputs, grad_outputs)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    for t in inputs:
        if not (isinstance(t, Tensor) and t.requires_grad):
            raise RuntimeError("grad: every input must be a Tensor that requires grad")
    captured = _run(_root_gradients(outputs, grad_outputs), retain_graph, targets=inputs)
    result = []
    for index, t in enumerate(inputs):
        g = captured.get(index)
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {index} (shape {tuple(t.shape)}) was not used to "
                               "compute the outputs; pass allow_unused=True if that is intended")
        result.append(None if g is None else Tensor._make(g.copy(), t._backend))
    return tuple(result)


def _as_sequences(tensors, grads):
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
        grads = None if grads is None else (grads,)
    tensors = tuple(tensors)
    if grads is None:
        grads = (None,) * len(tensors)
    grads = tuple(grads)
    if len(grads) != len(tensors):
        raise ValueError(f"backward: {len(tensors)} outputs but {len(grads)} gradients")
    return tensors, grads


def _root_gradients(tensors, grads):
    """Pair each output with its starting gradient, checking shapes and implicit ones."""
    roots = []
    for t, g in zip(tensors, grads):
        if not t.requires_grad:
            raise RuntimeError(f"backward: a tensor of shape {tuple(t.shape)} does not require "
                               "grad and has no grad_fn (was it computed under no_grad, or "
                               "from tensors that do not require grad?)")
        xp = t._backend.xp
        if g is None:
            if t.data.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar "
                                   f"outputs, but the output has shape {tuple(t.shape)}; pass "
                                   "gradient= with that shape")
            g = xp.ones(t.data.shape, dtype=t.data.dtype)
        else:
            g = g.data if isinstance(g, Tensor) else t._backend.asarray(g, dtype=t.data.dtype)
            if g.shape != t.data.shape:
                raise ShapeError(f"backward: gradient has shape {tuple(g.shape)} but the output "
                                 f"has shape {tuple(t.shape)}")
            if g.dtype != t.data.dtype:
                raise TypeError(f"backward: gradient is {g.dtype} but the output is "
                                f"{t.data.dtype}")
        roots.append((t, g))
    return roots


def topological_order(roots):
    """Every node reachable from ``roots``, each before the nodes it sends gradients to."""
    order, seen = [], set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.inputs))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if child is not None and child._ctx is not None and child._ctx not in seen:
                    seen.add(child._ctx)
                    stack.append((child._ctx, iter(child._ctx.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _run(roots, retain_graph, targets):
    """Propagate gradients from ``roots``; return {target index: gradient} when capturing.

    With ``targets`` (autograd.grad) the gradients reaching those tensors are captured and no
    ``.grad`` is written; otherwise leaves accumulate into ``.grad``.
    """
    leaf_targets, node_targets = {}, {}
    for index, t in enumerate(targets or ()):
        if t._ctx is None:
            leaf_targets[id(t)] = index
        else:
            node_targets[(t._ctx, t._out_index)] = index
    captured = {}
    pending = {}  # node -> {output index: its gradient, summed over the paths so far}

    def deliver(tensor, g, others):
        """Route ``g`` to the node that made ``tensor``, a captured target, or a leaf's grad.
        ``others`` are the arrays ``g`` must not be shared with (None: always copy)."""
        node = tensor._ctx
        if node is not None:
            grads = pending.get(node)
            if grads is None:
                pending[node] = {tensor._out_index: g}
            else:
                _add_into(grads, tensor._out_index, g)
        elif targets is not None:
            index = leaf_targets.get(id(tensor))
            if index is not None:
                _add_into(captured, index, g)
        else:
            _accumulate_leaf(tensor, g, others)

    for t, g in roots:
        deliver(t, g, None)

    previous_mode = state.grad_enabled
    state.grad_enabled = False  # NOTE: backward math must not record a graph of its own
    try:
        for node in topological_order([t._ctx for t, _ in roots if t._ctx is not None]):
            grads = pending.pop(node, None)
            if grads is None:
                continue
            if node_targets:
                for out_index, g in grads.items():
                    index = node_targets.get((node, out_index))
                    if index is not None:
                        captured[index] = g
            if node.released:
                raise RuntimeError(freed_graph_message(node))
            grad_outputs = (grads[0],) if node.outputs_meta is None else _grad_outputs(node, grads)
            input_grads = node.impl.backward(node, *grad_outputs)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            inputs = node.inputs
            if len(input_grads) != len(inputs):
                raise RuntimeError(f"{node.name}: backward returned {len(input_grads)} "
                                   f"gradients for {len(inputs)} forward arguments")
            if state.anomaly:
                anomaly.check_backward(node, input_grads)
            for position, tensor in enumerate(inputs):
                g = input_grads[position]
                if tensor is None or g is None:
                    continue
                g = _conform(node, position, tensor, g)
                deliver(tensor, g, (grad_outputs, input_grads[:position]))
            if not retain_graph:
                node.release()
    finally:
        state.grad_enabled = previous_mode
    return captured


def _add_into(sums, key, g):
    """``sums[key] += g``, where a missing key counts as zero (a new array, never in place:
    the first gradient may be shared with other nodes)."""
    previous = sums.get(key)
    sums[key] = g if previous is None else previous + g


def _grad_outputs(node, grads):
    """One gradient per output of a multi-output node, zeros for outputs nothing used."""
    xp = node.xp
    return tuple(grads[i] if i in grads else xp.zeros(shape, dtype)
                 for i, (shape, dtype) in enumerate(node.outputs_meta))


def _conform(node, position, tensor, g):
    """Sum a broadcast-shaped gradient back to the input's shape; refuse a wrong one."""
    data = tensor.data
    shape = data.shape
    if g.shape != shape:
        g = sum_to_shape(node.xp, g, shape, lambda: (
            f"{node.name}: backward returned a gradient of shape {tuple(g.shape)} for argument "
            f"{position} of shape {tuple(shape)}"))
    if g.dtype is not data.dtype and g.dtype != data.dtype:
        raise TypeError(f"{node.name}: backward returned a {g.dtype} gradient for argument "
                        f"{position}, which is {data.dtype}")
    return g


def sum_to_shape(xp, g, shape, describe):
    """Sum ``g`` over the axes along which ``shape`` was broadcast to reach ``g.shape``."""
    lead = g.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, g.shape[lead:])):
        raise ShapeError(describe())
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _is_fresh(g, others):
    """True when ``g`` is a new array no one else holds: not a view, and not one of
    ``others`` (the node's incoming gradients, or another input's gradient)."""
    if others is None or getattr(g, "base", None) is not None:
        return False
    for group in others:
        for other in group:
            if g is other:
                return False
    return True


def _accumulate_leaf(leaf, g, others):
    """``leaf.grad += g``, in place so references to ``.grad`` stay valid."""
    if leaf.grad is None:
        g = leaf._backend.ensure_array(g if _is_fresh(g, others) else g.copy())
        leaf.grad = Tensor._make(g, leaf._backend)
    else:
        leaf.grad.data += g
