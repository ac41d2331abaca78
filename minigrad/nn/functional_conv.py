"""The functional forms of the convolutions: ``F.conv1d``, ``F.conv2d``, ``F.conv_transpose2d``,
``F.unfold``, ``F.fold``.

Each takes PyTorch's arguments (an int or one int per spatial dim for ``stride``,
``padding`` and ``dilation``; ``padding="same"`` or ``"valid"`` for the convolutions; an
input with or without its batch dim), checks them with messages that name the op and the
shapes, and calls one ``Function`` of ``minigrad/ops/convolution.py``, which works on
batches of 2-D images with one (before, after) padding pair per spatial dim.
"""

import operator

from minigrad.errors import DTypeError, ShapeError
from minigrad.ops import convolution as _conv
from minigrad.ops._im2col import output_size as _count_windows
from minigrad.ops._operands import require_tensor

__all__ = ["conv1d", "conv2d", "conv_transpose2d", "fold", "unfold"]


def _ints(value, n, name, op):
    """An int, or a sequence of one or ``n`` ints, as an ``n``-tuple (as PyTorch expands
    ``stride=2`` to ``(2, 2)``)."""
    values = (value,) if isinstance(value, int) else tuple(value)
    values = tuple(operator.index(v) for v in values)
    if len(values) == 1:
        values *= n
    if len(values) != n:
        raise ShapeError(f"{op}: expected {name} to be one int or {n} ints, got {value!r}")
    return values


def _positive(value, n, name, op):
    values = _ints(value, n, name, op)
    if min(values) < 1:
        raise ShapeError(f"{op}: {name} must be positive, got {values}")
    return values


def _non_negative(value, n, name, op):
    values = _ints(value, n, name, op)
    if min(values) < 0:
        raise ShapeError(f"{op}: {name} must be non-negative, got {values}")
    return values


def _conv_padding(padding, kernel, stride, dilation, op):
    """One (before, after) pair per spatial dim: ``"valid"`` pads nothing, ``"same"`` keeps
    the input's size (stride 1 only; an odd total puts the extra row or column after, as
    PyTorch does), ints pad both sides alike."""
    if not isinstance(padding, str):
        return tuple((p, p) for p in _non_negative(padding, len(kernel), "padding", op))
    if padding == "valid":
        return ((0, 0),) * len(kernel)
    if padding != "same":
        raise ShapeError(f"{op}: invalid padding string {padding!r}; expected 'same', 'valid' "
                         "or ints")
    if any(s != 1 for s in stride):
        raise ShapeError(f"{op}: padding='same' is not supported for strided convolutions "
                         f"(stride {stride})")
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in totals)


def _check_ranks(op, input, weight, dims):
    require_tensor(op, "input", input)
    if input.ndim not in (dims + 1, dims + 2):
        raise ShapeError(f"{op}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) "
                         f"input, got shape {tuple(input.shape)}")
    if weight.ndim != dims + 2:
        raise ShapeError(f"{op}: expected a {dims + 2}-D weight, got shape "
                         f"{tuple(weight.shape)} (input {tuple(input.shape)})")
    if 0 in weight.shape[2:]:
        raise ShapeError(f"{op}: the kernel sizes must be positive, got weight "
                         f"{tuple(weight.shape)} (input {tuple(input.shape)})")


def _check_dtypes(op, input, weight, bias):
    tensors = [t for t in (input, weight, bias) if t is not None]
    if any(t.dtype != input.dtype for t in tensors):
        names = ", ".join(f"{what} {t.dtype.name}" for what, t in zip(("input", "weight", "bias"),
                                                                       tensors))
        raise DTypeError(f"{op}: input, weight and bias must share one dtype, got {names}; "
                         "minigrad never promotes silently: convert with .float() or .double()")


def _check_channels(op, input, weight, bias, groups, dims, transposed):
    """PyTorch's weight layouts: (out, in / groups, *kernel) for a convolution,
    (in, out / groups, *kernel) for a transposed one; ``groups`` divides both counts."""
    groups = operator.index(groups)
    if groups < 1:
        raise ShapeError(f"{op}: groups must be positive, got {groups}")
    shapes = f"input {tuple(input.shape)}, weight {tuple(weight.shape)}"
    split, per_group = weight.shape[:2]
    if split < groups or split % groups:
        raise ShapeError(f"{op}: groups={groups} must divide the weight's dim 0 of size {split} "
                         f"({shapes})")
    channels = input.shape[-dims - 1]
    expected = split if transposed else per_group * groups
    if channels != expected:
        raise ShapeError(f"{op}: input has {channels} channels, but weight "
                         f"{tuple(weight.shape)} with groups={groups} expects {expected} "
                         f"({shapes})")
    out_channels = per_group * groups if transposed else split
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeError(f"{op}: bias has shape {tuple(bias.shape)}, expected "
                         f"({out_channels},) ({shapes})")
    return groups


def _apply_batched(function, input, dims, *args):
    """``function`` on a batch; an unbatched input goes through as a batch of one."""
    if input.ndim == dims + 2:
        return function.apply(input, *args)
    return function.apply(input.unsqueeze(0), *args).squeeze(0)


def _convolution(function, dims, input, weight, bias, stride, padding, dilation, groups):
    op = function.op_name
    _check_ranks(op, input, weight, dims)
    _check_dtypes(op, input, weight, bias)
    stride = _positive(stride, dims, "stride", op)
    dilation = _positive(dilation, dims, "dilation", op)
    kernel = tuple(weight.shape[2:])
    pads = _conv_padding(padding, kernel, stride, dilation, op)
    groups = _check_channels(op, input, weight, bias, groups, dims, transposed=False)
    padded = tuple(n + before + after for n, (before, after) in zip(input.shape[-dims:], pads))
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(span > n for span, n in zip(spans, padded)):
        raise ShapeError(f"{op}: kernel size {spans} (kernel {kernel}, dilation {dilation}) "
                         f"can't be greater than the padded input size {padded} (input "
                         f"{tuple(input.shape)}, weight {tuple(weight.shape)})")
    if dims == 1:  # NOTE: a signal is an image one row high
        stride, pads, dilation = (1, *stride), ((0, 0), *pads), (1, *dilation)
    return _apply_batched(function, input, dims, weight, bias, stride, pads, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (a cross-correlation) as ``torch.nn.functional.conv1d``: input
    (N, C, L) or (C, L), weight (O, C / groups, k), bias (O,); ``padding`` is ints,
    ``"valid"`` or ``"same"`` (stride 1)."""
    return _convolution(_conv.Conv1d, 1, input, weight, bias, stride, padding, dilation,
                        groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (a cross-correlation) as ``torch.nn.functional.conv2d``: input
    (N, C, H, W) or (C, H, W), weight (O, C / groups, kh, kw), bias (O,).

    ``padding`` is ints, ``"valid"`` (none) or ``"same"`` (the output as large as the
    input; stride 1, an odd total padding puts the extra zeros after). ``groups=C`` with
    weight (k * C, 1, kh, kw) is a depthwise convolution.

    >>> F.conv2d(mg.randn(8, 3, 28, 28), mg.randn(16, 3, 5, 5), padding=2).shape
    (8, 16, 28, 28)
    """
    return _convolution(_conv.Conv2d, 2, input, weight, bias, stride, padding, dilation,
                        groups)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-D transposed convolution as ``torch.nn.functional.conv_transpose2d`` (the gradient
    of conv2d in its input): input (N, C, H, W) or (C, H, W), weight
    (C, O / groups, kh, kw), bias (O,). The output has size
    (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1 (so for W),
    ``output_padding`` adding rows and columns after, to pick among the input sizes a
    strided conv2d maps to H."""
    op = _conv.ConvTranspose2d.op_name
    _check_ranks(op, input, weight, 2)
    _check_dtypes(op, input, weight, bias)
    if isinstance(padding, str):
        raise TypeError(f"{op}: padding must be ints, got {padding!r}")
    stride = _positive(stride, 2, "stride", op)
    dilation = _positive(dilation, 2, "dilation", op)
    pads = _non_negative(padding, 2, "padding", op)
    extra = _non_negative(output_padding, 2, "output_padding", op)
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ShapeError(f"{op}: output_padding {extra} must be smaller than either stride "
                         f"{stride} or dilation {dilation}")
    groups = _check_channels(op, input, weight, bias, groups, 2, transposed=True)
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in
                 zip(input.shape[-2:], stride, pads, dilation, weight.shape[2:], extra))
    if min(size) < 1:
        raise ShapeError(f"{op}: the output size {size} is not positive (input "
                         f"{tuple(input.shape)}, weight {tuple(weight.shape)}, stride {stride}, "
                         f"padding {pads}, dilation {dilation})")
    return _apply_batched(_conv.ConvTranspose2d, input, 2, weight, bias, stride,
                          tuple((p, p) for p in pads), size, dilation, groups)


def _window_geometry(op, kernel_size, dilation, padding, stride):
    return (_positive(kernel_size, 2, "kernel_size", op), _positive(dilation, 2, "dilation", op),
            tuple((p, p) for p in _non_negative(padding, 2, "padding", op)),
            _positive(stride, 2, "stride", op))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding windows of images as columns (im2col), as ``torch.nn.functional.unfold``:
    input (N, C, H, W) or (C, H, W) gives (N, C * kh * kw, L), L the number of windows,
    column l holding window l's pixels channel by channel, row by row.

    A convolution is this and one matmul: ``weight.view(O, -1) @ F.unfold(x, k)`` is
    ``F.conv2d(x, weight)`` with its positions flattened.
    """
    geometry = _window_geometry("unfold", kernel_size, dilation, padding, stride)
    require_tensor("unfold", "input", input)
    if input.ndim not in (3, 4):
        raise ShapeError(f"unfold: expected a 3-D (unbatched) or 4-D (batched) input, got "
                         f"shape {tuple(input.shape)}")
    kernel, dilation, pads, stride = geometry
    blocks = _count_windows(input.shape[-2:], kernel, stride, pads, dilation)
    if min(blocks) < 1:
        raise ShapeError(f"unfold: no {kernel} window (dilation {dilation}, padding "
                         f"{pads[0][0], pads[1][0]}) fits in the input {tuple(input.shape)}")
    return _apply_batched(_conv.Unfold, input, 2, *geometry)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns of windows summed back into images (col2im), as
    ``torch.nn.functional.fold``, the adjoint of ``unfold``: input (N, C * kh * kw, L) or
    (C * kh * kw, L) gives (N, C, *output_size); pixels that several windows cover get the
    sum of their entries."""
    geometry = _window_geometry("fold", kernel_size, dilation, padding, stride)
    require_tensor("fold", "input", input)
    size = _ints(output_size, 2, "output_size", "fold")
    if input.ndim not in (2, 3):
        raise ShapeError(f"fold: expected a 2-D (unbatched) or 3-D (batched) input, got "
                         f"shape {tuple(input.shape)}")
    kernel, dilation, pads, stride = geometry
    rows, columns = input.shape[-2:]
    if rows % (kernel[0] * kernel[1]):
        raise ShapeError(f"fold: the input's {rows} rows are not a multiple of the "
                         f"{kernel[0] * kernel[1]} pixels of a {kernel} window (input "
                         f"{tuple(input.shape)})")
    blocks = _count_windows(size, kernel, stride, pads, dilation)
    if min(blocks) < 1 or columns != blocks[0] * blocks[1]:
        raise ShapeError(f"fold: output_size {size} holds {blocks[0]} x {blocks[1]} windows "
                         f"of {kernel} (dilation {dilation}, padding {pads[0][0], pads[1][0]}, "
                         f"stride {stride}), but the input {tuple(input.shape)} has {columns} "
                         "columns")
    return _apply_batched(_conv.Fold, input, 1, size, *geometry)

