"""``python -m minigrad.distributed.run -n 2 train.py [args]``: start ``train.py`` in N
processes that find each other through ``init_process_group()``, as ``torchrun`` does.

It is a thin wrapper over the ``mpiexec`` of the installed MPI (the one beside this Python,
as the ``mpich`` wheel installs it, else the first on PATH): ``mpiexec -n 2 python train.py``
does the same. With more than one process and no ``OMP_NUM_THREADS`` set it sets it to 1,
as torchrun does, so N processes do not each start a thread per core.
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from minigrad.distributed.process_group import INSTALL_HINT

# NOTE: how MPICH's and Open MPI's launchers tell a process the size of its world
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")


def find_mpiexec():
    """The ``mpiexec`` to launch with (None when there is none)."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.is_file() else shutil.which("mpiexec")


def launched_size():
    """How many processes the MPI launcher started this one among (None if it did not)."""
    for name in _SIZE_VARIABLES:
        if name in os.environ:
            return int(os.environ[name])
    return None


def launch(nproc, target, args=(), module=False):
    """Run ``python target args`` (``python -m target`` with ``module``) in ``nproc``
    processes under mpiexec; returns their exit status (the first non-zero one)."""
    mpiexec = find_mpiexec()
    if mpiexec is None:
        print(f"minigrad.distributed.run: no mpiexec found; {INSTALL_HINT}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    if nproc > 1 and "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = "1"
    command = [mpiexec, "-n", str(nproc), sys.executable, *(["-m"] if module else []),
               target, *args]
    return subprocess.call(command, env=env)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minigrad.distributed.run",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--nproc-per-node", "--nproc_per_node", dest="nproc", type=int,
                        default=1, help="how many processes to start (default 1)")
    parser.add_argument("-m", "--module", action="store_true",
                        help="run the target as a module, as python -m does")
    parser.add_argument("target", help="the script (or, with -m, the module) to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    options = parser.parse_args(argv)
    if options.nproc < 1:
        parser.error(f"-n must be at least 1, got {options.nproc}")
    return launch(options.nproc, options.target, options.args, options.module)


if __name__ == "__main__":
    sys.exit(main())
