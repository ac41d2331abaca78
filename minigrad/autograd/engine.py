"""The backward engine: walks the graph of Contexts from outputs to leaves, iteratively.

Nodes are visited in reverse topological order (found with an explicit stack, so a chain of
100,000 ops needs no recursion). Each node's output gradients are summed over every path
that reaches it before its ``backward`` runs; gradients shaped like a broadcast result are
summed back to the input's shape here, once for all ops.
"""

import warnings

from minigrad.autograd import anomaly
from minigrad.autograd.function import freed_graph_message
from minigrad.autograd.grad_mode import state
from minigrad.autograd.hooks import AccumulateGrad, accumulator_of, run_grad_hooks
from minigrad.errors import ShapeError
from minigrad.tensor import Tensor


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate d(tensors)/d(leaf) into the ``.grad`` of every leaf that requires grad,
    or, with ``inputs``, only into theirs (a non-leaf among them starts retaining its grad).
    ``grad_tensors`` are the gradients to start from (needed for non-scalar outputs)."""
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.",
                      FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError("`grad_tensors` and `grad_variables` (deprecated) arguments both "
                               "passed to `backward()`. Please only use `grad_tensors`.")
        grad_tensors = grad_variables
    if create_graph:
        raise _double_backward("backward")
    tensors, grad_tensors = _as_sequences(tensors, grad_tensors)
    roots = _root_gradients(tensors, grad_tensors)
    if inputs is None:
        _run(roots, retain_graph, targets=None)
        return
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    for t in inputs:
        t.retain_grad()  # NOTE: as PyTorch: a non-leaf input's .grad fills like a retained one
    captured = _run(roots, retain_graph, targets=inputs)
    for index, t in enumerate(inputs):
        if index in captured and t._ctx is None:
            _accumulate_grad(t, captured[index], None)
            _run_post_accumulate_hooks(t)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs`` (a tensor, a sequence of them,
    or a dict of them: the result has the same keys), as a tuple of Tensors.

    Unlike ``backward`` it leaves every leaf's ``.grad`` untouched. An input that the outputs
    do not depend on raises unless ``allow_unused=True`` (its gradient is then ``None``) or
    ``materialize_grads=True`` (zeros). ``only_inputs`` is ignored, as in PyTorch.
    """
    if create_graph:
        raise _double_backward("grad")
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True (vmap over grad_outputs) is not "
                                  "supported; call grad once per cotangent")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if isinstance(inputs, dict):
        keys, values = list(inputs), list(inputs.values())
        return dict(zip(keys, grad(outputs, values, grad_outputs, retain_graph,
                                   allow_unused=allow_unused,
                                   materialize_grads=materialize_grads)))
    outputs, grad_outputs = _as_sequences(outputs, grad_outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
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
        if g is None and materialize_grads:
            g = t._backend.xp.zeros_like(t.data)
        result.append(None if g is None else Tensor._make(g.copy(), t._backend))
    return tuple(result)


def _double_backward(name):
    """The error for ``create_graph=True``; ``retain_graph=None`` then means False, as
    PyTorch's default (``create_graph``) does."""
    return NotImplementedError(f"{name}: create_graph=True (double backward) is not "
                               "supported: backward functions compute on arrays, not on "
                               "tensors, so a gradient records no graph of its own")


def _as_sequences(tensors, grads):
    """Outputs and their gradients as two tuples of one length; one output may come with
    its gradient alone or in a list of one (as PyTorch's ``grad_tensors=[g]``)."""
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
        if grads is not None and not (isinstance(grads, (list, tuple)) and all(
                g is None or isinstance(g, Tensor) for g in grads)):
            grads = (grads,)
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


def topological_order(roots, hooked):
    """Every node reachable from ``roots``, each before the nodes it sends gradients to.
    Leaves with hooks among their inputs are appended to the list ``hooked``."""
    order, seen = [], set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.inputs))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if child is None:
                    continue
                producer = child._ctx
                if producer is None:
                    if child._hooks is not None:
                        hooked.append(child)
                    continue
                if producer not in seen:
                    seen.add(producer)
                    stack.append((producer, iter(producer.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _with_accumulators(order, leaves):
    """``order`` with the ``AccumulateGrad`` node of each of ``leaves`` right after the
    last node that sends it a gradient, the leaves of one node in argument order: PyTorch
    runs a leaf's node as soon as its gradient is complete. A leaf no node uses (a root of
    backward) goes first."""
    by_id = {id(t): t for t in leaves}
    last = dict.fromkeys(by_id, -1)
    for position, node in enumerate(order):
        for t in node.inputs:
            if t is not None and id(t) in last:
                last[id(t)] = position
    result = [accumulator_of(t) for key, t in by_id.items() if last[key] == -1]
    for position, node in enumerate(order):
        result.append(node)
        for t in node.inputs:
            if t is not None and last.get(id(t)) == position:
                result.append(accumulator_of(t))
                last[id(t)] = None  # NOTE: once, even for a leaf passed twice to one op
    return result


def _run(roots, retain_graph, targets):
    """Propagate gradients from ``roots``; return {target index: gradient} when capturing.

    With ``targets`` (autograd.grad) the gradients reaching those tensors are captured and no
    leaf's ``.grad`` is written; otherwise leaves accumulate into ``.grad``. Tensor hooks and
    retained gradients work either way.
    """
    leaf_targets, node_targets = ({}, {}) if targets is not None else (None, None)
    for index, t in enumerate(targets or ()):
        if t._ctx is None:
            leaf_targets[id(t)] = index
        else:
            node_targets[(t._ctx, t._out_index)] = index
    captured = {}
    pending = {}  # node -> {output index: its gradient, summed over the paths so far}

    def deliver(tensor, g, others):
        """Route ``g`` to the node of ``tensor``, a captured target, or a leaf's grad.
        ``others`` are the arrays ``g`` must not be shared with (None: always copy)."""
        node = tensor._ctx
        if node is None:
            if leaf_targets is not None:  # capturing: only the inputs' gradients matter
                index = leaf_targets.get(id(tensor))
                if index is None:
                    return
                if tensor._hooks is None:
                    _add_into(captured, index, g)
                    return
            elif tensor._hooks is None:
                _accumulate_grad(tensor, g, others)
                return
            # NOTE: a leaf with hooks has a node of its own, so they run once, on the
            # gradient summed over every path (see _with_accumulators)
            node = accumulator_of(tensor)
        grads = pending.get(node)
        if grads is None:
            pending[node] = {tensor._out_index: g}
        else:
            _add_into(grads, tensor._out_index, g)

    starts, hooked = [], []  # the root nodes, and the leaves with hooks
    for t, g in roots:
        deliver(t, g, None)
        if t._ctx is not None:
            starts.append(t._ctx)
        elif t._hooks is not None:
            hooked.append(t)

    previous_mode = state.grad_enabled
    state.grad_enabled = False  # NOTE: backward math must not record a graph of its own
    try:
        order = topological_order(starts, hooked)
        for node in _with_accumulators(order, hooked) if hooked else order:
            grads = pending.pop(node, None)
            if grads is None:
                continue
            if node.released:
                raise RuntimeError(freed_graph_message(node))
            if node.tensor_hooks is not None:
                _run_tensor_hooks(node, grads)
                if type(node) is AccumulateGrad:
                    _finish_leaf(node.variable, grads[0], leaf_targets, captured)
                    continue
            if node_targets:
                for out_index, g in grads.items():
                    index = node_targets.get((node, out_index))
                    if index is not None:
                        captured[index] = g
            grad_outputs = (grads[0],) if node.outputs_meta is None else _grad_outputs(node, grads)
            input_grads = node.impl.backward(node, *grad_outputs)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            inputs = node.inputs
            if len(input_grads) != len(inputs):
                raise RuntimeError(f"{node.op_name}: backward returned {len(input_grads)} "
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


def _run_tensor_hooks(node, grads):
    """The hooks of the tensors ``node`` holds gradients for (its outputs; a leaf, for an
    ``AccumulateGrad``), each on its summed gradient, which a hook may replace; then
    ``.grad`` of the non-leaves that retain it."""
    for out_index, hooks in node.tensor_hooks.items():
        g = grads.get(out_index)
        if g is None:
            continue
        g = grads[out_index] = run_grad_hooks(hooks.grad_hooks, g, node.backend)
        tensor = None if hooks.retained is None else hooks.retained()
        if tensor is not None:
            _accumulate_grad(tensor, g, None)


def _finish_leaf(leaf, g, leaf_targets, captured):
    """What a leaf's ``AccumulateGrad`` node does once its hooks ran: add ``g`` into
    ``.grad`` and run the post-accumulate hooks, or, when capturing, capture it."""
    if leaf_targets is None:
        _accumulate_grad(leaf, g, None)
        _run_post_accumulate_hooks(leaf)
    else:
        captured[leaf_targets[id(leaf)]] = g


def _run_post_accumulate_hooks(leaf):
    if leaf._hooks is not None:
        for hook in list(leaf._hooks.post_accumulate.values()):
            hook(leaf)


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
            f"{node.op_name}: backward returned a gradient of shape {tuple(g.shape)} for argument "
            f"{position} of shape {tuple(shape)}"))
    if g.dtype is not data.dtype and g.dtype != data.dtype:
        raise TypeError(f"{node.op_name}: backward returned a {g.dtype} gradient for argument "
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


def _accumulate_grad(tensor, g, others):
    """``tensor.grad += g``, in place so references to ``.grad`` stay valid."""
    if tensor._grad is None:
        g = tensor._backend.ensure_array(g if _is_fresh(g, others) else g.copy())
        tensor._grad = Tensor._make(g, tensor._backend)
    else:
        tensor._grad.data += g
