"""Samplers, as ``torch.utils.data.sampler``: iterables of dataset keys (``Sampler``) and of
lists of keys (``BatchSampler``) that decide the order a ``DataLoader`` visits samples in.

The random ones draw from their ``generator`` (an ``mg.Generator``) each time they are
iterated; without one, each iteration draws a fresh seed from the shared generator, so
``mg.manual_seed`` makes the orders repeat.
"""

import itertools
import types

from minigrad.random import generator_or_default, host_generator


def _draws(generator, op):
    """The host generator to draw one pass of indices from (see the module docstring)."""
    return host_generator(generator_or_default(generator), op)


def _positive_int(value, name, error=ValueError):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise error(f"{name} should be a positive integer value, but got {name}={value}")


def _boolean(value, name, error=ValueError):
    if not isinstance(value, bool):
        raise error(f"{name} should be a boolean value, but got {name}={value}")


class Sampler:
    """Base class of samplers: subclasses write ``__iter__`` (the keys, in order) and, where
    it is known, ``__len__``."""

    __class_getitem__ = classmethod(types.GenericAlias)  # ``Sampler[int]``, as in PyTorch

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``, every time."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """The indices of ``data_source`` in a new random order on each pass; with
    ``replacement``, ``num_samples`` independent uniform draws instead. Without replacement,
    ``num_samples`` beyond the dataset's length chains whole permutations."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _boolean(replacement, "replacement", TypeError)
        _positive_int(self.num_samples, "num_samples")

    @property
    def num_samples(self):
        """``num_samples``, or the dataset's current length when it was not given."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, wanted = len(self.data_source), self.num_samples
        rng = _draws(self.generator, "RandomSampler")
        if self.replacement:
            yield from rng.integers(0, n, size=wanted).tolist()
            return
        passes = [rng.permutation(n).tolist() for _ in range(-(-wanted // n))]
        yield from itertools.islice(itertools.chain.from_iterable(passes), wanted)

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a new random order on each pass (without replacement)."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def __iter__(self):
        order = _draws(self.generator, "SubsetRandomSampler").permutation(len(self.indices))
        yield from (self.indices[i] for i in order.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices into ``weights``, each drawn with probability proportional to
    its weight (the weights need not sum to one); without ``replacement``, no repeats."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _positive_int(num_samples, "num_samples")
        _boolean(replacement, "replacement")
        try:
            weights = [float(w) for w in weights]
        except (TypeError, ValueError):
            raise ValueError("weights should be a 1d sequence of numbers") from None
        self.weights, self.num_samples = weights, num_samples
        self.replacement, self.generator = replacement, generator

    def __iter__(self):
        total, nonzero = sum(self.weights), sum(w > 0 for w in self.weights)
        if total <= 0 or min(self.weights) < 0:
            raise RuntimeError("WeightedRandomSampler: weights must be non-negative with a "
                               f"positive sum, got sum {total}")
        if not self.replacement and self.num_samples > nonzero:
            raise RuntimeError(f"WeightedRandomSampler: cannot draw {self.num_samples} "
                               f"samples without replacement from {nonzero} non-zero weights")
        rng = _draws(self.generator, "WeightedRandomSampler")
        picks = rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                           p=[w / total for w in self.weights])
        yield from picks.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` consecutive keys from ``sampler``; the last list is shorter
    unless ``drop_last`` drops it.

    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        _positive_int(batch_size, "batch_size")
        _boolean(drop_last, "drop_last")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        keys = iter(self.sampler)
        while batch := list(itertools.islice(keys, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)
