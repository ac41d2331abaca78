"""Pooling and resizing layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, the adaptive pools,
``Upsample``. They hold no parameters: each keeps its arguments (as PyTorch's, for the same
``repr``) and calls the functional form in ``minigrad.nn.functional``."""

from minigrad.nn import functional as F
from minigrad.nn.module import Module

__all__ = ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
           "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d", "Upsample"]


class _MaxPoolNd(Module):
    """What both max pools keep; ``stride`` defaults to ``kernel_size``."""

    pool = None  # the functional form

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return self.pool(input, self.kernel_size, self.stride, self.padding, self.dilation,
                         ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                f", dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """The max over windows of the last dim of (N, C, L) or (C, L) input
    (``F.max_pool1d``); with ``return_indices`` also where each max is."""

    pool = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """The max over 2-D windows of (N, C, H, W) or (C, H, W) input (``F.max_pool2d``): the
    usual way a convolutional network halves its feature maps (``MaxPool2d(2)``)."""

    pool = staticmethod(F.max_pool2d)


class AvgPool1d(Module):
    """The mean over windows of the last dim of (N, C, L) or (C, L) input
    (``F.avg_pool1d``). As PyTorch's, its arguments are kept as 1-tuples."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _single(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class AvgPool2d(Module):
    """The mean over 2-D windows of (N, C, H, W) or (C, H, W) input (``F.avg_pool2d``)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    """What the adaptive pools keep: the output size (an int, or a tuple whose None entries
    keep the input's size)."""

    pool = None  # the functional form

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return self.pool(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """The mean over ``output_size`` windows covering the last dim
    (``F.adaptive_avg_pool1d``)."""

    pool = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptivePool):
    """The mean over windows giving an ``output_size`` result (``F.adaptive_avg_pool2d``):
    ``AdaptiveAvgPool2d(1)`` is the global average pooling before a classifier."""

    pool = staticmethod(F.adaptive_avg_pool2d)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return self.pool(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """The max over the windows of ``AdaptiveAvgPool1d`` (``F.adaptive_max_pool1d``)."""

    pool = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """The max over the windows of ``AdaptiveAvgPool2d`` (``F.adaptive_max_pool2d``)."""

    pool = staticmethod(F.adaptive_max_pool2d)


class Upsample(Module):
    """Resize to ``size`` or by ``scale_factor`` (kept as floats, as PyTorch) with
    ``F.interpolate``'s ``mode`` ("nearest" or "bilinear") and ``align_corners``."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode,
                             self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None \
            else f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"
