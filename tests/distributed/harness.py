"""What every script in this folder shares: run its ``check_*`` functions in order on every
rank, one line per check and rank (``rank R PASS name`` or ``rank R FAIL name: why``), for
``tests/test_distributed.py`` to read. The lines go to stdout, or, when the environment
names a folder in ``REPORTS``, to one file per rank there (the launcher may interleave the
ranks' stdout mid-line). Cross-rank comparisons go through mpi4py's own ``allgather`` of
Python objects, never through the collectives under test."""

import inspect
import os
import traceback
from datetime import timedelta

import numpy as np
from mpi4py import MPI

import minigrad as mg
import minigrad.distributed as dist

COMM = MPI.COMM_WORLD
TIMEOUT = timedelta(seconds=20)
REPORTS = "MINIGRAD_TEST_REPORTS"


def _report(line):
    folder = os.environ.get(REPORTS)
    if folder is None:
        print(line, flush=True)
        return
    with open(os.path.join(folder, f"rank{COMM.Get_rank()}.txt"), "a") as file:
        file.write(line + "\n")


def everyone(value):
    """``value`` of every rank, in rank order (mpi4py's pickled allgather)."""
    return COMM.allgather(value)


def same_on_every_rank(array):
    arrays = everyone(np.asarray(array))
    for rank, other in enumerate(arrays[1:], 1):
        np.testing.assert_array_equal(other, arrays[0], err_msg=f"rank {rank} differs from 0")


def flat_parameters(module):
    return np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])


def flat_grads(module):
    return np.concatenate([p.grad.numpy().ravel() for p in module.parameters()])


def run_checks(namespace):
    """Run the ``check_*`` functions of ``namespace`` (a script's globals) in their order;
    a check that broke the process group gets a fresh one for the next."""
    checks = [(name, f) for name, f in namespace.items()
              if name.startswith("check_") and inspect.isfunction(f)]
    dist.init_process_group(timeout=TIMEOUT)
    rank = dist.get_rank()
    for name, check in checks:
        mg.manual_seed(0)
        try:
            check()
            line = f"rank {rank} PASS {name}"
        except Exception as err:  # NOTE: every failure is reported, not raised
            where = traceback.extract_tb(err.__traceback__)[-1]
            line = (f"rank {rank} FAIL {name}: {type(err).__name__}: {err} "
                    f"(line {where.lineno})").replace("\n", " ")
        _report(line)
        broken = not dist.is_initialized() or dist.process_group._world.failure is not None
        if not any(everyone(broken)):
            continue
        if dist.is_initialized():
            dist.destroy_process_group()
        dist.init_process_group(timeout=TIMEOUT)
    dist.destroy_process_group()
    _report(f"rank {rank} DONE")
