"""``DataLoader``: batches of a dataset, shuffled reproducibly, resumable mid-epoch."""

import numpy as np

from minigrad.backends import get_backend
from minigrad.data.datasets import TensorDataset
from minigrad.ops.shape import stack
from minigrad.tensor import Tensor


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``.

    With ``shuffle`` each epoch uses a new permutation drawn from ``(seed, epoch)``: the
    order depends only on the seed, which defaults to a draw from the generator
    ``mg.manual_seed`` seeds. ``state_dict()`` records the epoch and the position inside
    it, so a loader restored from a checkpoint yields exactly the batches that would have
    come next.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None):
        if batch_size < 1:
            raise ValueError(f"batch_size should be a positive integer, got {batch_size}")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        if seed is None:
            seed = int(get_backend().rng.integers(2 ** 63))
        self.seed = seed
        self.epoch = 0
        self.batch_index = 0  # the next batch of the current epoch

    def __len__(self):
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full if self.drop_last or not rest else full + 1

    def _order(self):
        if not self.shuffle:
            return np.arange(len(self.dataset))
        return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.dataset))

    def _batch(self, indices):
        if isinstance(self.dataset, TensorDataset):
            return tuple(Tensor._make(t.data[t._backend.asarray(indices)], t._backend)
                         for t in self.dataset.tensors)
        samples = [self.dataset[int(i)] for i in indices]
        return tuple(stack(column) for column in zip(*samples))

    def __iter__(self):
        order = self._order()
        while self.batch_index < len(self):
            start = self.batch_index * self.batch_size
            self.batch_index += 1
            yield self._batch(order[start:start + self.batch_size])
        self.epoch += 1
        self.batch_index = 0

    def state_dict(self):
        return {"seed": self.seed, "epoch": self.epoch, "batch_index": self.batch_index}

    def load_state_dict(self, state):
        self.seed, self.epoch = int(state["seed"]), int(state["epoch"])
        self.batch_index = int(state["batch_index"])
