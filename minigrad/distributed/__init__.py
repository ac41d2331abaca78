"""Data-parallel training across processes, as ``torch.distributed``: a process group over
MPI (``init_process_group``, ``get_rank``, ``get_world_size``, ``destroy_process_group``)
and the collectives that move tensors between its ranks, in place.

Start the processes with ``mpiexec -n 2 python train.py`` or
``python -m minigrad.distributed.run -n 2 train.py``; the ranks then build the same model,
wrap it in ``nn.parallel.DistributedDataParallel`` and read their own shard of the data
through ``utils.data.DistributedSampler``. Needs the ``distributed`` extra (mpi4py and an
MPI): ``pip install 'minigrad[distributed]'``.
"""

from minigrad.distributed.collectives import (
    Work,
    all_gather,
    all_reduce,
    barrier,
    broadcast,
    reduce_scatter,
)
from minigrad.distributed.process_group import (
    DistError,
    ReduceOp,
    destroy_process_group,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
)

__all__ = ["DistError", "ReduceOp", "Work", "all_gather", "all_reduce", "barrier", "broadcast",
           "destroy_process_group", "get_rank", "get_world_size", "init_process_group",
           "is_available", "is_initialized", "reduce_scatter"]
