"""The main-process side of a ``DataLoader`` with ``num_workers > 0``, as PyTorch's
``_MultiProcessingDataLoaderIter``: it starts the worker processes, hands them keys
round-robin, keeps ``prefetch_factor`` keys per worker in flight, puts the batches back in
key order, and stops the workers when the loader is done with them.

The sampler runs here, in the main process, so the keys (and with them the batches and
their order) are those ``num_workers=0`` would give, and the loader's ``state_dict`` is the
one of the main process.
"""

import itertools
import multiprocessing
import pickle
import queue
import time
import weakref

from minigrad.backends import get_default_backend
from minigrad.dtypes import get_default_dtype
from minigrad.utils.data.worker import POLL_S, StreamEnd, WorkerFailure, WorkerJob, worker_loop

JOIN_S = 5.0  # how long a worker may take to finish its batch before it is terminated
_NO_KEY, _LOST = object(), object()


def checked_context(multiprocessing_context, num_workers):
    """``multiprocessing_context`` as the loader keeps it: ``None`` (the platform's default
    start method), or a context for a start method's name, checked as PyTorch does."""
    if multiprocessing_context is None:
        return None
    if num_workers == 0:
        raise ValueError("multiprocessing_context can only be used with multi-process "
                         f"loading (num_workers > 0), but got num_workers={num_workers}")
    if isinstance(multiprocessing_context, str):
        methods = multiprocessing.get_all_start_methods()
        if multiprocessing_context not in methods:
            raise ValueError("multiprocessing_context option should specify a valid start "
                             f"method in {methods!r}, but got "
                             f"multiprocessing_context={multiprocessing_context!r}")
        return multiprocessing.get_context(multiprocessing_context)
    if not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
        raise TypeError("multiprocessing_context option should be a valid context object or a "
                        "string specifying the start method, but got "
                        f"multiprocessing_context={multiprocessing_context}")
    return multiprocessing_context


def _stop(workers, task_queues, results, done):
    """Tell every worker to finish, wait for it (terminating one still busy after
    ``JOIN_S``) and close the queues: afterwards no worker process is left."""
    done.set()
    for tasks in task_queues:
        tasks.put(None)
    for process in workers:
        process.join(JOIN_S)
        if process.is_alive():
            process.terminate()
            process.join()
    for channel in (*task_queues, results):
        channel.cancel_join_thread()
        channel.close()


class WorkerPool:
    """The worker processes of one loader, seeded from ``base_seed``: started when it is
    built, stopped by ``shutdown()`` or when the pool is garbage-collected (or the
    interpreter exits), whichever comes first."""

    def __init__(self, loader, base_seed):
        context = loader.multiprocessing_context or multiprocessing.get_context()
        job = WorkerJob(loader.dataset, loader._iterable, loader._auto_collation,
                        loader.collate_fn, loader.drop_last, loader.worker_init_fn,
                        loader.num_workers, get_default_backend(), get_default_dtype().name)
        self.prefetch_factor, self.timeout = loader.prefetch_factor, loader.timeout
        self.results, self.done = context.Queue(), context.Event()
        self.task_queues, self.workers = [], []
        self.generation = 0  # passes begun: a result of an older one is stale
        self._stop = weakref.finalize(self, _stop, self.workers, self.task_queues,
                                      self.results, self.done)
        try:
            for worker_id in range(loader.num_workers):
                tasks = context.Queue()
                process = context.Process(
                    target=worker_loop, name=f"DataLoader worker {worker_id}", daemon=True,
                    args=(job, worker_id, base_seed, tasks, self.results, self.done))
                process.start()  # NOTE: with spawn, this pickles the job: it may raise
                self.task_queues.append(tasks)
                self.workers.append(process)
        except BaseException:
            self.shutdown()
            raise

    @property
    def alive(self):
        return self._stop.alive

    def shutdown(self):
        """Stop the workers (once; later calls do nothing)."""
        self._stop()

    def batches(self, keys):
        """The batches of one pass over ``keys``, in key order. Keys go to the workers in
        turn; a worker whose iterable dataset has ended gets no more, and keys it was sent
        before the main process learnt of the end give no batch."""
        self.generation += 1
        keys, count = iter(keys), len(self.workers)
        turn, active = itertools.cycle(range(count)), [True] * count
        owner, arrived = [], {}  # key number -> worker; key number -> its early result

        def send():
            key = next(keys, _NO_KEY)
            worker = next((w for w in itertools.islice(turn, count) if active[w]), None)
            if key is _NO_KEY or worker is None:
                return
            self.task_queues[worker].put((self.generation, len(owner), key))
            owner.append(worker)

        for _ in range(self.prefetch_factor * count):
            send()
        for number in itertools.count():
            if number == len(owner):
                return
            while number not in arrived and active[owner[number]]:
                generation, done_number, result = self._receive()
                if generation == self.generation:
                    arrived[done_number] = result
            result = arrived.pop(number, _LOST)
            if isinstance(result, StreamEnd):
                active[owner[number]] = False
            send()
            if isinstance(result, WorkerFailure):
                result.reraise()
            if result is not _LOST and not isinstance(result, StreamEnd):
                yield result

    def _receive(self):
        """The next answer of any worker. Waits ``timeout`` seconds at most when one is set,
        and raises ``RuntimeError`` when a worker has died, as PyTorch does."""
        deadline = time.monotonic() + self.timeout if self.timeout else None
        while True:
            wait = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
            try:
                return pickle.loads(self.results.get(timeout=max(wait, 0)))
            except queue.Empty:
                pass
            dead = [str(process.pid) for process in self.workers if not process.is_alive()]
            if dead:
                raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(dead)}) exited "
                                   "unexpectedly")
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds")
