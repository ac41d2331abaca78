"""The functional forms of pooling and resizing: ``F.max_pool2d``, ``F.avg_pool2d``,
``F.adaptive_avg_pool2d``, ``F.interpolate`` and the rest. Each checks its arguments as
PyTorch does (its exception types; messages that name the op and the shapes), works out the
windows or the output size, and calls the op's ``Function`` in ``minigrad.ops.pooling`` or
``minigrad.ops.interpolation``."""

from minigrad.ops import interpolation as _interpolation
from minigrad.ops import pooling as _pooling
from minigrad.ops._operands import require_tensor

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "avg_pool1d", "avg_pool2d", "interpolate", "max_pool1d",
           "max_pool2d"]


def _ints(value, d, name, op):
    """An int or a sequence of 1 or ``d`` ints as a ``d``-tuple."""
    values = (value,) if isinstance(value, int) else tuple(value)
    if len(values) == 1:
        values *= d
    if len(values) != d or not all(isinstance(v, int) for v in values):
        raise RuntimeError(f"{op}: {name} must be an int or a tuple of {d} ints, got {value!r}")
    return values


def _supported(op, dtype):
    """The dtypes PyTorch's CPU kernels take: floats everywhere, every integer type in
    max_pool2d, int64 in the average pools."""
    return (dtype.kind == "f" or (op == "max_pool2d" and dtype.kind in "iu")
            or (op.startswith("avg_pool") and dtype.name == "int64"))


def _check_input(op, input, d):
    """A (C, *spatial) or (N, C, *spatial) input, empty in the batch dim at most."""
    require_tensor(op, "input", input)
    shape = tuple(input.shape)
    if input.ndim not in (d + 1, d + 2) or 0 in shape[input.ndim - d - 1:]:
        raise RuntimeError(f"{op}: expected a {d + 1}-D (unbatched) or {d + 2}-D (batched) "
                           f"input with non-zero sizes except the batch, got shape {shape}")
    if not _supported(op, input.data.dtype):
        raise NotImplementedError(f"{op}: not implemented for {input.dtype.name} (input "
                                  f"{shape})")


def _geometry(op, input, d, kernel_size, stride, padding, dilation, ceil_mode):
    """The checked windows of a regular pool, with its output size (PyTorch's rules)."""
    _check_input(op, input, d)
    kernel = _ints(kernel_size, d, "kernel_size", op)
    no_stride = stride is None or (not isinstance(stride, int) and len(stride) == 0)
    stride = kernel if no_stride else _ints(stride, d, "stride", op)
    padding = _ints(padding, d, "padding", op)
    dilation = _ints(dilation, d, "dilation", op)
    for name, values, low in (("kernel_size", kernel, 1), ("stride", stride, 1),
                              ("padding", padding, 0), ("dilation", dilation, 1)):
        if min(values) < low:
            raise RuntimeError(f"{op}: {name} must be at least {low}, got {values}")
    for k, p, dl in zip(kernel, padding, dilation):
        # NOTE: PyTorch checks both; the second binds: padding at most half the kernel size
        # whatever the dilation
        if p > (dl * (k - 1) + 1) // 2:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, "
                               f"but got pad={p}, kernel_size={k} and dilation={dl} (input "
                               f"{tuple(input.shape)})")
        if p > k // 2:
            raise RuntimeError(f"{op}: pad should be smaller than or equal to half of kernel "
                               f"size, but got pad={p} and kernel_size={k} (input "
                               f"{tuple(input.shape)})")
    spatial = input.shape[input.ndim - d:]
    out = tuple(_pooling.pooled_length(n, k, s, p, dl, ceil_mode)
                for n, k, s, p, dl in zip(spatial, kernel, stride, padding, dilation))
    if min(out) < 1:
        raise RuntimeError(f"{op}: output size is too small: input {tuple(input.shape)} with "
                           f"kernel_size {kernel}, stride {stride}, padding {padding} and "
                           f"dilation {dilation} gives {out}")
    return _pooling.Geometry(kernel, stride, padding, dilation, out)


def _max_pool(function, op, d, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    geometry = _geometry(op, input, d, kernel_size, stride, padding, dilation, ceil_mode)
    values, indices = function.apply(input, geometry)
    return (values, indices) if return_indices else values


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The max over windows of the last dim of (N, C, L) or (C, L) input, as PyTorch's.

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the effective kernel
    size ``dilation * (kernel_size - 1) + 1``) never wins; ``ceil_mode`` rounds the output
    size up. With ``return_indices`` also returns where each max is (int64, flat in L).
    """
    return _max_pool(_pooling.MaxPool1d, "max_pool1d", 1, input, kernel_size, stride,
                     padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The max over 2-D windows of (N, C, H, W) or (C, H, W) input, as PyTorch's.

    Arguments are an int or an (h, w) pair; as ``max_pool1d``. Ties go to the first
    element in window order. ``indices`` (with ``return_indices``) are int64 and flat in
    each (H, W) plane, as PyTorch's (``max_unpool2d`` takes them).

    >>> F.max_pool2d(mg.arange(16.0).reshape(1, 4, 4), 2)
    tensor([[[ 5.,  7.],
             [13., 15.]]])
    """
    return _max_pool(_pooling.MaxPool2d, "max_pool2d", 2, input, kernel_size, stride,
                     padding, dilation, ceil_mode, return_indices)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """The mean over windows of the last dim of (N, C, L) or (C, L) input, as PyTorch's.

    Zero ``padding`` counts in the divisor when ``count_include_pad``; a window that
    ``ceil_mode`` lets overhang the padding is divided by its size within it.
    """
    geometry = _geometry("avg_pool1d", input, 1, kernel_size, stride, padding, 1, ceil_mode)
    return _pooling.AvgPool1d.apply(input, geometry, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean over 2-D windows of (N, C, H, W) or (C, H, W) input, as PyTorch's; as
    ``avg_pool1d``, and ``divisor_override`` divides every window's sum instead. Integer
    input gives integer means, rounded toward zero."""
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("avg_pool2d: divisor must be not zero")
    geometry = _geometry("avg_pool2d", input, 2, kernel_size, stride, padding, 1, ceil_mode)
    return _pooling.AvgPool2d.apply(input, geometry, count_include_pad, divisor_override)


def _adaptive_size(op, input, d, output_size):
    """``output_size`` as a ``d``-tuple; None entries keep the input's size."""
    _check_input(op, input, d)
    sizes = (output_size,) * d if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != d:
        raise RuntimeError(f"{op}: output_size must be an int or a tuple of {d}, got "
                           f"{output_size!r}")
    spatial = input.shape[input.ndim - d:]
    sizes = tuple(n if s is None else s for s, n in zip(sizes, spatial))
    if min(sizes) < 0:
        raise RuntimeError(f"{op}: elements of output_size must be >= 0, got {sizes} (input "
                           f"{tuple(input.shape)})")
    return sizes


def adaptive_avg_pool1d(input, output_size):
    """The mean over ``output_size`` windows of the last dim, which together cover it:
    window i is [floor(i L / O), ceil((i + 1) L / O)), as PyTorch's."""
    out = _adaptive_size("adaptive_avg_pool1d", input, 1, output_size)
    return _pooling.AdaptiveAvgPool1d.apply(input, out)


def adaptive_avg_pool2d(input, output_size):
    """The mean over windows chosen to give an (H_out, W_out) = ``output_size`` result
    (an int for a square; None keeps that dim), as PyTorch's; windows may overlap."""
    out = _adaptive_size("adaptive_avg_pool2d", input, 2, output_size)
    return _pooling.AdaptiveAvgPool2d.apply(input, out)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """The max over the windows of ``adaptive_avg_pool1d``; with ``return_indices`` also
    where each is (int64)."""
    out = _adaptive_size("adaptive_max_pool1d", input, 1, output_size)
    values, indices = _pooling.AdaptiveMaxPool1d.apply(input, out)
    return (values, indices) if return_indices else values


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """The max over the windows of ``adaptive_avg_pool2d``; with ``return_indices`` also
    where each is (int64, flat in each plane), as PyTorch's."""
    out = _adaptive_size("adaptive_max_pool2d", input, 2, output_size)
    values, indices = _pooling.AdaptiveMaxPool2d.apply(input, out)
    return (values, indices) if return_indices else values


_MODES = {"nearest": (3, 4), "bilinear": (4,)}  # mode -> the input ranks minigrad resizes


def _resize_target(input, size, scale_factor, recompute_scale_factor):
    """PyTorch's output size and the scale factors the source index uses (None: derived
    from the sizes), from exactly one of ``size`` and ``scale_factor``."""
    d = input.ndim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * d
        if len(sizes) != d:
            raise ValueError(f"interpolate: input with spatial dimensions of {spatial} and "
                             f"output size of {size} must have the same number of dims")
        if not all(isinstance(s, int) for s in sizes):
            raise TypeError(f"interpolate: size must be an int or a tuple of ints, got "
                            f"{size!r}")
        return tuple(sizes), (None,) * d
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) \
        else [scale_factor] * d
    if len(scales) != d:
        raise ValueError(f"interpolate: input with spatial dimensions of {spatial} and "
                         f"scale_factor of shape {scale_factor} must have the same number "
                         "of dims")
    out = tuple(int(n * s) for n, s in zip(spatial, scales))
    return out, (None,) * d if recompute_scale_factor else tuple(float(s) for s in scales)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize (N, C, L) or (N, C, H, W) input to ``size`` or by ``scale_factor``, as
    PyTorch's ``interpolate``.

    ``mode="nearest"`` (3-D or 4-D input) copies the source element floor(o * in / out)
    (or floor(o / scale_factor) when a scale factor is given, unless
    ``recompute_scale_factor``); ``mode="bilinear"`` (4-D) blends the four neighbours of
    the source point (o + 0.5) * in / out - 0.5, or o * (in - 1) / (out - 1) with
    ``align_corners=True``. Other modes and ``antialias`` raise NotImplementedError.
    """
    require_tensor("interpolate", "input", input)
    if mode == "nearest" and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    out, scales = _resize_target(input, size, scale_factor, recompute_scale_factor)
    if antialias and not (mode == "bilinear" and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if mode not in _MODES or input.ndim not in _MODES[mode] or antialias:
        raise NotImplementedError(
            f"interpolate: mode={mode!r}{' with antialias' if antialias else ''} on "
            f"{input.ndim}-D input {tuple(input.shape)} is not supported; minigrad has "
            "'nearest' (3-D and 4-D input) and 'bilinear' (4-D input)")
    spatial = tuple(input.shape[2:])
    if min(spatial + out) < 1 or input.shape[1] == 0:
        raise RuntimeError(f"interpolate: input and output sizes should be greater than 0, "
                           f"but got input {tuple(input.shape)} and output size {out}")
    if input.data.dtype.kind != "f":
        raise NotImplementedError(f"interpolate: mode={mode!r} is not implemented for "
                                  f"{input.dtype.name}")
    if mode == "nearest":
        return _interpolation.UpsampleNearest.apply(input, out, scales)
    return _interpolation.UpsampleBilinear2d.apply(input, out, bool(align_corners), scales)
