"""``DataLoader(num_workers > 0)``: real worker processes give the batches of
``num_workers=0`` in its order; ``get_worker_info``, the per-worker seeds and
``worker_init_fn``; iterable datasets (one copy per worker, sharded as in PyTorch); errors
re-raised with the worker's traceback; timeouts; and no worker left behind after the end of
a pass, a ``break``, an error or garbage collection. Datasets are tiny: starting workers is
what costs (a fork a few ms, a spawn about half a second)."""

import gc
import multiprocessing
import os
import random
import time
from pathlib import Path

import numpy as np
import pytest
from data_workers_helpers import Started, record_worker, squares_collate
from test_utils_data import plain

import minigrad as mg
from minigrad.utils import data

torch = pytest.importorskip("torch")
tdata = torch.utils.data


@pytest.fixture(autouse=True)
def _no_worker_left():
    """Every test must leave no worker process behind, whatever it did (without the help
    of a garbage collection, which the tests of it call themselves)."""
    yield
    assert multiprocessing.active_children() == []


def seeded(seed):
    return mg.Generator().manual_seed(seed)


class Records(data.Dataset):
    """A map-style dataset of dicts with a NumPy array, a number and a string."""

    def __init__(self, n=11):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return {"x": np.full(2, index, np.float32), "label": index % 3, "id": f"r{index}"}


class WhoLoads(data.Dataset):
    """Each sample says which worker loaded it, with its info and its first random draws."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        info = data.get_worker_info()
        return {"id": info.id, "num_workers": info.num_workers, "seed": info.seed,
                "own_dataset": info.dataset is self, "random": random.random(),
                "numpy": float(np.random.rand()), "minigrad": mg.rand(()).item()}


def first_draws(seed):
    """What ``random``, NumPy's global generator and minigrad's give first after a worker
    is seeded with ``seed``."""
    random.seed(seed)
    np.random.seed([seed % 2 ** 32, seed // 2 ** 32])
    mg.manual_seed(seed)
    return {"random": random.random(), "numpy": float(np.random.rand()),
            "minigrad": mg.rand(()).item()}


def batches_of(loader, epochs=1):
    return [[plain(b) for b in loader] for _ in range(epochs)]


# --------------------------------------------------------------- the same batches
ORDERS = {  # loader arguments, built afresh for each loader (a generator is consumed)
    "shuffled": lambda: {"batch_size": 3, "shuffle": True, "generator": seeded(1)},
    "seed-drop_last": lambda: {"batch_size": 4, "shuffle": True, "drop_last": True, "seed": 7},
    "no-batching": lambda: {"batch_size": None, "sampler": [5, 0, 5, 2]},
    "batch_sampler": lambda: {"batch_sampler": [[3, 1], [0], [9, 8, 7], [2]]},
    "weighted": lambda: {"batch_size": 2, "sampler": data.WeightedRandomSampler(
        [1, 2, 3, 4], 6, generator=seeded(2))},
}


@pytest.mark.parametrize("order", ORDERS)
def test_workers_give_the_batches_and_order_of_the_main_process(order):
    with_workers = data.DataLoader(Records(), num_workers=2, **ORDERS[order]())
    alone = data.DataLoader(Records(), **ORDERS[order]())
    assert batches_of(with_workers, epochs=2) == batches_of(alone, epochs=2)


def test_a_tensor_dataset_through_workers_is_the_main_processes(backend):
    """Batches cross processes as NumPy arrays and come back as tensors of the dataset's
    backend (a forked worker cannot use CUDA, so the GPU backend loads with spawn)."""
    x, y = mg.arange(40.0).reshape(20, 2), mg.arange(20)
    dataset = data.TensorDataset(x, y)
    context = "spawn" if backend == "cupy" else None
    ours = data.DataLoader(dataset, batch_size=6, shuffle=True, seed=3, num_workers=2,
                           multiprocessing_context=context)
    alone = data.DataLoader(dataset, batch_size=6, shuffle=True, seed=3)
    for (xw, yw), (x0, y0) in zip(ours, alone, strict=True):
        assert xw.backend == yw.backend == backend and xw.dtype == mg.float32
        assert yw.dtype == mg.int64 and not xw.requires_grad
        np.testing.assert_array_equal(xw.numpy(), x0.numpy())
        np.testing.assert_array_equal(yw.numpy(), y0.numpy())


def test_spawned_workers_take_pickled_functions_and_the_main_processes_defaults():
    mg.set_default_dtype(mg.float64)
    try:
        loader = data.DataLoader(Started(), batch_size=2, num_workers=2,
                                 worker_init_fn=record_worker, collate_fn=squares_collate,
                                 multiprocessing_context="spawn")
        assert loader.multiprocessing_context.get_start_method() == "spawn"
        batches = [(workers, squares.dtype, squares.tolist()) for workers, squares in loader]
    finally:
        mg.set_default_dtype(mg.float32)
    assert batches == [([0, 0], mg.float64, [0.25, 2.25]), ([1, 1], mg.float64, [6.25, 12.25])]


# --------------------------------------------------------------- worker info and seeds
def test_each_worker_knows_itself_and_is_seeded_from_base_seed_plus_its_id():
    loader = data.DataLoader(WhoLoads(), batch_size=None, num_workers=2,
                             generator=seeded(0))
    samples = list(loader)
    assert [s["id"] for s in samples] == [0, 1, 0, 1]  # keys go round-robin
    assert {s["num_workers"] for s in samples} == {2}
    assert all(s["own_dataset"] for s in samples)
    first, second = samples[0], samples[1]
    assert second["seed"] == first["seed"] + 1
    for sample in (first, second):
        expected = first_draws(sample["seed"])
        assert {k: sample[k] for k in expected} == pytest.approx(expected)
    assert first["random"] != second["random"] and first["minigrad"] != second["minigrad"]
    assert data.get_worker_info() is None


def test_the_seeds_repeat_with_the_generator_and_change_every_epoch():
    def seeds(epochs=1, **kwargs):
        loader = data.DataLoader(WhoLoads(), batch_size=None, num_workers=2, **kwargs)
        return [[s["seed"] for s in loader] for _ in range(epochs)]

    shuffled = seeds(2, shuffle=True, generator=seeded(5))  # from the order's generator
    assert shuffled == seeds(2, shuffle=True, generator=seeded(5))
    assert shuffled[0] != shuffled[1] and shuffled[0][:2] == [shuffled[0][0] + i for i in (0, 1)]
    fixed = seeds(generator=seeded(5))  # a fixed order: drawn from ``generator``
    assert fixed == seeds(generator=seeded(5)) and fixed[0] != shuffled[0]
    mg.manual_seed(1)
    shared = seeds()
    mg.manual_seed(1)
    assert seeds() == shared  # no generator: drawn from the shared one


def test_worker_init_fn_runs_in_each_worker_on_its_copy_before_it_loads():
    dataset = Started()
    loader = data.DataLoader(dataset, batch_size=None, num_workers=2,
                             worker_init_fn=record_worker)
    assert [int(worker) for worker, _ in loader] == [0, 1, 0, 1]
    assert not hasattr(dataset, "started_by")  # the workers changed their own copies


# --------------------------------------------------------------- iterable datasets
def _stream(base, info):
    class Stream(base):
        """0 .. n - 1; sharded between the workers when ``sharded``."""

        def __init__(self, n, sharded):
            self.n, self.sharded = n, sharded

        def __iter__(self):
            worker = info()
            if not self.sharded or worker is None:
                return iter(range(self.n))
            return iter(range(worker.id, self.n, worker.num_workers))

    return Stream


Stream = _stream(data.IterableDataset, data.get_worker_info)
TorchStream = _stream(tdata.IterableDataset, tdata.get_worker_info)


@pytest.mark.parametrize("kwargs", [{"batch_size": 2}, {"batch_size": 3, "drop_last": True},
                                    {"batch_size": None}])
def test_a_sharded_stream_is_batched_as_pytorchs_workers_do(kwargs):
    ours = data.DataLoader(Stream(11, sharded=True), num_workers=2, **kwargs)
    theirs = tdata.DataLoader(TorchStream(11, sharded=True), num_workers=2, **kwargs)
    expected = [plain(b) for b in theirs]
    assert batches_of(ours, epochs=2) == [expected, expected]


def test_an_unsharded_stream_repeats_once_per_worker_as_in_pytorch():
    ours = data.DataLoader(Stream(5, sharded=False), batch_size=2, num_workers=2)
    assert [b.tolist() for b in ours] == [[0, 1], [0, 1], [2, 3], [2, 3], [4], [4]]


# --------------------------------------------------------------- resuming
def test_a_loader_with_workers_resumes_at_a_batch_boundary():
    def make(num_workers, persistent=False):
        return data.DataLoader(Records(), batch_size=2, shuffle=True, seed=9,
                               num_workers=num_workers, persistent_workers=persistent)

    uninterrupted = batches_of(make(0), epochs=2)
    loader = make(2, persistent=True)
    batches = iter(loader)
    head = [plain(next(batches)) for _ in range(3)]
    state = loader.state_dict()
    del batches
    for num_workers in (2, 0):
        resumed = make(num_workers)
        resumed.load_state_dict(state)
        assert head + batches_of(resumed)[0] == uninterrupted[0]
        assert batches_of(resumed)[0] == uninterrupted[1]


def test_a_stream_resumes_with_workers():
    loader = data.DataLoader(Stream(9, sharded=True), batch_size=2, num_workers=2)
    batches = iter(loader)
    head = [plain(next(batches)) for _ in range(2)]
    state = loader.state_dict()
    del batches
    resumed = data.DataLoader(Stream(9, sharded=True), batch_size=2, num_workers=2)
    resumed.load_state_dict(state)
    assert head + batches_of(resumed)[0] == batches_of(loader)[0]


# --------------------------------------------------------------- workers' lifetime
def worker_pids(loader):
    return sorted(p.pid for p in loader._workers.workers)


def test_workers_stop_after_a_pass_a_break_and_garbage_collection():
    loader = data.DataLoader(Records(), batch_size=2, num_workers=2)
    list(loader)
    assert multiprocessing.active_children() == []
    for _ in loader:
        assert len(multiprocessing.active_children()) == 2
        break
    assert multiprocessing.active_children() == []
    batches = iter(loader)
    next(batches)
    del batches
    gc.collect()
    assert multiprocessing.active_children() == []


def test_persistent_workers_serve_every_epoch_until_the_loader_goes():
    expected = batches_of(data.DataLoader(Records(), batch_size=2, shuffle=True, seed=1),
                          epochs=3)
    loader = data.DataLoader(Records(), batch_size=2, shuffle=True, seed=1, num_workers=2,
                             persistent_workers=True)
    first = next(iter(loader))  # a pass left after one batch: its batches in flight are stale
    pids = worker_pids(loader)
    assert plain(first) == expected[0][0]
    assert batches_of(loader, epochs=2) == expected[1:]
    assert worker_pids(loader) == pids and len(multiprocessing.active_children()) == 2
    del loader
    gc.collect()
    assert multiprocessing.active_children() == []


def test_persistent_workers_restart_each_stream():
    loader = data.DataLoader(Stream(5, sharded=True), batch_size=2, num_workers=2,
                             persistent_workers=True)
    epochs = [[b.tolist() for b in loader] for _ in range(2)]
    assert epochs == [[[0, 2], [1, 3], [4]]] * 2


# --------------------------------------------------------------- errors
class Failing(data.Dataset):
    def __init__(self, error):
        self.error = error

    def __len__(self):
        return 6

    def __getitem__(self, index):
        if index == 3:
            raise self.error
        return index


@pytest.mark.parametrize("persistent", [False, True])
def test_a_workers_error_is_raised_with_its_traceback_and_stops_the_workers(persistent):
    loader = data.DataLoader(Failing(ValueError("bad sample 3")), batch_size=2, num_workers=2,
                             persistent_workers=persistent)
    batches = iter(loader)
    assert next(batches).tolist() == [0, 1]
    with pytest.raises(ValueError) as caught:
        next(batches)
    message = str(caught.value)
    assert message.startswith("Caught ValueError in DataLoader worker process 1.\n"
                              "Original Traceback (most recent call last):")
    assert "in __getitem__" in message and message.endswith("ValueError: bad sample 3\n")
    assert multiprocessing.active_children() == []
    again = data.DataLoader(Records(4), num_workers=1, batch_size=2)
    assert [b["label"].tolist() for b in again] == [[0, 1], [2, 0]]


def test_a_key_error_shows_its_message_as_it_is_as_in_pytorch():
    """``str(KeyError(text))`` is ``repr(text)``: PyTorch keeps the traceback readable."""
    loader = data.DataLoader(Failing(KeyError("missing")), batch_size=3, num_workers=1)
    with pytest.raises(KeyError) as caught:
        list(loader)
    assert str(caught.value).startswith("Caught KeyError in DataLoader worker process 0.\n")
    assert str(caught.value).endswith("KeyError: 'missing'\n")


def test_errors_in_worker_init_fn_and_unpicklable_batches_reach_the_main_process():
    def init(worker_id):
        raise OSError(f"no disk for worker {worker_id}")

    with pytest.raises(OSError, match="Caught OSError in DataLoader worker process 0"):
        list(data.DataLoader(Records(), num_workers=1, worker_init_fn=init))
    graph = data.DataLoader([0, 1], batch_size=1, num_workers=1,
                            collate_fn=lambda batch: mg.ones(2, requires_grad=True) * 2)
    with pytest.raises(RuntimeError, match="only leaf tensors can be copied or pickled"):
        list(graph)


class Sleepy(data.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, index):
        time.sleep(0.4)
        return index


class Dying(data.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, index):
        os._exit(3)


def test_a_timeout_and_a_dead_worker_raise_pytorchs_runtime_errors():
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.05 seconds$"):
        list(data.DataLoader(Sleepy(), num_workers=1, timeout=0.05))
    assert [int(b) for b in data.DataLoader(Sleepy(), num_workers=2, timeout=5)] == [0, 1]
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+.*\) exited "
                                           "unexpectedly"):
        list(data.DataLoader(Dying(), num_workers=1))


def test_a_dataset_spawn_cannot_pickle_is_refused_with_no_worker_left():
    unpicklable = Records()
    unpicklable.transform = lambda x: x
    loader = data.DataLoader(unpicklable, num_workers=2, multiprocessing_context="spawn")
    with pytest.raises((AttributeError, TypeError, multiprocessing.reduction.pickle.PicklingError)):
        next(iter(loader))


# --------------------------------------------------------------- the options
def test_prefetch_factor_defaults_to_two_with_workers_as_in_pytorch():
    for library in (data, tdata):
        assert library.DataLoader(Records(), num_workers=2).prefetch_factor == 2
        assert library.DataLoader(Records()).prefetch_factor is None
        assert library.DataLoader(Records(), num_workers=1, prefetch_factor=5).prefetch_factor == 5


# NOTE: PyTorch's half-built iterator then fails in __del__, which pytest reports
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_prefetch_factor_of_zero_fails_on_iterating_as_in_pytorch():
    for library in (data, tdata):
        with pytest.raises(AssertionError, match="prefetch_factor must be greater than 0"):
            next(iter(library.DataLoader(Records(), num_workers=1, prefetch_factor=0)))


@pytest.mark.parametrize("context", ["threads", 3])
def test_a_bad_multiprocessing_context_is_refused_as_in_pytorch(context):
    error = ValueError if isinstance(context, str) else TypeError
    with pytest.raises(error) as theirs:
        tdata.DataLoader(Records(), num_workers=1, multiprocessing_context=context)
    with pytest.raises(error) as ours:
        data.DataLoader(Records(), num_workers=1, multiprocessing_context=context)
    assert str(ours.value) == str(theirs.value)


def test_pin_memory_is_accepted_with_workers_and_changes_nothing():
    pinned = data.DataLoader(Records(), batch_size=4, num_workers=2, pin_memory=True)
    assert batches_of(pinned) == batches_of(data.DataLoader(Records(), batch_size=4))


def test_the_benchmark_runs_and_reports_a_speed_up(monkeypatch):
    """``bench/data_workers.py`` on tiny epochs: a row per case, positive rates, no timing
    asserted (speed lives in ``bench/``)."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "bench"))
    bench = pytest.importorskip("data_workers")
    monkeypatch.setattr(bench, "EPOCH_SAMPLES", 2 * bench.BATCH)
    rows, names = bench.measure(workers=2, rounds=3, round_ms=2)
    assert [row["id"] for row in rows] == ["D1", "D2"]
    assert all(row[name]["batches_per_second"] > 0 for row in rows for name in names)
    assert all(row["ratio"] > 0 for row in rows)
