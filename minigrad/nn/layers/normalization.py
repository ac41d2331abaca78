"""Batch norm (``BatchNorm1d/2d/3d``), instance norm (``InstanceNorm1d/2d/3d``) and
``LayerNorm``: the modules own the parameters and running statistics; the math is the
fused ops in ``minigrad.ops.normalization``."""

import warnings

from minigrad import creation, dtypes
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "LayerNorm"]


def add_affine_parameters(module, shape, affine, bias, place):
    """Give a normalization layer its ``weight`` (ones) and ``bias`` (zeros) of ``shape``
    when ``affine``, or register them as None, as PyTorch does (``bias=False`` drops only
    the bias); ``place`` holds the ``dtype`` and ``device`` keywords."""
    if affine:
        module.weight = Parameter(creation.ones(shape, **place))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(creation.zeros(shape, **place))
    else:
        module.register_parameter("bias", None)


class _NormBase(Module):
    """What batch and instance norm share: per-channel ``weight`` (ones) and ``bias`` (zeros)
    when ``affine`` (``bias=False`` drops the bias), the running buffers ``running_mean``,
    ``running_var`` and ``num_batches_tracked`` when ``track_running_stats``, PyTorch's repr,
    and the check of the input's rank against ``input_ranks``."""

    input_ranks = ()

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        place = {"dtype": dtype, "device": device}
        add_affine_parameters(self, num_features, affine, bias, place)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, **place))
            self.register_buffer("running_var", creation.ones(num_features, **place))
            self.register_buffer("num_batches_tracked",
                                 creation.zeros((), dtype=dtypes.int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input_dim(self, x):
        if x.ndim not in self.input_ranks:
            expected = " or ".join(f"{rank}D" for rank in self.input_ranks)
            raise ValueError(f"{type(self).__name__}: expected {expected} input (got {x.ndim}D "
                             f"input of shape {tuple(x.shape)})")

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch normalization (Ioffe and Szegedy, 2015): statistics per channel over the batch
    and every axis after the channels.

    Training normalizes with the batch's mean and biased variance and updates
    ``running_mean``/``running_var`` (unbiased variance) with ``momentum``, or with a
    cumulative average when ``momentum=None``; evaluation normalizes with the running
    statistics. ``track_running_stats=False`` always uses batch statistics.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, x):
        self._check_input_dim(x)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / self.num_batches_tracked.item()
        # NOTE: as PyTorch, a module without running statistics (not tracked, or set to
        # None) normalizes with the batch's in evaluation too
        use_batch_stats = self.training or (self.running_mean is None
                                            and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, momentum, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L) input."""

    input_ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W) input: per channel over N, H and W."""

    input_ranks = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization over (N, C, D, H, W) input: per channel over N, D, H and W."""

    input_ranks = (5,)


class _InstanceNorm(_NormBase):
    """Instance normalization (Ulyanov et al., 2016): every channel of every sample
    standardized over its own spatial axes; input with or without the batch dim.

    By default (``affine=False``, ``track_running_stats=False``) there are no parameters and
    no buffers. With ``track_running_stats=True`` training moves the running buffers towards
    the batch-averaged statistics (``momentum=None`` counts as 0, as in PyTorch, and
    ``num_batches_tracked`` stays 0) and evaluation normalizes with them.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input):
        self._check_input_dim(input)
        channel_dim = 1 if input.ndim == self.input_ranks[1] else 0
        channels = input.shape[channel_dim]
        if channels != self.num_features:
            if self.affine:
                raise ValueError(f"{type(self).__name__}: expected input's size at "
                                 f"dim={channel_dim} to match num_features "
                                 f"({self.num_features}), but got: {channels} (input "
                                 f"{tuple(input.shape)})")
            warnings.warn(f"input's size at dim={channel_dim} does not match num_features. You "
                          "can silence this warning by not passing in num_features, which is "
                          "not used because affine=False", stacklevel=2)
        batched = input if channel_dim == 1 else input.unsqueeze(0)
        out = F.instance_norm(batched, self.running_mean, self.running_var, self.weight,
                              self.bias, self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out if channel_dim == 1 else out.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization over (N, C, L) or unbatched (C, L) input."""

    input_ranks = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over (N, C, H, W) or unbatched (C, H, W) input."""

    input_ranks = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization over (N, C, D, H, W) or unbatched (C, D, H, W) input."""

    input_ranks = (4, 5)


class LayerNorm(Module):
    """Layer normalization over the trailing ``normalized_shape`` dims (Ba et al., 2016)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
            else tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        add_affine_parameters(self, self.normalized_shape, elementwise_affine, bias,
                              {"dtype": dtype, "device": device})

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
