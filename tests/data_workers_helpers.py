"""What the spawned workers of ``test_utils_data_workers.py`` unpickle: kept apart from the
tests so that a spawned worker imports minigrad and nothing heavier (no PyTorch)."""

import minigrad as mg
from minigrad.utils import data


def squares_collate(batch):
    """The workers' ids, and the squares of the floats as a tensor of the default dtype."""
    return [worker for worker, _ in batch], mg.tensor([half * half for _, half in batch])


def record_worker(worker_id):
    data.get_worker_info().dataset.started_by = worker_id


class Started(data.Dataset):
    """Each sample: the id of the worker whose ``worker_init_fn`` ran on this copy, and a
    float (a tensor of the default dtype once collated)."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return self.started_by, index + 0.5
