"""``mg.diagnostics.sweep`` on executors: a process pool and Dask give the serial table
exactly (each run seeded from its settings), in grid order, with failures in their rows."""

import concurrent.futures

import pytest

import minigrad as mg
from minigrad import nn
from minigrad.diagnostics import sweep
from minigrad.diagnostics.sweep import settings_seed

GRID = {"hidden": [3, 5], "lr": [0.1, 0.5], "fail": [False, True]}


def train_run(hidden, lr, fail):
    """A few SGD steps of a freshly initialized model on random data: every number depends
    on the generator, so equal tables mean equal seeding. Defined at the top level so that
    a process pool can pickle it."""
    if fail and hidden == 5 and lr == 0.5:
        raise ValueError(f"diverged at lr={lr}")
    model = nn.Sequential(nn.Linear(4, hidden), nn.Tanh(), nn.Linear(hidden, 1))
    optimizer = mg.optim.SGD(model.parameters(), lr=lr)
    x, y = mg.randn(16, 4), mg.randn(16, 1)
    for _ in range(3):
        loss = ((model(x) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"loss": loss.item(), "draw": mg.rand(()).item()}


def _check_table(rows, serial):
    assert rows == serial  # the floats exactly, not approximately
    assert [(r["hidden"], r["lr"], r["fail"]) for r in rows] == [
        (h, lr, f) for h in GRID["hidden"] for lr in GRID["lr"] for f in GRID["fail"]]
    failed = [r for r in rows if "error" in r]
    assert failed == [{"hidden": 5, "lr": 0.5, "fail": True,
                       "error": "ValueError: diverged at lr=0.5"}]
    assert all(isinstance(r["loss"], float) for r in rows if "error" not in r)


@pytest.fixture(scope="module")
def serial():
    return sweep(train_run, GRID, progress=False)


def test_serial_sweep_is_seeded_per_cell_and_restores_the_callers_stream(serial):
    mg.manual_seed(123)
    expected_next = mg.rand(()).item()
    mg.manual_seed(123)
    assert sweep(train_run, GRID, progress=False) == serial
    assert mg.rand(()).item() == expected_next
    # a cell's numbers depend on its settings, not on where it sits in the grid
    alone = sweep(train_run, {"hidden": [5], "lr": [0.1], "fail": [True]}, progress=False)
    assert alone[0] == next(r for r in serial if (r["hidden"], r["lr"], r["fail"]) ==
                            (5, 0.1, True))
    assert len({r["draw"] for r in serial if "error" not in r}) == 7


def test_serial_table_has_the_failure_in_its_row(serial):
    _check_table(serial, serial)


def test_seed_is_stable_and_depends_on_settings_and_base():
    cell = {"lr": 0.1, "schedule": "step", "max_norm": None}
    assert settings_seed(cell) == settings_seed(dict(reversed(cell.items())))
    assert settings_seed(cell) == 684683604418779583  # a digest, not the per-process hash()
    assert settings_seed(cell) != settings_seed({**cell, "lr": 0.2})
    assert settings_seed(cell) != settings_seed(cell, seed=1)
    unseeded = sweep(lambda: {"x": mg.rand(()).item()}, {}, progress=False, seed=None)
    assert len(unseeded) == 1 and 0.0 <= unseeded[0]["x"] < 1.0


def test_process_pool_gives_the_serial_table(serial):
    updates = []

    class Bar:
        def __init__(self, total, desc):
            assert total == 8

        def update(self, n):
            updates.append(n)

        def close(self):
            pass

    tqdm = pytest.importorskip("tqdm")
    original = tqdm.tqdm
    tqdm.tqdm = Bar
    try:
        with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
            rows = sweep(train_run, GRID, executor=pool)
    finally:
        tqdm.tqdm = original
    _check_table(rows, serial)
    assert updates == [1] * 8


def test_unpicklable_run_is_reported_in_every_row_not_raised():
    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
        rows = sweep(lambda a: {"a": a}, {"a": [1, 2]}, progress=False, executor=pool)
    assert [r["a"] for r in rows] == [1, 2]
    assert all("pickle" in r["error"].lower() for r in rows)


def test_run_must_return_a_dict():
    rows = sweep(lambda a: a, {"a": [1]}, progress=False)
    assert rows == [{"a": 1, "error": "TypeError: sweep: run must return a dict of results, "
                                      "but for {'a': 1} it returned int"}]


def test_dask_local_cluster_gives_the_serial_table(serial):
    distributed = pytest.importorskip(
        "dask.distributed", reason='Dask is not installed: pip install "dask[distributed]"')
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        rows = sweep(train_run, GRID, progress=False, executor=client.get_executor())
    _check_table(rows, serial)
