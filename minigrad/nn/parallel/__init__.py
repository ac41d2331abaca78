"""Parallel training, as ``torch.nn.parallel``: ``DistributedDataParallel``, one model
replica per process of a ``minigrad.distributed`` process group."""

from minigrad.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
