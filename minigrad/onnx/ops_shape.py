"""Translations of the shape, indexing and gather/scatter ops.

The recorded arguments are literal: ``x.flatten(1)`` reaches ``reshape`` as (4, 256) when
the batch was 4. So that a dynamic batch still works, a reshape of a value that depends
on a dynamic input lets ONNX infer (-1) the one dim whose size follows the dynamic axes
(found by running the model twice, ``tracing.compare``). Where that is not known (two such
dims, or a model that ran differently the second time) it keeps the leading and trailing
dims it shares with its input from the input's runtime shape, and infers the first dim
other than 1 of the part in between. An expand keeps the dims it does not change (1 in
ONNX's Expand).
"""

from minigrad.onnx.registry import Table, Value

TABLE = Table()
INT64_MAX, INT64_MIN = 2 ** 63 - 1, -2 ** 63


def reshape(g, x, shape, varying=None):
    """x reshaped to ``shape`` (the recorded output's); ``varying`` are the dims of the
    output whose size follows the dynamic axes, when known. Else see the module docstring.
    (ONNX reads a 0 in a target shape as "copy the input's dim" unless ``allowzero``.)"""
    old, new = tuple(x.shape), tuple(shape)
    if old == new:
        return x.name
    if not g.is_dynamic(x) or varying == frozenset():
        return g.op("Reshape", x, g.ints(new), allowzero=1 if 0 in new else None)
    if varying is not None and len(varying) == 1:
        (dim,) = varying
        if dim < len(old) and old[dim] == new[dim]:  # NOTE: the input's own dim, carried over
            return g.op("Reshape", x, g.op("Concat", g.ints(new[:dim]),
                                           g.op("Shape", x, start=dim, end=dim + 1),
                                           g.ints(new[dim + 1:]), axis=0), allowzero=1)
        return g.op("Reshape", x, g.ints(new[:dim] + (-1,) + new[dim + 1:]))
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    middle = list(new[prefix:len(new) - suffix])
    if middle and len(old) - suffix > prefix:  # NOTE: input dims merge or split here
        middle[next((i for i, n in enumerate(middle) if n != 1), 0)] = -1
    parts = []
    if prefix:
        parts.append(g.op("Shape", x, end=prefix))
    if middle:
        parts.append(g.ints(middle))
    if suffix:
        parts.append(g.op("Shape", x, start=len(old) - suffix))
    target = parts[0] if len(parts) == 1 else g.op("Concat", *parts, axis=0)
    return g.op("Reshape", x, target)


@TABLE.register("reshape")
def _reshape(g, call):
    return reshape(g, call.args[0], call.outputs[0].shape,
                   None if call.varying is None else call.varying[0])


@TABLE.register("transpose")
def _transpose(g, call):
    x, dim0, dim1 = call.args
    perm = list(range(x.ndim))
    perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
    return g.op("Transpose", x, perm=perm)


@TABLE.register("permute")
def _permute(g, call):
    x, dims = call.args
    return g.op("Transpose", x, perm=list(dims))


@TABLE.register("cat")
def _cat(g, call):
    dim, *xs = call.args
    return g.op("Concat", *xs, axis=dim)


@TABLE.register("stack")
def _stack(g, call):
    dim, *xs = call.args
    axes = g.ints([dim])
    return g.op("Concat", *(g.op("Unsqueeze", x, axes) for x in xs), axis=dim)


@TABLE.register("unbind")
def _unbind(g, call):
    x, dim = call.args
    axes = g.ints([dim])
    return tuple(g.op("Squeeze", piece, axes)
                 for piece in g.split(x, dim, (1,) * x.shape[dim]))


@TABLE.register("split")
def _split(g, call):
    x, _, axis = call.args
    return g.split(x, axis, tuple(out.shape[axis] for out in call.outputs))


def broadcast_to(g, x, shape):
    """x broadcast to ``shape``; where x already has the size, ONNX's Expand is given 1,
    which keeps x's own (runtime) size."""
    shape = list(shape)
    offset = len(shape) - x.ndim
    for axis, n in enumerate(x.shape):
        if shape[offset + axis] == n:
            shape[offset + axis] = 1
    return x.name if shape == [1] * len(shape) and offset == 0 else \
        g.op("Expand", x, g.ints(shape))


@TABLE.register("expand")
def _expand(g, call):
    x, shape = call.args[0], call.outputs[0].shape
    offset = len(shape) - x.ndim
    for dim in () if call.varying is None else call.varying[0]:
        if dim < offset or x.shape[dim - offset] != shape[dim]:
            raise call.unsupported("to a size that follows the dynamic axes from size 1")
    y = broadcast_to(g, x, shape)
    return y if y != call.args[0].name else g.op("Identity", y)


@TABLE.register("repeat")
def _repeat(g, call):
    x, repeats = call.args
    if len(repeats) > x.ndim:
        x = g.op("Unsqueeze", x, g.ints(range(len(repeats) - x.ndim)))
    return g.op("Tile", x, g.ints(repeats))


@TABLE.register("flip")
def _flip(g, call):
    x, axes = call.args
    if not axes:
        return x.name
    n = len(axes)
    return g.op("Slice", x, g.ints([-1] * n), g.ints([INT64_MIN] * n), g.ints(axes),
                g.ints([-1] * n))


@TABLE.register("pad")
def _pad(g, call):
    """Constant padding; ONNX's negative pads crop, as minigrad's negative widths."""
    x, widths, value = call.args
    pads = [before for before, _ in widths] + [after for _, after in widths]
    return g.op("Pad", x, g.ints(pads), g.scalar(value, x))


@TABLE.register("tril", "triu")
def _triangle(g, call):
    x, k = call.args
    return g.op("Trilu", x, g.constant(int(k), "int64"), upper=int(call.op == "triu"))


# ------------------------------------------------------------------ indexing
def _int_array(g, array):
    """A backend integer array (an index) as an int64 constant."""
    return g.constant([int(i) for i in array.ravel().tolist()], "int64", tuple(array.shape))


@TABLE.register("getitem")
def _getitem(g, call):
    """Basic indexing (ints, slices, None, Ellipsis) as Slice, Squeeze and Unsqueeze; one
    integer array among full slices as Gather."""
    x, index = call.args
    parts = [int(p) if getattr(p, "ndim", None) == 0 else p
             for p in (index if isinstance(index, tuple) else (index,))]
    arrays = [i for i, p in enumerate(parts) if hasattr(p, "dtype")]
    if arrays:
        return _gather_index(g, call, x, parts, arrays)
    if any(not (p is None or p is Ellipsis or isinstance(p, (int, slice))) for p in parts):
        raise call.unsupported("with an index of lists or masks")
    if Ellipsis in parts:
        at = parts.index(Ellipsis)
        used = sum(p is not None for p in parts) - 1
        parts[at:at + 1] = [slice(None)] * (x.ndim - used)
    starts, ends, axes, steps, squeezed, inserted = [], [], [], [], [], []
    axis = position = 0
    for part in parts:
        if part is None:
            inserted.append(position)
            position += 1
            continue
        if isinstance(part, slice):
            position += 1
            if part == slice(None):
                axis += 1
                continue
            step = 1 if part.step is None else part.step
            start = part.start if part.start is not None else 0 if step > 0 else INT64_MAX
            end = part.stop if part.stop is not None else INT64_MAX if step > 0 else INT64_MIN
        else:
            step, start = 1, part
            end = INT64_MAX if part == -1 else part + 1
            squeezed.append(axis)
        starts.append(start)
        ends.append(end)
        axes.append(axis)
        steps.append(step)
        axis += 1
    y = x.name
    if axes:
        y = g.op("Slice", y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps))
    if squeezed:
        y = g.op("Squeeze", y, g.ints(squeezed))
    if inserted:
        y = g.op("Unsqueeze", y, g.ints(inserted))
    return y if y != x.name else g.op("Identity", y)


def _gather_index(g, call, x, parts, arrays):
    """One integer array: Gather along its dim. Integer arrays of one shape on the leading
    dims: GatherND of their stacked index tuples."""
    if any(parts[i].dtype.kind not in "iu" for i in arrays):
        raise call.unsupported("with a boolean mask (its output's size depends on values)")
    rest = [p for i, p in enumerate(parts) if i not in arrays]
    if any(p != slice(None) for p in rest):
        raise call.unsupported("with integer arrays beside anything but full slices")
    if len(arrays) == 1:
        return g.op("Gather", x, _int_array(g, parts[arrays[0]]), axis=arrays[0])
    shapes = {parts[i].shape for i in arrays}
    if arrays != list(range(len(arrays))) or len(shapes) != 1:
        raise call.unsupported("with integer arrays of different shapes or not leading")
    columns = [parts[i].ravel().tolist() for i in arrays]
    tuples = [int(column[j]) for j in range(len(columns[0])) for column in columns]
    index = g.constant(tuples, "int64", shapes.pop() + (len(arrays),))
    return g.op("GatherND", x, index)


@TABLE.register("index_select")
def _index_select(g, call):
    x, index, axis = call.args
    return g.op("Gather", x, index, axis=axis)


def _at_least_1d(g, values, op):
    """``op(*values)`` on 0-d values viewed as 1-d (ONNX's element gathers need a dim)."""
    if values[0].ndim > 0:
        return op(*values)
    axes = g.ints([0])
    return g.op("Squeeze", op(*(g.op("Unsqueeze", v, axes) for v in values)), axes)


@TABLE.register("gather")
def _gather(g, call):
    """GatherElements of x broadcast to the recorded shape (``take_along_dim``'s)."""
    x, index, axis, shape = call.args
    x = x._replace(name=broadcast_to(g, x, shape), shape=tuple(shape))
    return _at_least_1d(g, (x, index), lambda v, i: g.op("GatherElements", v, i,
                                                         axis=axis))


@TABLE.register("scatter", "scatter_add")
def _scatter(g, call):
    x, index, src, axis = call.args
    if not isinstance(src, Value):
        src = x._replace(name=g.op("Expand", g.scalar(src, x), g.op("Shape", index)),
                         shape=index.shape)
    reduction = "add" if call.op == "scatter_add" else None
    return _at_least_1d(g, (x, index, src), lambda v, i, s: g.op(
        "ScatterElements", v, i, s, axis=axis, reduction=reduction))


@TABLE.register("masked_fill")
def _masked_fill(g, call):
    x, mask, value = call.args
    return g.op("Where", mask, value if isinstance(value, Value) else g.scalar(value, x), x)


@TABLE.register("edge_pad")
def _edge_pad(g, call):
    """Reflect, replicate or circular padding: a Gather of the recorded positions per axis."""
    y, axis_index = call.args
    for axis, index in axis_index:
        y = g.op("Gather", y, _int_array(g, index), axis=axis)
    return y


@TABLE.register("roll")
def _roll(g, call):
    """Each axis's last ``shift`` elements moved to the front: two slices joined."""
    y, shifts, axes = call.args
    for shift, axis in zip(shifts, axes):
        cut = shift % y.shape[axis] if y.shape[axis] else 0
        if cut:
            axis_ints = g.ints([axis])
            tail = g.op("Slice", y, g.ints([-cut]), g.ints([INT64_MAX]), axis_ints)
            head = g.op("Slice", y, g.ints([0]), g.ints([-cut]), axis_ints)
            y = y._replace(name=g.op("Concat", tail, head, axis=axis))
    return g.op("Identity", y)


@TABLE.register("sort", "topk")
def _sort(g, call):
    """ONNX's TopK, sorted; k is every element for a full sort."""
    x, axis, descending, k = call.args
    k = x.shape[axis] if k is None else k
    return g.op("TopK", x, g.ints([k]), axis=axis, largest=int(descending), sorted=1,
                outputs=2)
