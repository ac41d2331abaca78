"""``GraphBuilder``: the ONNX graph being written, and what the translations call to add to
it (``op``, constants, reductions), with the values the recorded tensors became."""

import warnings
from collections import Counter

import onnx
from onnx import helper, numpy_helper

from minigrad.onnx.errors import OnnxExporterError, OnnxExporterWarning, UnsupportedOperatorError
from minigrad.onnx.registry import Value

ELEMENT_TYPES = {"float16": onnx.TensorProto.FLOAT16, "float32": onnx.TensorProto.FLOAT,
                 "float64": onnx.TensorProto.DOUBLE, "int8": onnx.TensorProto.INT8,
                 "int16": onnx.TensorProto.INT16, "int32": onnx.TensorProto.INT32,
                 "int64": onnx.TensorProto.INT64, "uint8": onnx.TensorProto.UINT8,
                 "bool": onnx.TensorProto.BOOL}


def element_type(dtype):
    """The ONNX element type of an array dtype or its name (``TensorProto.FLOAT`` for
    float32)."""
    found = ELEMENT_TYPES.get(str(dtype))
    if found is None:
        raise OnnxExporterError(f"onnx.export: tensors of dtype {dtype} cannot be exported")
    return found


class GraphBuilder:
    """Nodes, initializers and the value of each recorded tensor, in the order written.

    ``named`` maps ``id`` of each parameter and buffer of the model to its ``state_dict``
    name, which its initializer takes. ``scope`` (set per recorded node) prefixes the
    names of the nodes written, so a graph viewer shows which module each came from.
    """

    def __init__(self, opset, named):
        self.opset = opset
        self.nodes, self.initializers = [], []
        self.scope = ""
        self.varying_args = frozenset()  # ids of the current node's tensors that follow the
        # dynamic axes (``tracing.compare``)
        self.versions = {}  # id -> version of the current node's tensors when it ran
        self._named = named
        self._values = {}  # id(tensor) -> (Value, tensor, version when bound)
        self._constants = {}  # (dtype, shape, values) -> name, so equal constants are shared
        self._counts = Counter()
        self.dynamic = set()  # names of the values whose shape follows a dynamic input's
        self._missing = {}  # id(tensor) -> (tensor, what it is): outputs with no translation

    def is_dynamic(self, value):
        """Whether the shape of ``value`` (a Value) may differ from the recorded run's."""
        return value.name in self.dynamic

    # ------------------------------------------------------------- names and values
    def fresh(self, hint):
        """A value or node name not used before, made from ``hint``."""
        self._counts[hint] += 1
        count = self._counts[hint]
        return hint if count == 1 else f"{hint}_{count - 1}"

    def bind(self, tensor, name, version=None):
        """Record that ``tensor`` is the graph value ``name`` (at ``version``, by default
        its version when the current node ran)."""
        if version is None:
            version = self.versions.get(id(tensor), tensor._version)
        value = Value(name, tuple(tensor.shape), tensor.data.dtype)
        self._values[id(tensor)] = (value, tensor, version)
        return value

    def bind_missing(self, tensor, what):
        """Record that ``tensor`` (described by ``what``) has no value in the graph."""
        self._missing[id(tensor)] = (tensor, what)

    def value_of(self, tensor, op, where):
        """The graph value of a tensor an op takes: an input, a node's output, a parameter or
        buffer (an initializer under its name), or else a constant, with a warning."""
        missing = self._missing.get(id(tensor))
        if missing is not None and missing[0] is tensor:
            raise UnsupportedOperatorError(f"onnx.export: {op} in {where} takes {missing[1]}, "
                                           "which has no ONNX translation")
        found = self._values.get(id(tensor))
        if found is not None and found[1] is tensor:
            value, _, version = found
            if self.versions.get(id(tensor), tensor._version) != version:
                raise OnnxExporterError(
                    f"onnx.export: {op} in {where}: its input of shape {tuple(tensor.shape)} "
                    "was changed in place after it was computed; ONNX graphs have no in-place "
                    "updates, so write the model with the out-of-place op (x = x + y, not "
                    "x += y)")
            return value
        name = self._named.get(id(tensor))
        if name is None and id(tensor) in self.varying_args:
            raise OnnxExporterError(
                f"onnx.export: {op} in {where} takes a tensor made outside the recorded ops (a "
                "creation function, a comparison, .detach()) whose shape follows the dynamic "
                f"axes (shape {tuple(tensor.shape)} in this run); a constant cannot follow "
                "them: export without those dynamic axes")
        if name is None:
            name = self.fresh("constant")
            warnings.warn(
                f"onnx.export: {op} in {where} takes a tensor of shape {tuple(tensor.shape)} "
                "that is no input, parameter, buffer or result of a recorded op (made by a "
                "creation function, a comparison or .detach()); it is exported as a constant "
                "with this run's values", OnnxExporterWarning, stacklevel=4)
        self.initializers.append(numpy_helper.from_array(tensor.numpy(), name))
        return self.bind(tensor, name)

    # ------------------------------------------------------------- nodes
    def op(self, op_type, *inputs, outputs=1, **attributes):
        """Add a node; ``inputs`` are Values or names (None for an omitted optional input).
        Returns the output's name, or a tuple of ``outputs`` names."""
        names = tuple(self.fresh(f"{self.scope}/{op_type}" if self.scope else op_type)
                      for _ in range(outputs))
        inputs = ["" if i is None else (i.name if isinstance(i, Value) else i) for i in inputs]
        while inputs and inputs[-1] == "":
            inputs.pop()
        attributes = {k: v for k, v in attributes.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, inputs, list(names), name=names[0],
                                           **attributes))
        return names[0] if outputs == 1 else names

    def produces(self, name):
        """Whether a node writes the value ``name`` (it is no input or initializer)."""
        return any(name in node.output for node in self.nodes)

    def rename(self, old, new):
        """Call the value ``old`` ``new`` everywhere (a graph output takes the user's name)."""
        for node in self.nodes:
            for names in (node.input, node.output):
                for i, name in enumerate(names):
                    if name == old:
                        names[i] = new
        for key, (value, tensor, version) in list(self._values.items()):
            if value.name == old:
                self._values[key] = (value._replace(name=new), tensor, version)

    def identity(self, value, name):
        """A node copying ``value`` to a new value ``name``."""
        self.nodes.append(helper.make_node("Identity", [value.name], [name],
                                           name=self.fresh(f"{name}/Identity")))

    def constant(self, values, dtype, shape=None):
        """An initializer holding ``values`` (a flat list, or a number filling it) in the
        array dtype ``dtype``, of ``shape`` (by default a number's 0-d, a list's 1-d)."""
        listed = isinstance(values, (list, tuple))
        if shape is None:
            shape = (len(values),) if listed else ()
        count = 1
        for n in shape:
            count *= n
        flat = list(values) if listed else [values] * count
        key = (str(dtype), tuple(shape), tuple(flat))
        name = self._constants.get(key)
        if name is None:
            name = self._constants[key] = self.fresh("const")
            self.initializers.append(helper.make_tensor(name, element_type(dtype), shape, flat))
        return name

    def ints(self, values):
        """A 1-d int64 constant (shapes, axes, pads as ONNX takes them as inputs)."""
        return self.constant([int(v) for v in values], "int64")

    def scalar(self, number, like):
        """``number`` as a 0-d constant of the Value ``like``'s dtype (a Python scalar
        operand adopts the tensor's dtype, as minigrad's ops do)."""
        kind = like.dtype.kind
        number = bool(number) if kind == "b" else int(number) if kind in "iu" else float(number)
        return self.constant(number, like.dtype)

    def cast(self, x, dtype):
        """x converted to the array dtype ``dtype``."""
        return self.op("Cast", x, to=element_type(dtype))

    def split(self, x, axis, sizes):
        """The pieces of x along ``axis``, of the given sizes (a tuple of names)."""
        pieces = self.op("Split", x, self.ints(sizes), axis=axis, outputs=len(sizes))
        return pieces if len(sizes) > 1 else (pieces,)

    def reduce(self, op_type, x, axes, keepdims):
        """``op_type`` (``ReduceSum``, ``ReduceMean``, ...) over ``axes`` (None or () for
        all); axes are an input from opset 18 on (ReduceSum's from 13), an attribute
        before."""
        axes = tuple(axes) if axes else None
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, x, None if axes is None else self.ints(axes),
                           keepdims=int(keepdims))
        return self.op(op_type, x, axes=None if axes is None else list(axes),
                       keepdims=int(keepdims))


def value_info(name, dtype, shape):
    """A graph input or output: ``shape`` holds ints, dim names (dynamic) or None."""
    return helper.make_tensor_value_info(name, element_type(dtype), list(shape))


def _needed(builder, outputs):
    """The nodes and initializers the outputs depend on, in their order (a translation may
    leave some unused: a max's indices nobody reads)."""
    wanted = {o.name for o in outputs}
    nodes = []
    for node in reversed(builder.nodes):
        if wanted.intersection(node.output):
            nodes.append(node)
            wanted.update(node.input)
    nodes.reverse()
    return nodes, [t for t in builder.initializers if t.name in wanted]


def make_model(builder, inputs, outputs, opset):
    """The checked ``ModelProto`` of a finished graph."""
    nodes, initializers = _needed(builder, outputs)
    graph = helper.make_graph(nodes, "minigrad", inputs, outputs, initializers)
    model = helper.make_model(graph, producer_name="minigrad",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 10)  # NOTE: what onnxruntime 1.18 on reads
    onnx.checker.check_model(model, full_check=True)
    return model
