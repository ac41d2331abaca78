"""Lookups and the vector helpers of ``nn.functional``: the embedding table lookup, padding
by a constant or by the input's own elements, and cosine similarity. Each is a ``Function``
with its closed-form backward; ``minigrad.nn.functional`` checks the arguments and calls
them (``F.embedding``, ``F.pad``, ``F.cosine_similarity``)."""

from minigrad.autograd.function import Function

__all__ = []


class Embedding(Function):
    """out[..., :] = weight[indices[...], :];  g_weight[i] = sum of g_out over the positions
    where ``indices`` is i (scaled by 1 / count(i) when ``scale_grad_by_freq``), zero at
    ``padding_idx``. The indices get no gradient."""

    op_name = "embedding"

    @staticmethod
    def forward(ctx, indices, weight, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(indices)
        ctx.rows, ctx.padding_idx, ctx.scale = weight.shape[0], padding_idx, scale_grad_by_freq
        return ctx.xp.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, g_out):
        xp = ctx.xp
        (indices,) = ctx.saved_tensors
        flat = indices.reshape(-1)
        g_rows = g_out.reshape(flat.size, g_out.shape[-1])
        if ctx.scale:
            counts = xp.bincount(flat, minlength=ctx.rows)
            g_rows = g_rows / counts[flat][:, None].astype(g_out.dtype)
        g_weight = xp.zeros((ctx.rows, g_out.shape[-1]), dtype=g_out.dtype)
        # NOTE: a plain ``g_weight[flat] += g_rows`` would keep only one of repeated indices
        ctx.backend.scatter_add(g_weight, flat, g_rows)
        if ctx.padding_idx is not None:
            g_weight[ctx.padding_idx] = 0
        return None, g_weight, None, None


def _crop_and_pad(widths):
    """For (before, after) pairs, the slices that drop negative widths and the positive
    widths to add after them."""
    crops = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in widths)
    pads = [(max(b, 0), max(a, 0)) for _, (b, a) in widths]
    return crops, pads


class ConstantPad(Function):
    """Pad each axis by (before, after) elements equal to ``value``; a negative width crops.

    The gradient is g_out with the padding sliced off and the cropped places zero-filled.
    ``widths`` holds one (before, after) pair per axis of x.
    """

    op_name = "pad"

    @staticmethod
    def forward(ctx, x, widths, value):
        crops, pads = _crop_and_pad(tuple(zip(x.shape, widths)))
        ctx.widths = widths
        return ctx.xp.pad(x[crops], pads, constant_values=value)

    @staticmethod
    def backward(ctx, g_out):
        # NOTE: the same crop-then-pad in reverse: the added widths become crops, the crops
        # become zero padding
        reverse = tuple((n, (-b, -a)) for n, (b, a) in zip(g_out.shape, ctx.widths))
        crops, pads = _crop_and_pad(reverse)
        return ctx.xp.pad(g_out[crops], pads), None, None


def source_index(xp, size, before, after, mode):
    """For each output position along a padded axis, the input position it copies.

    ``reflect`` mirrors about the first and last elements (output position j reads
    reflect(j - before), so a crop on one side never changes what the other side
    reflects), ``replicate`` repeats them, ``circular`` wraps the axis left after its crops
    around (PyTorch crops first there). Widths are checked by the caller.
    """
    if mode == "circular":
        kept = xp.arange(max(-before, 0), size - max(-after, 0))
        # NOTE: max(..., 1): an axis cropped to nothing is padded by nothing (checked)
        wrapped = xp.arange(-max(before, 0), kept.size + max(after, 0)) % max(kept.size, 1)
        return kept[wrapped]
    position = xp.arange(-before, size + after)
    if mode == "replicate":
        return xp.clip(position, 0, size - 1)
    last = size - 1
    return xp.where(position < 0, -position, xp.where(position > last, 2 * last - position,
                                                      position))


class EdgePad(Function):
    """Pad with copies of the input's own elements (reflect, replicate, circular): along
    each padded axis, out = take(x, index); the backward adds every output position's
    gradient back onto the position it copies (a position copied twice gets both).
    ``axis_index`` holds (axis, index array) pairs, applied in order."""

    op_name = "edge_pad"

    @staticmethod
    def forward(ctx, x, axis_index):
        ctx.shapes = []
        for axis, index in axis_index:
            ctx.shapes.append(x.shape)
            x = ctx.xp.take(x, index, axis=axis)
        ctx.axis_index = axis_index
        return x

    @staticmethod
    def backward(ctx, g_out):
        for (axis, index), shape in zip(reversed(ctx.axis_index), reversed(ctx.shapes)):
            g_x = ctx.xp.zeros(shape, dtype=g_out.dtype)
            ctx.backend.scatter_add(g_x, (slice(None),) * axis + (index,), g_out)
            g_out = g_x
        return g_out, None


class CosineSimilarity(Function):
    """y = sum(u1 * u2) over the axis with u = x / max(||x||, eps), PyTorch's formula
    (each input normalized first, which keeps y in [-1, 1]).

    g_x1 = g / c1 * (u2 - y * x1 / ||x1||) with c1 = max(||x1||, eps), and symmetrically
    for x2. As in PyTorch the clamp shapes the value only: the norm's own gradient
    x / ||x|| is used even below eps (and 0 where the norm is 0). x1 and x2 arrive broadcast
    to one shape; the engine sums each gradient back to its input's shape.
    """

    op_name = "cosine_similarity"

    @staticmethod
    def forward(ctx, x1, x2, axis, eps):
        xp = ctx.xp
        x1, x2 = xp.broadcast_arrays(x1, x2)
        norm1 = xp.sqrt((x1 * x1).sum(axis=axis, keepdims=True))
        norm2 = xp.sqrt((x2 * x2).sum(axis=axis, keepdims=True))
        clamped1, clamped2 = xp.maximum(norm1, eps), xp.maximum(norm2, eps)
        u1, u2 = x1 / clamped1, x2 / clamped2
        y = (u1 * u2).sum(axis=axis, keepdims=True)
        ctx.save_for_backward(x1, x2, norm1, norm2, clamped1, clamped2, u1, u2, y)
        ctx.axis = axis
        return y if axis is None else y.squeeze(axis)

    @staticmethod
    def backward(ctx, g_y):
        xp = ctx.xp
        x1, x2, norm1, norm2, clamped1, clamped2, u1, u2, y = ctx.saved_tensors
        g = g_y if ctx.axis is None else xp.expand_dims(g_y, ctx.axis)

        def g_input(x, norm, clamped, u_other):
            direction = xp.where(norm == 0, 0, x / xp.where(norm == 0, 1, norm))
            return g / clamped * (u_other - y * direction)

        needs = ctx.needs_input_grad
        return (g_input(x1, norm1, clamped1, u2) if needs[0] else None,
                g_input(x2, norm2, clamped2, u1) if needs[1] else None, None, None)
