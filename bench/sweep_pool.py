"""Notebook 7's sweep (clipping threshold x schedule x seed: 60 runs of 4 epochs on digits)
serially and on a process pool through ``mg.diagnostics.sweep(executor=...)``: wall time of
each (medians over rounds, the order alternating), the speed-up, the CPU seconds of each
(the pool's are its workers'), and a check that both tables are equal. Reported, never
asserted: on a machine shared with other work the wall times say more about the load than
about the pool, and the CPU seconds show what the runs themselves cost.

The training function repeats notebook 7's ``train`` (digits, MLP 64-64-10, SGD with
momentum 0.9 at peak lr 1.0, batch 64), with one BLAS thread per process as there.

    python bench/sweep_pool.py [--workers 2] [--epochs 4] [--seeds 3] [--rounds 3]
"""

import argparse
import concurrent.futures
import resource
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

import minigrad as mg
from minigrad import nn
from minigrad.data import DataLoader, TensorDataset
from minigrad.nn import functional as F
from minigrad.optim.lr_scheduler import CyclicLR, ExponentialLR, OneCycleLR, StepLR

PEAK_LR, BATCH_SIZE = 1.0, 64
_SPLIT = None


def _split():
    global _SPLIT
    if _SPLIT is None:
        _SPLIT = mg.data.load_digits(seed=0)
    return _SPLIT


def make_scheduler(name, optimizer, total_steps, steps_per_epoch):
    """Notebook 7's schedules by name."""
    if name == "step":
        return StepLR(optimizer, step_size=total_steps // 3, gamma=0.2)
    if name == "exponential":
        return ExponentialLR(optimizer, gamma=0.02 ** (1 / total_steps))
    if name == "cyclic":
        return CyclicLR(optimizer, base_lr=PEAK_LR / 20, max_lr=PEAK_LR,
                        step_size_up=steps_per_epoch, mode="triangular2")
    if name == "one-cycle":
        return OneCycleLR(optimizer, max_lr=PEAK_LR, total_steps=total_steps)
    raise ValueError(f"unknown schedule {name!r}")


def sweep_run(max_norm, schedule, seed, epochs=4):
    """One cell of notebook 7's grid: test accuracy, last epoch's loss, share clipped."""
    split = _split()
    mg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = mg.optim.SGD(model.parameters(), lr=PEAK_LR, momentum=0.9)
    loader = DataLoader(TensorDataset(split.x_train, split.y_train), batch_size=BATCH_SIZE,
                        shuffle=True, drop_last=True, seed=seed)
    scheduler = make_scheduler(schedule, optimizer, epochs * len(loader), len(loader))
    losses, norms = [], []
    for _ in range(epochs):
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            if max_norm is None:
                norm = nn.utils.get_total_norm([p.grad for p in model.parameters()])
            else:
                norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            norms.append(float(norm))
    model.eval()
    with mg.no_grad():
        accuracy = float((model(split.x_test).argmax(dim=1) == split.y_test).numpy().mean())
    clipped = 0.0 if max_norm is None else float(np.mean(np.array(norms) > max_norm))
    return {"test accuracy": accuracy, "final loss": float(np.mean(losses[-len(loader):])),
            "clipped": clipped}


def _one_blas_thread():
    threadpool_limits(1, user_api="blas")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    grid = {"max_norm": [0.1, 0.5, 1.0, 5.0, None],
            "schedule": ["step", "exponential", "cyclic", "one-cycle"],
            "seed": list(range(args.seeds)), "epochs": [args.epochs]}
    _one_blas_thread()
    _split()  # load the data before timing (as the notebook has it); forked workers share it
    times = {"serial": [], "pool": []}
    tables = {}
    for round_ in range(args.rounds):
        for kind in ("serial", "pool") if round_ % 2 == 0 else ("pool", "serial"):
            start = time.perf_counter()
            tables[kind] = _sweep(sweep_run, grid, None if kind == "serial" else args.workers)
            times[kind].append(time.perf_counter() - start)
    serial_s, pool_s = statistics.median(times["serial"]), statistics.median(times["pool"])
    own, workers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                        resource.RUSAGE_CHILDREN))
    print(f"{len(tables['serial'])} runs, median of {args.rounds} rounds: serial {serial_s:.2f} s,"
          f" {args.workers}-process pool {pool_s:.2f} s (start-up included): speed-up "
          f"{serial_s / pool_s:.2f}x; CPU s over all rounds: here {own.ru_utime:.1f}, workers "
          f"{workers.ru_utime:.1f}; tables equal: {tables['serial'] == tables['pool']}")


def _sweep(run, grid, workers):
    if workers is None:
        return mg.diagnostics.sweep(run, grid, progress=False)
    with concurrent.futures.ProcessPoolExecutor(workers, initializer=_one_blas_thread) as pool:
        return mg.diagnostics.sweep(run, grid, progress=False, executor=pool)

if __name__ == "__main__":
    main()
