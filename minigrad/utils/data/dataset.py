"""Datasets, as ``torch.utils.data.dataset``: the map-style ``Dataset`` (``__getitem__`` and
``__len__``), the stream-style ``IterableDataset`` (``__iter__``), and the ways to build
one from others: ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``ChainDataset`` and
``random_split``."""

import bisect
import itertools
import math
import types
import warnings

from minigrad.random import generator_or_default, host_generator
from minigrad.tensor import Tensor


class Dataset:
    """A map from keys (by default ``0 .. len - 1``) to samples: subclasses write
    ``__getitem__`` and, for the default samplers, ``__len__``. ``a + b`` concatenates."""

    # NOTE: ``Dataset[int]`` works in annotations and base classes, as PyTorch's Generic
    __class_getitem__ = classmethod(types.GenericAlias)

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses write ``__iter__``. ``a + b`` chains two streams."""

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the i-th rows of the given tensors (e.g. inputs and labels).

    The ``DataLoader`` gathers a whole batch of rows by one array index per tensor instead
    of indexing and stacking each sample.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        if len({len(t) for t in tensors}) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(f"Size mismatch between tensors: first dims differ ({shapes})")
        self.tensors = tuple(tensors)

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def _gather(self, indices):
        """The collated batch of rows ``indices``: what ``default_collate`` makes of them."""
        return [Tensor._make(t.data[t._backend.asarray(indices)], t._backend)
                for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices
        overrides_one = type(self).__getitem__ is not Subset.__getitem__
        if overrides_one and type(self).__getitems__ is Subset.__getitems__:
            raise NotImplementedError(
                f"{type(self).__name__} overrides __getitem__ but not __getitems__: the "
                "DataLoader fetches a Subset's batches with __getitems__, so override both "
                "(def __getitems__(self, indices): return [self[i] for i in indices])")

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        inner = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        return getitems(inner) if callable(getitems) else [self.dataset[i] for i in inner]

    def __len__(self):
        return len(self.indices)


def batch_gatherer(dataset):
    """A function from a list of indices to the collated batch, gathering rows by array
    indexing, for a ``TensorDataset`` (or a ``Subset`` of one) whose ``__getitem__`` is the
    stock one; ``None`` for any other dataset (its samples go through the collate)."""
    stock = type(dataset).__getitem__
    if stock is TensorDataset.__getitem__ and not hasattr(dataset, "__getitems__"):
        return dataset._gather
    if stock is Subset.__getitem__ and type(dataset).__getitems__ is Subset.__getitems__:
        inner = batch_gatherer(dataset.dataset)
        if inner is not None:
            return lambda indices: inner([dataset.indices[i] for i in indices])
    return None


class ConcatDataset(Dataset):
    """The samples of several map-style datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        if any(isinstance(d, IterableDataset) for d in self.datasets):
            raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """Several iterable datasets streamed one after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def _each(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield d

    def __iter__(self):
        for d in self._each():
            yield from d

    def __len__(self):
        return sum(len(d) for d in self._each())


def _lengths_of_fractions(fractions, total):
    """Split sizes for fractions summing to 1: floors, then the remainder handed out one
    by one from the first split on, as PyTorch does."""
    lengths = []
    for i, fraction in enumerate(fractions):
        if not 0 <= fraction <= 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(math.floor(total * fraction))
    for i in range(total - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                          "empty dataset.", stacklevel=3)
    return lengths


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping ``Subset``s of the given ``lengths`` (or of
    fractions summing to 1), by one random permutation drawn from ``generator`` (by default
    one seeded from the shared generator, so ``mg.manual_seed`` makes it repeat)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_of_fractions(lengths, len(dataset))
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    host = host_generator(generator_or_default(generator), "random_split")
    order = host.permutation(sum(lengths)).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, order[end - length:end]) for end, length in zip(ends, lengths)]
