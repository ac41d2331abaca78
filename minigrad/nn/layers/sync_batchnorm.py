"""``SyncBatchNorm``: batch normalization over the global batch of a data-parallel job, the
union of every rank's batch, with ``convert_sync_batchnorm`` to turn a model's batch norm
layers into it. The math is the ``Function`` in ``minigrad.ops.normalization_sync``."""

from minigrad import distributed
from minigrad.distributed.collectives import sum_array_
from minigrad.distributed.process_group import default_world
from minigrad.nn.functional import _check_norm_args, _update_running
from minigrad.nn.layers.normalization import _BatchNorm
from minigrad.ops import normalization_sync

__all__ = ["SyncBatchNorm"]


def _all_sum(array, summary):
    sum_array_("SyncBatchNorm", array, summary)


class SyncBatchNorm(_BatchNorm):
    """Batch normalization of (N, C, *) input whose training statistics are the global
    batch's: per channel over every rank's samples and every axis after the channels, as
    ``torch.nn.SyncBatchNorm``.

    Every rank must run forward and backward in step with the others (batch sizes may
    differ, even be 0 on a rank). The running statistics blend in the global mean and
    unbiased variance, so they are identical on every rank and equal to a single process's
    over the global batch. Evaluation is ``BatchNorm``'s, with the running statistics.

    Unlike PyTorch, which quietly normalizes each process's own batch when no process group
    is initialized, training without one raises: synchronizing is this layer's one job. A
    group of a single process is plain batch norm.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, x):
        if x.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {x.ndim}D input "
                             f"of shape {tuple(x.shape)})")

    def forward(self, input):
        self._check_input_dim(input)
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        if not self.training:
            return super().forward(input)
        if not distributed.is_initialized():
            raise RuntimeError("SyncBatchNorm: training synchronizes the batch statistics "
                               "over a process group, and none is initialized: call "
                               "mg.distributed.init_process_group() first (under mpiexec), or "
                               "use BatchNorm1d/2d/3d in a single process")
        if default_world("SyncBatchNorm", self.process_group).size == 1:
            return super().forward(input)
        _check_norm_args("SyncBatchNorm", input, self.running_mean, self.running_var,
                         self.weight, self.bias)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / self.num_batches_tracked.item()
        y, mean, var, count = normalization_sync.SyncBatchNorm.apply(
            input, self.weight, self.bias, self.eps, _all_sum)
        if self.track_running_stats:
            _update_running(self.running_mean, self.running_var, mean.data, var.data, momentum,
                            float(count.data))
        return y

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every ``BatchNorm1d/2d/3d`` in it replaced by a ``SyncBatchNorm``
        holding the same parameters, buffers and mode (the very tensors, not copies); the
        module itself is returned when it is one."""
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            for name in ("weight", "bias"):
                converted.register_parameter(name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                converted.register_buffer(name, getattr(module, name))
            converted.train(module.training)
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
