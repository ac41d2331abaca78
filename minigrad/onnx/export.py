"""``export``: a model to an ONNX file, by running it once and translating what it ran."""

import inspect
import os
import warnings

from minigrad.autograd import no_grad
from minigrad.nn.module import Module
from minigrad.onnx import tracing
from minigrad.onnx.errors import OnnxExporterError, OnnxExporterWarning, UnsupportedOperatorError
from minigrad.onnx.registry import SIZE_AWARE, Call, Value
from minigrad.onnx.translations import TRANSLATIONS, whole_translation
from minigrad.ops.shape import cat
from minigrad.tensor import Tensor

ONNX_EXTRA = "pip install 'minigrad[onnx]'"
OPSETS = range(17, 22)  # NOTE: 17 brings LayerNormalization; 18 moves reduction axes to inputs


def export(model, args=(), f=None, *, kwargs=None, input_names=None, output_names=None,
           opset_version=17, dynamic_axes=None):
    """Export ``model`` to ONNX, as ``torch.onnx.export``: it runs once in evaluation mode
    on ``args`` (a tensor or a tuple; ``kwargs`` as keywords), no gradient recorded, and
    every op it ran becomes ONNX nodes; parameters and buffers become initializers under
    their ``state_dict`` names. Every tensor argument is a graph input; each output of the
    model (a tensor, or tensors in nested tuples) a graph output.

    ``input_names``/``output_names`` name them (by default the ``forward`` arguments'
    names, and ``output``, or ``output_0``, ``output_1``, ...); ``dynamic_axes`` maps a
    name to the axes whose size may change, ``{"input": {0: "batch"}}`` or
    ``{"input": [0]}`` (the model then runs a second time, those axes one longer, to find
    the sizes that follow them). The model is written to ``f`` (a path or a binary file)
    when given and returned as an ``onnx.ModelProto``, checked by ``onnx.checker``.

    An op with no translation raises ``UnsupportedOperatorError`` naming the op and the
    module that ran it; ``minigrad.onnx.translations.TRANSLATIONS`` lists those there are.
    """
    graph = _graph_module()
    if not isinstance(model, Module):
        raise TypeError(f"onnx.export: model must be a minigrad.nn.Module, got "
                        f"{type(model).__name__}")
    if opset_version not in OPSETS:
        raise ValueError(f"onnx.export: opset_version {opset_version} is not supported "
                         f"(supported: {OPSETS.start} to {OPSETS.stop - 1})")
    args = (args,) if isinstance(args, Tensor) else tuple(args)
    kwargs = dict(kwargs or {})
    inputs = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
    input_names = _names("input_names", input_names, _forward_names(model, args, kwargs),
                         len(inputs))
    versions = [t._version for t in inputs]
    trace, result = _run(model, args, kwargs)
    outputs = tracing.flatten(result)
    if not outputs:
        raise OnnxExporterError("onnx.export: the model returned no tensor")
    output_names = _names("output_names", output_names, ["output"] if len(outputs) == 1
                          else [f"output_{i}" for i in range(len(outputs))], len(outputs))
    axes = _dynamic_axes(dynamic_axes, input_names + output_names)
    if any(axes.get(name) for name in input_names):
        _mark_varying(trace, model, args, kwargs, zip(input_names, inputs), axes)
    named = {id(t): name for name, t in (*model.named_parameters(), *model.named_buffers())}
    builder = graph.GraphBuilder(opset_version, named)
    graph_inputs = []
    for name, tensor, version in zip(input_names, inputs, versions):
        builder.bind(tensor, name, version)
        if axes.get(name):
            builder.dynamic.add(name)
        graph_inputs.append(graph.value_info(name, tensor.data.dtype,
                                             _dims(name, tensor.shape, axes, False)))
    for node in trace.nodes:
        _translate(builder, node)
    graph_outputs = _outputs(graph, builder, outputs, output_names, axes)
    proto = graph.make_model(builder, graph_inputs, graph_outputs, opset_version)
    if f is not None:
        if hasattr(f, "write"):
            f.write(proto.SerializeToString())
        else:
            graph.onnx.save_model(proto, os.fspath(f))
    return proto


def _graph_module():
    try:
        import onnx  # noqa: F401
    except ImportError as err:
        raise ImportError(f"onnx.export needs the onnx package; install the onnx extra: "
                          f"{ONNX_EXTRA}") from err
    from minigrad.onnx import graph

    return graph


def _forward_names(model, args, kwargs):
    """The names of ``forward``'s parameters that receive tensors, else input_0, ..."""
    parameters = [p for p in inspect.signature(model.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(parameters) < len(args):
        names = [f"input_{i}" for i in range(len(args))]
    else:
        names = [p.name for p in parameters[:len(args)]]
    names += list(kwargs)
    return [n for n, a in zip(names, (*args, *kwargs.values())) if isinstance(a, Tensor)]


def _names(what, given, default, count):
    names = list(default if given is None else given)
    if len(names) != count or len(set(names)) != count:
        raise ValueError(f"onnx.export: {what} must give {count} distinct names, got {names}")
    return names


def _dynamic_axes(dynamic_axes, names):
    """``{name: {axis: dim name}}``; a list of axes gets PyTorch's generated dim names."""
    found = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in names:
            raise ValueError(f"onnx.export: dynamic_axes names {name!r}, which is no input or "
                             f"output name ({', '.join(names)})")
        if not isinstance(axes, dict):
            axes = {axis: f"{name}_dynamic_axes_{k + 1}" for k, axis in enumerate(axes)}
        found[name] = dict(axes)
    return found


def _dims_of(name, shape, axes):
    """The dynamic axes of ``name`` (non-negative) -> their dim names."""
    named = axes.get(name, {})
    for axis in named:
        if not -len(shape) <= axis < len(shape):
            raise ValueError(f"onnx.export: dynamic axis {axis} of {name!r} is out of range "
                             f"for its shape {tuple(shape)}")
    return {axis % len(shape): dim for axis, dim in named.items()}


def _dims(name, shape, axes, unknown):
    """The declared dims: a dim name where dynamic, else the size (None when ``unknown``)."""
    named = _dims_of(name, shape, axes)
    return [named.get(i, None if unknown else n) for i, n in enumerate(shape)]


def _run(model, args, kwargs):
    """Run the model once in evaluation mode, recording; every module's mode is restored."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad(), tracing.recording(model, whole_translation) as trace:
            result = model(*args, **kwargs)
    finally:
        for module, training in modes:
            module.training = training
    return trace, result


def _mark_varying(trace, model, args, kwargs, named_inputs, axes):
    """Run the model again with each dynamic axis one longer (its first slice repeated)
    and mark on the trace which sizes follow the dynamic axes (``tracing.compare``)."""
    grown = {}
    for name, tensor in named_inputs:
        bigger = tensor
        for axis in _dims_of(name, tensor.shape, axes):
            if bigger.shape[axis]:
                first = bigger[(slice(None),) * axis + (slice(0, 1),)]
                bigger = cat([bigger, first], dim=axis)
        grown[id(tensor)] = bigger

    def swap(value):
        return grown.get(id(value), value) if isinstance(value, Tensor) else value
    try:
        second, _ = _run(model, tuple(swap(a) for a in args),
                         {k: swap(v) for k, v in kwargs.items()})
        aligned = tracing.compare(trace, second)
    except Exception as err:  # NOTE: the model's own code may refuse the grown sizes
        aligned, reason = False, f"it raised {type(err).__name__}: {err}"
    else:
        reason = "it ran other ops"
    if not aligned:
        warnings.warn(f"onnx.export: the model was run again with the dynamic axes one longer "
                      f"to see which sizes follow them, but {reason}; reshapes then keep the "
                      "dims they share with their input", OnnxExporterWarning, stacklevel=3)


def _values(builder, value, op, where):
    """Forward arguments with every tensor (also inside tuples and lists) as its Value."""
    if isinstance(value, Tensor):
        return builder.value_of(value, op, where)
    if type(value) in (tuple, list):  # NOTE: not a named tuple such as a pool's Geometry
        return type(value)(_values(builder, v, op, where) for v in value)
    return value


def _flat_values(args):
    for a in args:
        if isinstance(a, Value):
            yield a
        elif type(a) in (tuple, list):
            yield from _flat_values(a)


def _translate(builder, node):
    """Write one recorded node's ONNX nodes and bind its output tensors to their values."""
    if isinstance(node.op, Module):
        op, translate, module = type(node.op).__name__, node.translation, node.op
    else:
        op, translate, module = node.op, TRANSLATIONS.get(node.op), None
    if translate is None:
        raise UnsupportedOperatorError(
            f"onnx.export: the op '{op}' (run by {node.where}) has no ONNX translation; "
            "minigrad.onnx.translations.TRANSLATIONS lists the ops that have one")
    if node.sizes_vary and op not in SIZE_AWARE:
        raise OnnxExporterError(
            f"onnx.export: {op} (run by {node.where}) takes sizes that change with the dynamic "
            "axes, and its ONNX translation would fix them to this run's; export without "
            "those dynamic axes")
    builder.scope, builder.varying_args = node.scope, node.varying_args
    builder.versions = node.versions
    args = tuple(_values(builder, a, op, node.where) for a in node.args)
    dynamic = any(builder.is_dynamic(v) for v in _flat_values(args))
    meta = tuple(_meta(t) for t in node.outputs)
    call = Call(op, args, meta, node.where, node.varying)
    names = translate(builder, call) if module is None else translate(builder, module, call)
    names = (names,) if isinstance(names, str) else tuple(names)
    for index, (tensor, name) in enumerate(zip(node.outputs, names)):
        if name is None:
            builder.bind_missing(tensor, f"output {index} of {op} (run by {node.where})")
            continue
        builder.bind(tensor, name)
        if dynamic:
            builder.dynamic.add(name)
    builder.scope, builder.varying_args, builder.versions = "", frozenset(), {}


def _meta(tensor):
    """A recorded output as a Value with no name yet."""
    return Value(None, tuple(tensor.shape), tensor.data.dtype)


def _outputs(graph, builder, outputs, names, axes):
    """Name each output value as asked (a copy where it is an input, a constant or another
    output too) and declare it; its dims are unknown where it follows a dynamic input."""
    infos = []
    for tensor, name in zip(outputs, names):
        value = builder.value_of(tensor, "the output", "the model")
        unknown = builder.is_dynamic(value)
        if builder.produces(value.name) and value.name not in names:
            builder.rename(value.name, name)
        else:
            builder.identity(value, name)
        infos.append(graph.value_info(name, tensor.data.dtype,
                                      _dims(name, tensor.shape, axes, unknown)))
    return infos
