"""The functional forms of embedding, bilinear, group and RMS normalization, and the vector
helpers ``pad``, ``normalize``, ``one_hot`` and ``cosine_similarity``, as in
``torch.nn.functional``. Each checks its arguments (with PyTorch's exception types and
messages that name the op and the shapes) and calls the op's ``Function``."""

from minigrad import dtypes
from minigrad.autograd.grad_mode import no_grad
from minigrad.errors import DTypeError, ShapeError
from minigrad.ops import _dims
from minigrad.ops import embedding as _embedding
from minigrad.ops import normalization_group as _group
from minigrad.ops._indices import broadcast_shape
from minigrad.ops._operands import require_float, require_tensor
from minigrad.ops.linalg import bilinear
from minigrad.tensor import Tensor

__all__ = ["bilinear", "cosine_similarity", "embedding", "group_norm", "normalize", "one_hot",
           "pad", "rms_norm"]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input``:
    the result has shape ``input.shape + (embedding_dim,)``.

    ``padding_idx`` (may be negative) names a row that gets no gradient;
    ``scale_grad_by_freq`` divides each row's gradient by how often it occurs in ``input``;
    ``max_norm`` first rescales, in place and without gradient, each looked-up row whose
    ``norm_type``-norm exceeds it to norm ``max_norm`` (as PyTorch, ``weight`` changes).
    """
    if sparse:
        raise NotImplementedError("embedding: sparse=True is not supported (minigrad has no "
                                  "sparse gradients); use sparse=False")
    require_tensor("embedding", "input", input)
    require_tensor("embedding", "weight", weight)
    if weight.ndim != 2:
        raise ShapeError(f"embedding: 'weight' must be 2-D, got shape {tuple(weight.shape)}")
    rows = weight.shape[0]
    indices = input.data
    if indices.dtype.kind != "i":
        raise DTypeError(f"embedding: expected integer indices (int64 or int32), got a "
                         f"{input.dtype.name} tensor of shape {tuple(input.shape)}")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= rows
    if indices.size and bool(((indices < 0) | (indices >= rows)).any()):
        raise IndexError(f"embedding: index out of range: indices must be in [0, {rows}) "
                         f"(indices {tuple(input.shape)}, weight {tuple(weight.shape)})")
    if max_norm is not None:
        _renorm_rows_(weight, indices, max_norm, norm_type)
    return _embedding.Embedding.apply(input, weight, padding_idx, scale_grad_by_freq)


def _renorm_rows_(weight, indices, max_norm, norm_type):
    """Scale the rows of ``weight`` named in ``indices`` whose norm exceeds ``max_norm`` by
    max_norm / (norm + 1e-7), in place, as ``torch.embedding_renorm_``."""
    xp = weight._backend.xp
    rows = xp.unique(indices.reshape(-1))
    picked = weight.data[rows]
    norms = xp.linalg.norm(picked, ord=norm_type, axis=1, keepdims=True)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    with no_grad():
        weight._write("embedding")[rows] = picked * scale.astype(picked.dtype)


def one_hot(tensor, num_classes=-1):
    """The int64 one-hot code of the int64 class indices ``tensor``: shape
    ``tensor.shape + (num_classes,)``; ``num_classes=-1`` takes the largest index plus one."""
    if tensor.data.dtype != dtypes.int64.name:
        raise DTypeError(f"one_hot is only applicable to index tensor of type int64 (a "
                         f"LongTensor), got {tensor.dtype.name}")
    xp, labels = tensor._backend.xp, tensor.data
    if num_classes == -1:
        if labels.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from an empty "
                               "tensor; pass num_classes")
        num_classes = int(labels.max()) + 1
    if labels.size and int(labels.min()) < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative (got {labels.min()})")
    if labels.size and int(labels.max()) >= num_classes:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes "
                           f"({num_classes}), got {labels.max()}")
    code = labels[..., None] == xp.arange(max(num_classes, 0))
    return Tensor._make(code.astype(dtypes.int64.name), tensor._backend)


_EDGE_MODES = ("reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative widths, crop) the trailing dims as ``torch.nn.functional.pad``.

    ``pad`` lists (before, after) widths from the last dim backwards: ``(1, 2)`` pads the last
    dim by 1 in front and 2 behind, ``(1, 2, 0, 3)`` also the one before it. ``mode``
    "constant" fills with ``value`` (0 by default) on any number of dims; "reflect",
    "replicate" and "circular" copy the input's own elements and take, as PyTorch, 1, 2 or 3
    padded dims of an input with 1 or 2 more dims than that.
    """
    require_tensor("pad", "input", input)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise ShapeError(f"pad: padding length must be divisible by 2, got {pad}")
    dims = len(pad) // 2
    if dims > input.ndim:
        raise ShapeError(f"pad: padding {pad} covers {dims} dims but the input "
                         f"{tuple(input.shape)} has {input.ndim}")
    # NOTE: pad's pairs run from the last dim backwards; ``widths`` runs over every axis
    widths = [(0, 0)] * (input.ndim - dims) + [(pad[2 * i], pad[2 * i + 1])
                                               for i in reversed(range(dims))]
    for size, (before, after) in zip(input.shape, widths):
        if size - max(-before, 0) - max(-after, 0) < 0:  # NOTE: crops come before padding
            raise ShapeError(f"pad: padding {pad} crops more than the size {size} of a dim "
                             f"of the input {tuple(input.shape)}")
    if mode == "constant":
        return _embedding.ConstantPad.apply(input, tuple(widths), 0 if value is None else value)
    if mode not in _EDGE_MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; expected "
                                  f"'constant' or one of {_EDGE_MODES}")
    if value:  # NOTE: PyTorch lets a zero value through, as the constant default
        raise RuntimeError(f"pad: padding mode {mode!r} doesn't take a value argument")
    if dims not in (1, 2, 3) or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"pad: {mode} padding of {dims} dims is not supported for a {input.ndim}-D input "
            f"{tuple(input.shape)}: padding 1, 2 or 3 trailing dims needs 2-3, 3-4 or 4-5 "
            "dims")
    xp = input._backend.xp
    axis_index = []
    for axis in range(input.ndim - dims, input.ndim):
        size, (before, after) = input.shape[axis], widths[axis]
        _check_edge_widths(mode, size, before, after, input.shape)
        axis_index.append((axis, _embedding.source_index(xp, size, before, after, mode)))
    return _embedding.EdgePad.apply(input, tuple(axis_index))


def _check_edge_widths(mode, size, before, after, shape):
    """PyTorch's limits: reflect pads by less than the dim, circular by at most what is left
    of it after cropping, replicate needs a non-empty dim; only circular may leave nothing."""
    kept = size - max(-before, 0) - max(-after, 0)
    too_wide = {"reflect": max(before, after) >= size, "replicate": size == 0,
                "circular": max(before, after) > kept}[mode]
    if too_wide or (size + before + after <= 0 and mode != "circular"):
        raise ShapeError(f"pad: {mode} padding ({before}, {after}) is too wide for a dim of "
                         f"size {size} (input {tuple(shape)})")


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(||input||_p, eps) along ``dim``, as ``torch.nn.functional.normalize``:
    composed of ``norm``, ``clamp`` and a division, so its gradient is theirs."""
    require_float("normalize", input)
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """The cosine of the angle between ``x1`` and ``x2`` (broadcast together) along ``dim``,
    which the result drops: sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)), PyTorch's
    formula."""
    for name, x in (("x1", x1), ("x2", x2)):
        require_tensor("cosine_similarity", name, x)
        if x.data.dtype.kind != "f":
            raise DTypeError(f"cosine_similarity: {name} must be a floating-point tensor, got "
                             f"{x.dtype.name}")
    shape = broadcast_shape(x1._backend.xp, "cosine_similarity", x1.shape, x2.shape)
    axis = _dims.axis_or_none(dim, shape, "cosine_similarity")
    return _embedding.CosineSimilarity.apply(x1, x2, axis, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization (Wu and He, 2018) of (N, C, *) input: each sample's C channels in
    ``num_groups`` groups, each group standardized with its mean and biased variance, then
    per-channel ``weight`` and ``bias``."""
    require_float("group_norm", input)
    if input.ndim < 2:
        raise ShapeError(f"group_norm: expected at least 2 dims (N, C, *), got input of shape "
                         f"{tuple(input.shape)}")
    channels = input.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise ShapeError(f"group_norm: expected the number of channels in the input to be "
                         f"divisible by num_groups, but got input of shape "
                         f"{tuple(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise ShapeError(f"group_norm: {name} has shape {tuple(t.shape)}, expected "
                             f"({channels},) for input {tuple(input.shape)}")
    return _group.GroupNorm.apply(input, weight, bias, num_groups, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root mean square normalization over the trailing ``normalized_shape`` dims, times
    ``weight``; ``eps=None`` takes the machine epsilon of the input's dtype, as PyTorch."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    n = len(normalized_shape)
    require_float("rms_norm", input)
    if input.ndim < n or tuple(input.shape[input.ndim - n:]) != normalized_shape:
        raise ShapeError(f"rms_norm: given normalized_shape={normalized_shape}, expected "
                         f"input with shape (*, {', '.join(map(str, normalized_shape))}), but "
                         f"got input of shape {tuple(input.shape)}")
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise ShapeError(f"rms_norm: weight has shape {tuple(weight.shape)}, expected "
                         f"normalized_shape {normalized_shape}")
    if eps is None:
        eps = float(input._backend.xp.finfo(input.data.dtype).eps)
    return _group.RMSNorm.apply(input, weight, n, eps)
