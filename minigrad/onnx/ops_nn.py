"""Translations of the layers' ops: products, embedding, normalization, convolution,
pooling, resampling and dropout."""

import math

from minigrad.onnx.ops_shape import broadcast_to
from minigrad.onnx.registry import Table, Value

TABLE = Table()


# ------------------------------------------------------------------ products
@TABLE.register("linear")
def _linear(g, call):
    """x W^T + b: one Gemm for a batch of vectors, else MatMul (and Add)."""
    x, weight, bias = call.args
    if x.ndim == 2:
        return g.op("Gemm", x, weight, bias, transB=1)
    y = g.op("MatMul", x, g.op("Transpose", weight, perm=[1, 0]))
    return y if bias is None else g.op("Add", y, bias)


@TABLE.register("matmul")
def _matmul(g, call):
    return g.op("MatMul", *call.args)


@TABLE.register("addmm", "baddbmm")
def _addmm(g, call):
    """beta * input + alpha * (m1 @ m2): a Gemm for matrices, else MatMul and sums."""
    x, m1, m2, beta, alpha = call.args
    if call.op == "addmm":
        return g.op("Gemm", m1, m2, x, alpha=float(alpha), beta=float(beta))
    product = g.op("MatMul", m1, m2)
    if alpha != 1:
        product = g.op("Mul", product, g.scalar(alpha, x))
    if beta == 0:
        return product
    scaled = x if beta == 1 else g.op("Mul", x, g.scalar(beta, x))
    return g.op("Add", scaled, product)


@TABLE.register("outer")
def _outer(g, call):
    a, b = call.args
    return g.op("Mul", g.op("Unsqueeze", a, g.ints([1])), g.op("Unsqueeze", b, g.ints([0])))


@TABLE.register("einsum")
def _einsum(g, call):
    equation, *operands = call.args
    return g.op("Einsum", *operands, equation=equation)


@TABLE.register("bilinear")
def _bilinear(g, call):
    """y_o = x1 W_o x2 + b_o over any leading dims."""
    x1, x2, weight, bias = call.args
    y = g.op("Einsum", x1, weight, x2, equation="...i,oij,...j->...o")
    return y if bias is None else g.op("Add", y, bias)


@TABLE.register("embedding")
def _embedding(g, call):
    indices, weight, _, _ = call.args
    return g.op("Gather", weight, indices, axis=0)


# ------------------------------------------------------------------ normalization
def _per_channel(g, vector, ndim):
    """A (C,) parameter shaped (1, C, 1, ...) to broadcast over (N, C, *)."""
    return g.op("Reshape", vector, g.ints((1, vector.shape[0]) + (1,) * (ndim - 2)))


def _standardized(g, x, axes, eps):
    """(x - mean) / sqrt(var + eps) over ``axes``, the biased variance, by minigrad's
    corrected two-pass algorithm (the centring corrected by the residuals' mean)."""
    centered = g.op("Sub", x, g.reduce("ReduceMean", x, axes, True))
    centered = g.op("Sub", centered, g.reduce("ReduceMean", centered, axes, True))
    var = g.reduce("ReduceMean", g.op("Mul", centered, centered), axes, True)
    return g.op("Div", centered, g.op("Sqrt", g.op("Add", var, g.scalar(eps, x))))


def _affine(g, y, weight, bias, ndim):
    if weight is not None:
        y = g.op("Mul", y, _per_channel(g, weight, ndim))
    return y if bias is None else g.op("Add", y, _per_channel(g, bias, ndim))


@TABLE.register("batch_norm")
def _batch_norm(g, call):
    """Normalization with the batch's own statistics (instance norm, or a batch norm that
    tracks no running statistics); its mean and variance outputs are not exported."""
    x, weight, bias, eps = call.args
    axes = (0,) + tuple(range(2, x.ndim))
    return _affine(g, _standardized(g, x, axes, eps), weight, bias, x.ndim), None, None


@TABLE.register("layer_norm")
def _layer_norm(g, call):
    x, weight, bias, ndim_normalized, eps = call.args
    if weight is None:
        weight = g.constant(1, x.dtype, x.shape[x.ndim - ndim_normalized:])
    return g.op("LayerNormalization", x, weight, bias, axis=-ndim_normalized,
                epsilon=float(eps))


@TABLE.register("rms_norm")
def _rms_norm(g, call):
    """x / sqrt(mean(x^2) + eps) * weight over the trailing dims."""
    x, weight, ndim_normalized, eps = call.args
    axes = tuple(range(x.ndim - ndim_normalized, x.ndim))
    mean_square = g.reduce("ReduceMean", g.op("Mul", x, x), axes, True)
    y = g.op("Div", x, g.op("Sqrt", g.op("Add", mean_square, g.scalar(eps, x))))
    return y if weight is None else g.op("Mul", y, weight)


@TABLE.register("group_norm")
def _group_norm(g, call):
    """x viewed as (N, groups, rest), standardized over the rest, viewed back."""
    x, weight, bias, groups, eps = call.args
    rest = math.prod(x.shape[1:]) // groups
    grouped = g.op("Reshape", x, g.ints([0, groups, rest]))  # NOTE: 0 keeps the batch size
    grouped = Value(grouped, (x.shape[0], groups, rest), x.dtype)
    y = g.op("Reshape", _standardized(g, grouped, (2,), eps), g.op("Shape", x))
    return _affine(g, y, weight, bias, x.ndim)


# ------------------------------------------------------------------ convolution
def _pairs(padding):
    """(before, after) per spatial dim as ONNX's pads: every before, then every after."""
    return [before for before, _ in padding] + [after for _, after in padding]


@TABLE.register("conv1d", "conv2d")
def _conv(g, call):
    """A signal arrives as an image one row high (stride, padding, dilation of 2 dims);
    ONNX's Conv takes it as it is."""
    x, weight, bias, stride, padding, dilation, groups = call.args
    skip = 1 if x.ndim == 3 else 0
    return g.op("Conv", x, weight, bias, strides=list(stride[skip:]),
                pads=_pairs(padding[skip:]), dilations=list(dilation[skip:]), group=groups)


@TABLE.register("conv_transpose2d")
def _conv_transpose(g, call):
    """ONNX's ConvTranspose. The rows an output padding adds come from the end padding
    (less of it is cropped); beyond it they are zeros, then the bias. onnxruntime takes no
    output padding as large as the stride, which PyTorch allows below the dilation."""
    x, weight, bias, stride, padding, out_size, dilation, groups = call.args
    full = [(n - 1) * s + d * (k - 1) + 1 for n, s, d, k in
            zip(x.shape[2:], stride, dilation, weight.shape[2:])]
    ends = [full_n - before - size for full_n, (before, _), size in zip(full, padding, out_size)]
    zeros = [max(-end, 0) for end in ends]
    pads = [before for before, _ in padding] + [max(end, 0) for end in ends]
    y = g.op("ConvTranspose", x, weight, None if any(zeros) else bias, strides=list(stride),
             pads=pads, dilations=list(dilation), group=groups)
    if not any(zeros):
        return y
    y = g.op("Pad", y, g.ints([0] * (2 + len(zeros)) + [0, 0, *zeros]))
    return y if bias is None else g.op("Add", y, _per_channel(g, bias, x.ndim))


# ------------------------------------------------------------------ pooling
def _batched(g, x, dims, pool):
    """``pool(x)`` on (N, C, *spatial); an unbatched (C, *spatial) x goes as a batch of one."""
    if x.ndim == dims + 2:
        return pool(x)
    axes = g.ints([0])
    return g.op("Squeeze", pool(g.op("Unsqueeze", x, axes)), axes)


def _window(call):
    """The attributes of a regular pool; ceil mode is read from the recorded output size."""
    x, geometry = call.args[:2]
    spatial = x.shape[x.ndim - len(geometry.kernel):]
    floor = [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
             zip(spatial, geometry.kernel, geometry.stride, geometry.padding, geometry.dilation)]
    return dict(kernel_shape=list(geometry.kernel), strides=list(geometry.stride),
                pads=list(geometry.padding) * 2,
                ceil_mode=int(list(geometry.out) != floor))


@TABLE.register("max_pool1d", "max_pool2d")
def _max_pool(g, call):
    """The max over windows; the indices output is not exported (ONNX's count differently)."""
    x, geometry = call.args
    attributes = _window(call)
    values = _batched(g, x, len(geometry.kernel), lambda v: g.op(
        "MaxPool", v, dilations=list(geometry.dilation), **attributes))
    return values, None


@TABLE.register("avg_pool1d", "avg_pool2d")
def _avg_pool(g, call):
    """The mean over windows; a divisor override scales the padded mean (sum / kernel size)."""
    x, geometry, count_include_pad, divisor_override = call.args
    attributes = _window(call)
    if divisor_override is not None:
        count_include_pad = True
    y = _batched(g, x, len(geometry.kernel), lambda v: g.op(
        "AveragePool", v, count_include_pad=int(count_include_pad), **attributes))
    if divisor_override is None:
        return y
    return g.op("Mul", y, g.scalar(math.prod(geometry.kernel) / divisor_override, x))


@TABLE.register("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
                "adaptive_max_pool2d")
def _adaptive_pool(g, call):
    """A global pool for output size 1, a regular one where each size divides the input's."""
    x, out = call.args
    spatial = x.shape[x.ndim - len(out):]
    average = "avg" in call.op
    if all(o == 1 for o in out):
        def pool(v):
            return g.op("GlobalAveragePool" if average else "GlobalMaxPool", v)
    elif all(n % o == 0 for n, o in zip(spatial, out)):
        kernel = [n // o for n, o in zip(spatial, out)]

        def pool(v):
            return g.op("AveragePool" if average else "MaxPool", v, kernel_shape=kernel,
                        strides=kernel)
    else:
        def pool(v):
            return _adaptive_windows(g, v, spatial, out, "ReduceMean" if average else
                                     "ReduceMax")
    values = _batched(g, x, len(out), pool)
    return values if average else (values, None)


def _adaptive_windows(g, x, spatial, out, reduce):
    """Adaptive pooling one spatial dim at a time (the mean and the max over a rectangle
    are those over its rows of those over its columns): output i of a dim of size n
    reduces [floor(i n / o), ceil((i + 1) n / o))."""
    y = x
    for offset, (n, o) in enumerate(zip(spatial, out)):
        axis = 2 + offset
        axis_ints = g.ints([axis])
        pieces = [g.reduce(reduce, g.op("Slice", y, g.ints([i * n // o]),
                                        g.ints([-(-(i + 1) * n // o)]), axis_ints),
                           (axis,), True) for i in range(o)]
        y = pieces[0] if o == 1 else g.op("Concat", *pieces, axis=axis)
    return y


@TABLE.register("upsample_nearest", "upsample_bilinear2d")
def _upsample(g, call):
    """ONNX's Resize with PyTorch's source formulas: by the scale factors given where the
    user gave them (PyTorch places the samples by them, not by out / in), else to the
    recorded spatial size (the batch and channels as the input's)."""
    x, scales = call.args[0], call.args[-1]
    out = call.outputs[0].shape[2:]
    spatial = x.shape[2:]
    if call.op == "upsample_nearest":
        attributes = dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                          nearest_mode="floor")
        # NOTE: PyTorch's 2-D kernel copies equal and repeats doubled sizes, any scale given
        plain = [o in (n, 2 * n) and len(out) == 2 for n, o in zip(spatial, out)]
    else:
        attributes = dict(mode="linear", coordinate_transformation_mode="align_corners"
                          if call.args[2] else "half_pixel")
        plain = [o == n or call.args[2] for n, o in zip(spatial, out)]
    by_factor = [s is not None and s > 0 and not p for s, p in zip(scales or (), plain)]
    if by_factor and all(by_factor):
        factors = g.constant([1.0, 1.0, *(float(s) for s in scales)], "float32")
        return g.op("Resize", x, None, factors, **attributes)
    sizes = g.op("Concat", g.op("Shape", x, end=2), g.ints(out), axis=0)
    return g.op("Resize", x, None, None, sizes, **attributes)


@TABLE.register("dropout")
def _dropout(g, call):
    """The exported graph is the evaluation one: dropout leaves its input as it is."""
    return call.args[0].name


@TABLE.register("cosine_similarity")
def _cosine_similarity(g, call):
    """sum(u1 u2) over the axis, each u = x / max(||x||, eps)."""
    x1, x2, axis, eps = call.args
    axes = None if axis is None else (axis,)
    shape = _broadcast_shape(x1.shape, x2.shape)
    units = []
    for x in (x1, x2):
        x = x._replace(name=broadcast_to(g, x, shape), shape=shape)
        norm = g.op("Max", g.reduce("ReduceL2", x, axes, True), g.scalar(eps, x))
        units.append(g.op("Div", x, norm))
    return g.reduce("ReduceSum", g.op("Mul", *units), axes, False)


def _broadcast_shape(a, b):
    a, b = (1,) * (len(b) - len(a)) + tuple(a), (1,) * (len(a) - len(b)) + tuple(b)
    return tuple(m if n == 1 else n for n, m in zip(a, b))


def _repeat_heads(g, x, groups):
    """Each head of (..., heads, S, E) repeated ``groups`` times in place (grouped-query
    attention's keys and values): unsqueeze, expand, merge."""
    lead = x.ndim - 3
    y = g.op("Unsqueeze", x, g.ints([lead + 1]))
    y = g.op("Expand", y, g.ints([1] * (lead + 1) + [groups, 1, 1]))
    return g.op("Reshape", y, g.ints([0] * lead + [x.shape[-3] * groups, *x.shape[-2:]]))


@TABLE.register("scaled_dot_product_attention")
def _attention(g, call):
    """softmax(q k^T scale + mask) v; a row with nothing to attend gives zeros, not NaN.
    The dropout mask of a training run is left out: the export is the evaluation graph."""
    query, key, value, mask, _, scale, is_causal, groups, need_weights = call.args
    if groups > 1:
        key = key._replace(name=_repeat_heads(g, key, groups))
        value = _repeat_heads(g, value, groups)
    perm = list(range(key.ndim))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    scores = g.op("Mul", g.op("MatMul", query, g.op("Transpose", key, perm=perm)),
                  g.scalar(scale, query))
    low = g.scalar(float("-inf"), query)
    if is_causal:
        length, span = query.shape[-2], key.shape[-2]
        below = [j <= i for i in range(length) for j in range(span)]
        scores = g.op("Where", g.constant(below, "bool", (length, span)), scores, low)
    if mask is not None:
        scores = g.op("Where", mask, scores, low) if mask.dtype.kind == "b" else \
            g.op("Add", scores, mask)
    weights = g.op("Softmax", scores, axis=-1)
    if mask is not None or is_causal:
        weights = g.op("Where", g.op("IsNaN", weights), g.scalar(0, query), weights)
    out = g.op("MatMul", weights, value)
    return (out, weights) if need_weights else out
