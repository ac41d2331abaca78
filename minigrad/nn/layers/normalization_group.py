"""Normalization over groups of channels and by root mean square: ``GroupNorm``, ``RMSNorm``.
Both use the statistics of the input itself, in training and evaluation alike, so they keep
no running buffers."""

from minigrad.nn import functional as F
from minigrad.nn.layers.normalization import add_affine_parameters
from minigrad.nn.module import Module

__all__ = ["GroupNorm", "RMSNorm"]


class GroupNorm(Module):
    """Group normalization over (N, C, *) input (Wu and He, 2018): the C = ``num_channels``
    channels are split into ``num_groups`` groups, each standardized per sample; ``affine``
    adds a per-channel ``weight`` (ones) and, unless ``bias=False``, ``bias`` (zeros).
    ``num_groups=1`` normalizes like layer norm over (C, *), ``num_groups=C`` like instance
    norm."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        add_affine_parameters(self, num_channels, affine, bias,
                              {"dtype": dtype, "device": device})

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """Root mean square normalization over the trailing ``normalized_shape`` dims (Zhang and
    Sennrich, 2019): y = x / sqrt(mean(x^2) + eps) * weight, with ``weight`` ones when
    ``elementwise_affine``; ``eps=None`` is the machine epsilon of the input's dtype."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
            else tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        add_affine_parameters(self, self.normalized_shape, elementwise_affine, False,
                              {"dtype": dtype, "device": device})

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
