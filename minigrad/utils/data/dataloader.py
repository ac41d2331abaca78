"""``DataLoader``, as ``torch.utils.data.DataLoader``: a dataset's samples in batches, loaded
in the main process or by worker processes, plus (minigrad's addition) a ``state_dict`` from
which a loader goes on mid-epoch with exactly the batches that would have come next."""

import itertools
import math

from minigrad.random import Generator, draw_seed, host_generator
from minigrad.utils.data.collate import default_collate, default_convert
from minigrad.utils.data.dataset import IterableDataset
from minigrad.utils.data.fetch import StreamFetcher, map_fetcher
from minigrad.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from minigrad.utils.data.worker_pool import WorkerPool, checked_context

# what PyTorch forbids changing once the loader is built
_FIXED = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
          "persistent_workers")
_SEED_RANGE = 2 ** 63


class _Unending(Sampler):
    """The keys of an iterable dataset: ``None`` forever, since the stream itself decides
    what comes next (PyTorch's ``_InfiniteConstantSampler``)."""

    def __iter__(self):
        return itertools.repeat(None)


def _checked_prefetch_factor(num_workers, timeout, prefetch_factor, persistent_workers):
    """PyTorch's checks of the worker options; the prefetch factor they leave (by default
    2 with workers, ``None`` without)."""
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    return 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor


def _check_iterable(shuffle, sampler, batch_sampler):
    """An iterable dataset orders itself: no shuffle, sampler or batch_sampler."""
    given = {"shuffle": shuffle if shuffle not in (None, False) else None,
             "sampler": sampler, "batch_sampler": batch_sampler}
    for name, value in given.items():
        if value is not None:
            raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} "
                             f"option, but got {name}={value}")


class DataLoader:
    """Iterate over ``dataset`` in batches, with PyTorch's arguments.

    The order comes from ``sampler`` (by default ``0, 1, ...``, or with ``shuffle`` a
    ``RandomSampler``), grouped by ``batch_size`` (or by ``batch_sampler``), and each batch
    is merged by ``collate_fn`` (``default_collate``). A ``TensorDataset`` batch is gathered
    by one array index per tensor.

    With ``num_workers > 0``, that many worker processes (started with
    ``multiprocessing_context``, by default the platform's start method) fetch and collate
    the batches, ``prefetch_factor`` (default 2) keys ahead each, while the keys are drawn
    here as without workers: the same batches in the same order. Each worker runs
    ``worker_init_fn(worker_id)`` first and is seeded as in PyTorch: a ``base_seed`` is
    drawn each time workers start (from an independent stream of the order's generator, so
    the order is untouched; else from ``generator``, else from the shared generator), and
    worker ``i`` seeds minigrad, Python's ``random`` and NumPy's legacy ``numpy.random``
    with ``base_seed + i`` (``get_worker_info().seed``; NumPy's from its 32-bit words,
    where PyTorch hashes it). Each worker iterates its own copy of an ``IterableDataset``:
    shard it with ``get_worker_info()``, or the samples repeat once per worker. Workers
    stop at the end of each pass (``break`` and garbage collection included) unless
    ``persistent_workers``, and after an error; an error in a worker is raised here with its
    traceback. ``timeout`` bounds the wait for a batch. With the ``spawn`` start method the
    dataset, ``collate_fn`` and ``worker_init_fn`` must pickle; a forked worker cannot use
    CuPy (as CUDA in PyTorch), so a GPU dataset needs ``multiprocessing_context="spawn"``.
    ``pin_memory`` is accepted and does nothing (there is no pinned host memory to use),
    and ``in_order`` too: batches always come in order.

    Shuffling draws each epoch's permutation from a ``Generator``: ``generator`` if given,
    else one the loader owns, seeded by ``seed`` (minigrad's keyword), by default a draw from
    the shared generator when the loader is built, so ``mg.manual_seed`` makes it repeat.
    Each ``iter(loader)`` begins a new epoch, except the first after ``load_state_dict``,
    which resumes the saved one at its saved batch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, seed=None):
        prefetch_factor = _checked_prefetch_factor(num_workers, timeout, prefetch_factor,
                                                   persistent_workers)
        multiprocessing_context = checked_context(multiprocessing_context, num_workers)
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            _check_iterable(shuffle, sampler, batch_sampler)
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: seed and generator both set the shuffling order; "
                             "pass one of them")
        if sampler is None:
            sampler = self._default_sampler(dataset, iterable, shuffle, generator, seed)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.prefetch_factor = num_workers, prefetch_factor
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.multiprocessing_context, self.in_order = multiprocessing_context, in_order
        self.persistent_workers = persistent_workers
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterable = iterable
        self.epoch, self.batch_index = 0, 0  # the epoch under way and its next batch
        self._epoch_start_state = None  # the order generator's state when the epoch began
        self._resume = False  # whether the next pass goes on from load_state_dict's position
        self._workers = None  # the WorkerPool kept between passes with persistent_workers
        self._initialized = True

    @staticmethod
    def _default_sampler(dataset, iterable, shuffle, generator, seed):
        """PyTorch's default order, shuffled (without ``generator``) by a Generator of the
        loader's own, so that its ``state_dict`` can restore the order mid-epoch."""
        if iterable:
            return _Unending()
        if not shuffle:
            return SequentialSampler(dataset)
        if generator is None:
            generator = Generator().manual_seed(draw_seed() if seed is None else seed)
        return RandomSampler(dataset, generator=generator)

    def __setattr__(self, name, value):
        if name in _FIXED and self.__dict__.get("_initialized", False):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        """What one step draws its keys from: lists of keys when batching, else keys."""
        return self.batch_sampler if self._auto_collation else self.sampler

    def _random_samplers(self):
        """The samplers that draw the order at random (they have a ``generator``): the
        loader's own, or the one inside a user's ``batch_sampler``."""
        own, inner = self.sampler, getattr(self.batch_sampler, "sampler", None)
        return [s for s in (own, None if inner is own else inner) if hasattr(s, "generator")]

    @property
    def _order_generator(self):
        """The Generator the sampler draws the order from (``None`` for a fixed order)."""
        for sampler in self._random_samplers():
            if isinstance(sampler.generator, Generator):
                return sampler.generator
        return None

    @property
    def seed(self):
        """The initial seed of the generator that orders the batches (``None`` if none)."""
        generator = self._order_generator
        return None if generator is None else generator.initial_seed()

    def __len__(self):
        if not self._iterable:
            return len(self._index_sampler)
        length = len(self.dataset)
        if self.batch_size is None:
            return length
        rounded = math.floor if self.drop_last else math.ceil
        return rounded(length / self.batch_size)

    def __iter__(self):
        if self.timeout != 0 and self.num_workers == 0:
            # NOTE: PyTorch raises this only when iterating, too
            raise AssertionError(f"DataLoader: timeout={self.timeout} waits for worker "
                                 "processes; with num_workers=0 it must be 0")
        skip = self._begin_epoch()
        if self.num_workers > 0:
            batches = self._worker_batches(skip)
        else:
            batches = self._stream_batches(skip) if self._iterable else self._map_batches(skip)
        for batch in batches:
            self.batch_index += 1
            yield batch
        self.epoch += 1
        self.batch_index = 0

    def _begin_epoch(self):
        """The number of batches this pass skips: the saved position right after
        ``load_state_dict``, else 0 for a new epoch (a pass left unfinished counts as an
        epoch, as each ``iter`` is one in PyTorch)."""
        if self._resume:
            self._resume = False
            return self.batch_index
        if self.batch_index:
            self.epoch += 1
            self.batch_index = 0
        generator = self._order_generator
        if generator is not None:
            self._epoch_start_state = generator.get_state()
        return 0

    def _map_batches(self, skip):
        """The batches of a map-style dataset after the first ``skip`` (whose keys are drawn,
        so the order is the same, but whose samples are never fetched)."""
        fetch = map_fetcher(self.dataset, self._auto_collation, self.collate_fn)
        keys = itertools.islice(iter(self._index_sampler), skip, None)
        return map(fetch, keys)

    def _stream_batches(self, skip):
        """The batches of an iterable dataset after the first ``skip`` (read, not collated)."""
        fetch = StreamFetcher(self.dataset, self._auto_collation, self.collate_fn,
                              self.drop_last)
        for step, key in enumerate(self._index_sampler):
            try:
                samples = fetch.read(key)
            except StopIteration:
                return
            if step >= skip:
                yield fetch.collate_fn(samples)

    def _worker_batches(self, skip):
        """The batches after the first ``skip``, loaded by the worker processes: started
        now, or still running from the last pass with ``persistent_workers``. They stop when
        the pass ends, is abandoned or fails, unless they persist (not after a failure)."""
        if self.prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        workers = self._workers
        if workers is None or not workers.alive:
            workers = WorkerPool(self, self._worker_base_seed())
        self._workers = workers if self.persistent_workers else None
        keys = iter(self._index_sampler)
        if not self._iterable:
            keys = itertools.islice(keys, skip, None)
        batches = workers.batches(keys)
        keep = False
        try:
            # NOTE: a stream's skipped batches are loaded and dropped: only workers read it
            yield from itertools.islice(batches, skip if self._iterable else 0, None)
            keep = self.persistent_workers
        except GeneratorExit:  # a ``break``, or the pass garbage-collected
            keep = self.persistent_workers
            raise
        finally:
            batches.close()
            if not keep:
                workers.shutdown()
                self._workers = None

    def _worker_base_seed(self):
        """The ``base_seed`` of workers about to start, as PyTorch draws it from the loader's
        generator, but never moving the order's: a draw from a stream jumped far ahead of
        the order generator's, so the order stays what it is without workers (and a resumed
        epoch's workers get the seed they had)."""
        order = self._order_generator
        if order is not None:
            host = host_generator(order, "DataLoader")
            return int(type(host)(host.bit_generator.jumped()).integers(_SEED_RANGE))
        if self.generator is not None:
            return int(host_generator(self.generator, "DataLoader").integers(_SEED_RANGE))
        return draw_seed()

    def state_dict(self):
        """Where the loader is, as plain numbers and strings (``mg.save`` stores it): the
        epoch, its next batch, and the order generator's state when the epoch began."""
        generator = self._order_generator
        if generator is None and self._random_samplers():
            # NOTE: an order drawn from the shared generator cannot be replayed from here
            raise ValueError("DataLoader.state_dict: the batch order comes from a sampler "
                             "without a generator, so it cannot be resumed; give the sampler "
                             "generator=mg.Generator().manual_seed(...)")
        start = None
        if generator is not None:
            start = self._epoch_start_state if self.batch_index else generator.get_state()
        return {"seed": self.seed, "epoch": self.epoch, "batch_index": self.batch_index,
                "generator": start}

    def load_state_dict(self, state):
        """Go on from ``state``: the next ``iter`` yields the saved epoch's remaining
        batches, in its order, then the epochs after it as an uninterrupted loader would."""
        generator, start = self._order_generator, state.get("generator")
        if (generator is None) != (start is None):
            which = "shuffles; this one does not" if generator is None else \
                "does not shuffle; this one does"
            raise ValueError(f"DataLoader.load_state_dict: the state is of a loader that {which}")
        self.epoch, self.batch_index = int(state["epoch"]), int(state["batch_index"])
        if generator is not None:
            generator.set_state(start)
            self._epoch_start_state = start
        self._resume = True
