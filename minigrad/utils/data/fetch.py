"""How a ``DataLoader`` turns one key into one batch, as PyTorch's fetchers: the same code
runs in the main process (``num_workers=0``) and in every worker process, so both give the
same batches."""

import itertools

from minigrad.utils.data.collate import default_collate
from minigrad.utils.data.dataset import batch_gatherer


def map_fetcher(dataset, auto_collation, collate_fn):
    """A function from a key to its batch, for a map-style dataset. When batching, the key
    is a list of indices: a ``TensorDataset`` gathers its rows by one array index per tensor,
    a dataset with ``__getitems__`` fetches them in one call, any other one sample by sample;
    then ``collate_fn`` merges them. Without batching the key is one index, converted by
    ``collate_fn``."""
    if not auto_collation:
        return lambda key: collate_fn(dataset[key])
    gather = batch_gatherer(dataset) if collate_fn is default_collate else None
    if gather is not None:
        return gather
    getitems = getattr(dataset, "__getitems__", None)
    if callable(getitems):
        return lambda key: collate_fn(getitems(key))
    return lambda key: collate_fn([dataset[i] for i in key])


class StreamFetcher:
    """One pass over an iterable dataset: each call reads the samples of one key (``len(key)``
    of them when batching, else one) and collates them. ``StopIteration`` says the stream is
    over: nothing was left, or with ``drop_last`` only a short batch."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self._stream = iter(dataset)
        self._auto_collation, self._drop_last = auto_collation, drop_last
        self.collate_fn = collate_fn

    def read(self, key):
        """The samples of ``key``, not collated (what a resumed pass skips over)."""
        if not self._auto_collation:
            return next(self._stream)
        samples = list(itertools.islice(self._stream, len(key)))
        if not samples or (self._drop_last and len(samples) < len(key)):
            raise StopIteration
        return samples

    def __call__(self, key):
        return self.collate_fn(self.read(key))
