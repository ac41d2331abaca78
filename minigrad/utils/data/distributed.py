"""``DistributedSampler``, as ``torch.utils.data.distributed``: each rank's share of a
dataset, so that data-parallel replicas train on disjoint parts of every epoch."""

import math

from minigrad import distributed
from minigrad.creation_random import randperm
from minigrad.random import Generator
from minigrad.utils.data.sampler import Sampler


class DistributedSampler(Sampler):
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` visits (by default
    this process's rank and the process group's size), with PyTorch's arithmetic: the
    order (a permutation drawn from ``seed + epoch`` when ``shuffle``, else 0, 1, ...) is
    padded by repeating its start until every rank gets ``ceil(n / num_replicas)``
    indices, or with ``drop_last`` cut to ``floor(n / num_replicas)`` each; then rank r
    takes every ``num_replicas``-th index from position r.

    With a sampler per rank and a batch of b per rank, step k of every rank together
    covers positions ``k * b * num_replicas`` to ``(k + 1) * b * num_replicas`` of the
    order: the batch one process would take with a batch of ``b * num_replicas``.

    Call ``set_epoch(epoch)`` before each epoch for a new order (the ranks agree on it
    without communicating). ``state_dict`` holds what the order depends on, so a resumed
    run sees the same orders; a ``DataLoader`` over this sampler resumes mid-epoch through
    its own ``state_dict``.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None:
            num_replicas = distributed.get_world_size()
        if rank is None:
            rank = distributed.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        if drop_last and len(dataset) % num_replicas != 0:
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            generator = Generator().manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=generator).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            padding = self.total_size - n
            indices += (indices * math.ceil(padding / n))[:padding] if padding else []
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use epoch ``epoch``'s order on the next pass (with ``shuffle``)."""
        self.epoch = epoch

    def state_dict(self):
        """What the order depends on: the epoch and the seed (minigrad's addition)."""
        return {"epoch": self.epoch, "seed": self.seed}

    def load_state_dict(self, state):
        """Go on with ``state``'s epoch and seed."""
        self.epoch, self.seed = int(state["epoch"]), int(state["seed"])
