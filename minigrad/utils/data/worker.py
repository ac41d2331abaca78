"""What runs inside a ``DataLoader`` worker process, as ``torch.utils.data._utils.worker``:
the seeding, ``get_worker_info()``, the loop that turns keys into batches, and how a
worker's exception travels to the main process.

Everything a worker sends is pickled here, in the worker, so a batch that cannot be
pickled becomes an error the main process raises instead of a batch that never arrives.
Tensors pickle as NumPy arrays plus their backend's name (``Tensor.__reduce__``) and are
rebuilt on that backend in the main process.
"""

import dataclasses
import os
import pickle
import queue
import random
import sys
import traceback

from minigrad import backends, dtypes
from minigrad.utils.data.fetch import StreamFetcher, map_fetcher

POLL_S = 0.5  # how long either side waits on a queue before checking the other is alive
_WORD = 2 ** 32

_info = None  # this process's WorkerInfo; None in the main process


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """About the worker process running the caller, as PyTorch's: ``id`` (0 to
    ``num_workers - 1``), ``num_workers``, ``seed`` (``base_seed + id``) and ``dataset``, this
    process's own copy of the loader's dataset."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """In a ``DataLoader`` worker process, its ``WorkerInfo``; ``None`` in the main process.

    A ``worker_init_fn`` or an ``IterableDataset.__iter__`` uses it to give each worker its
    own share of the data (each worker iterates a full copy of an iterable dataset
    otherwise), or ``seed`` to seed other libraries."""
    return _info


@dataclasses.dataclass(frozen=True)
class WorkerJob:
    """What every worker of one loader needs, sent once when it starts: the dataset, how to
    fetch and collate, ``worker_init_fn``, and the main process's defaults (a spawned
    worker starts with minigrad's own, and its batches must be built alike)."""

    dataset: object
    iterable: bool
    auto_collation: bool
    collate_fn: object
    drop_last: bool
    init_fn: object
    num_workers: int
    default_backend: str
    default_dtype: str

    def fetcher(self):
        """A fetcher for one pass: a new stream for an iterable dataset."""
        if self.iterable:
            return StreamFetcher(self.dataset, self.auto_collation, self.collate_fn,
                                 self.drop_last)
        return map_fetcher(self.dataset, self.auto_collation, self.collate_fn)


class StreamEnd:
    """A worker's answer when its copy of an iterable dataset has no batch left."""


class _Verbatim(str):
    """A message that ``KeyError`` shows as it is (it shows the ``repr`` of others)."""

    def __repr__(self):
        return str(self)


def _picklable(obj):
    try:
        pickle.dumps(obj)
    except Exception:  # NOTE: whatever the reason, the main process could not rebuild it
        return False
    return True


class WorkerFailure:
    """The exception being handled in worker ``worker_id``, as its type and its traceback's
    text (a traceback object cannot cross processes); ``reraise`` raises it in the main
    process with PyTorch's message."""

    def __init__(self, worker_id):
        kind, error, trace = sys.exc_info()
        self.kind = kind if _picklable(kind) else RuntimeError
        self.text = "".join(traceback.format_exception(kind, error, trace))
        self.worker_id = worker_id

    def reraise(self):
        message = (f"Caught {self.kind.__name__} in DataLoader worker process "
                   f"{self.worker_id}.\nOriginal {self.text}")
        if self.kind is KeyError:
            message = _Verbatim(message)
        try:
            error = self.kind(message)
        except Exception:  # NOTE: a type whose constructor wants other arguments
            raise RuntimeError(message) from None
        raise error


def _seed_worker(base_seed, worker_id, job):
    """Give this worker the main process's defaults and its own random streams, as
    PyTorch does: minigrad's generators and Python's ``random`` from ``base_seed +
    worker_id``, NumPy's legacy global generator (``numpy.random.seed``) from the same number
    split in 32-bit words. Returns the seed."""
    if backends.get_default_backend() != job.default_backend:
        backends.set_default_backend(job.default_backend)
    if dtypes.get_default_dtype().name != job.default_dtype:
        dtypes.set_default_dtype(getattr(dtypes, job.default_dtype))
    seed = base_seed + worker_id
    random.seed(seed)
    backends.manual_seed(seed)
    # NOTE: the NumPy backend's namespace is NumPy itself (this package imports no NumPy)
    backends.get_backend("numpy").xp.random.seed([seed % _WORD, seed // _WORD % _WORD])
    return seed


def worker_loop(job, worker_id, base_seed, tasks, results, done):
    """The body of worker process ``worker_id``: seed, run ``worker_init_fn``, then answer
    each task ``(generation, index, key)`` from ``tasks`` with ``(generation, index, batch)``
    pickled on ``results`` (a ``WorkerFailure`` or ``StreamEnd`` in place of the batch),
    until ``None`` comes or the main process is gone. A new generation is a new pass: an
    iterable dataset's stream starts over."""
    global _info
    try:
        seed = _seed_worker(base_seed, worker_id, job)
        _info = WorkerInfo(worker_id, job.num_workers, seed, job.dataset)
        failure = None
        try:
            if job.init_fn is not None:
                job.init_fn(worker_id)
        except Exception:  # NOTE: raised with the first batch asked for, as in PyTorch
            failure = WorkerFailure(worker_id)
        _serve(job, worker_id, tasks, results, done, failure)
    except KeyboardInterrupt:
        pass  # NOTE: Ctrl-C reaches the whole process group; the main process reports it
    if done.is_set():
        results.cancel_join_thread()  # NOTE: exit even if nobody reads what is still queued


def _serve(job, worker_id, tasks, results, done, failure):
    """Answer tasks until told to stop; ``failure`` (of ``worker_init_fn``) answers the
    first."""
    parent = os.getppid()
    generation, fetch, ended = None, None, False
    while True:
        try:
            task = tasks.get(timeout=POLL_S)
        except queue.Empty:
            if os.getppid() != parent:
                return  # the main process died: there is nobody to load for
            continue
        if task is None:
            return
        if done.is_set():
            continue
        if task[0] != generation:
            generation, fetch, ended = task[0], None, False
        if ended:
            continue  # NOTE: keys the main process sent before it saw this stream's end
        if failure is not None:
            result, failure = failure, None
        else:
            fetch, result = _answer(job, fetch, task[2], worker_id)
            ended = isinstance(result, StreamEnd)
        results.put(_pickled(generation, task[1], result, worker_id))


def _answer(job, fetch, key, worker_id):
    """The pass's fetcher (made at its first key, when ``fetch`` is ``None``) and the batch
    of ``key``, or what the main process is told in its place."""
    try:
        if fetch is None:
            fetch = job.fetcher()
        return fetch, fetch(key)
    except StopIteration:
        return fetch, StreamEnd() if job.iterable else WorkerFailure(worker_id)
    except Exception:  # NOTE: every error goes to the main process, which raises it
        return fetch, WorkerFailure(worker_id)


def _pickled(generation, index, result, worker_id):
    """The answer as bytes, or the error that pickling it raised."""
    try:
        return pickle.dumps((generation, index, result), pickle.HIGHEST_PROTOCOL)
    except Exception:  # NOTE: e.g. a tensor inside a graph: say so rather than never answer
        failure = WorkerFailure(worker_id)
        return pickle.dumps((generation, index, failure), pickle.HIGHEST_PROTOCOL)
