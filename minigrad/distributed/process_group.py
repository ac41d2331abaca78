"""The default process group: every process ``mpiexec`` started, talking through MPI.

minigrad does not ship a communication engine of its own: it runs on MPI through mpi4py
(extra ``distributed``), as ChainerMN and Horovod do. ``mpiexec -n 2 python train.py``
starts the processes and tells each its rank; ``init_process_group()`` then joins them.
``import mpi4py`` itself starts MPI, so it happens there, never at ``import minigrad``.

Two rules keep a mistake from hanging a job:

- before the data moves, every collective exchanges a short signature (the op, the shape,
  the dtype, the reduction or root) among the ranks, and raises ``DistError`` on every rank
  that names each rank's call when they differ (a shape mismatch, one rank in
  ``all_reduce`` and another in ``broadcast``);
- every wait polls its MPI request against the group's ``timeout``: a rank that never
  joins (it skipped a collective, or died) gives ``DistError`` naming the waiting rank
  and what it waited in, not a hang. After a timeout the group is unusable (the request
  it gave up on is still pending), so later collectives refuse at once.
"""

import enum
import hashlib
import importlib.util
import time
from datetime import timedelta

INSTALL_HINT = "pip install 'minigrad[distributed]' (mpi4py and an MPI, the mpich wheel)"
DEFAULT_TIMEOUT = timedelta(minutes=30)  # NOTE: PyTorch's default for its CPU backends
_SIGNATURE_BYTES = 256
_DIGEST_BYTES = 16
_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to "
                    "call init_process_group.")


class DistError(RuntimeError):
    """A collective that cannot complete: the ranks called different collectives (or the same
    one on different shapes), or one of them did not join within the timeout."""


class ReduceOp(enum.Enum):
    """How ``all_reduce`` and ``reduce_scatter`` combine the ranks' tensors, as
    ``torch.distributed.ReduceOp``: elementwise sum, mean, product, minimum or maximum."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4


class World:
    """The communicator of the default group (a duplicate of ``MPI.COMM_WORLD``, so no
    message of the user's own MPI code can be taken for one of ours), its ``rank`` and
    ``size``, the ``timeout`` in seconds, and the first failure, once there is one."""

    def __init__(self, mpi, comm, timeout):
        self.mpi, self.comm = mpi, comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.timeout = timeout.total_seconds()
        self.failure = None

    def wait(self, request, op, what, timeout=None):
        """Block until ``request`` completes, polling so that a rank that never joins
        raises ``DistError`` after ``timeout`` seconds (by default the group's)."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        pause = 0.0
        # NOTE: poll at once (a collective between ready ranks takes microseconds), then
        # back off to sleeps of 0.1 ms, so that a rank waiting on a slower one leaves it the
        # CPU without adding more than that to the wait (1 ms sleeps doubled the demo's time)
        while not request.Test():
            if time.monotonic() > deadline:
                self.failure = f"rank {self.rank} timed out in {op} of {what}"
                raise DistError(f"{op}: rank {self.rank} waited {limit:g} s for every rank to "
                                f"join {op} of {what}; another rank skipped this collective, "
                                "is in a different one, or is stuck (init_process_group's "
                                "timeout= sets how long to wait)")
            time.sleep(pause)
            pause = min(2 * pause + 1e-5, 1e-4)

    def agree(self, op, summary, detail="", timeout=None):
        """Check that every rank is in the same collective: each contributes ``op`` and
        ``summary`` (what it passes, as shown in the error) and a digest of them and of
        ``detail`` (a longer description compared but not shown)."""
        text = f"{op} of {summary}"
        digest = hashlib.blake2b(f"{text}\0{detail}".encode(), digest_size=_DIGEST_BYTES)
        mine = bytearray(_SIGNATURE_BYTES)
        shown = text.encode()[:_SIGNATURE_BYTES - _DIGEST_BYTES]
        mine[:_DIGEST_BYTES] = digest.digest()
        mine[_DIGEST_BYTES:_DIGEST_BYTES + len(shown)] = shown
        everyone = bytearray(_SIGNATURE_BYTES * self.size)
        byte = self.mpi.BYTE
        self.wait(self.comm.Iallgather([mine, byte], [everyone, byte]), op, summary, timeout)
        rows = [everyone[r * _SIGNATURE_BYTES:(r + 1) * _SIGNATURE_BYTES]
                for r in range(self.size)]
        if all(row[:_DIGEST_BYTES] == mine[:_DIGEST_BYTES] for row in rows):
            return
        calls = "; ".join(f"rank {r} runs {bytes(row[_DIGEST_BYTES:]).rstrip(bytes(1)).decode()}"
                          for r, row in enumerate(rows))
        raise DistError(f"{op}: detected mismatch between collectives on ranks: {calls}")


_world = None


def is_available():
    """Whether ``init_process_group`` can run here: mpi4py (and so an MPI) is installed."""
    return importlib.util.find_spec("mpi4py") is not None


def is_initialized():
    """Whether the default process group is up."""
    return _world is not None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the processes ``mpiexec`` started into the default group, as
    ``torch.distributed.init_process_group``. The backend is ``"mpi"`` (the default): MPI's
    launcher hands every process its rank and the world size, so ``init_method``
    (beyond ``"env://"``), ``store``, ``pg_options`` and ``device_id`` have nothing to
    configure, and ``world_size`` and ``rank``, when given, must be what MPI says.
    ``timeout`` (a ``timedelta``, 30 minutes by default) bounds every wait of a collective.
    Run as a plain ``python script.py`` it makes a group of one.
    """
    global _world
    if _world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"init_process_group: minigrad's backend is 'mpi' (got {backend!r}): "
                         "NCCL and Gloo are PyTorch's own engines")
    extras = {"store": store, "pg_options": pg_options, "device_id": device_id}
    if init_method not in (None, "env://"):
        extras["init_method"] = init_method
    given = [name for name, value in extras.items() if value is not None]
    if given:
        raise ValueError(f"init_process_group: {', '.join(given)} cannot be set for the 'mpi' "
                         "backend: mpiexec gives every process its rank and the world size")
    if timeout is not None and not isinstance(timeout, timedelta):
        raise TypeError(f"init_process_group: expected timeout to be a datetime.timedelta, "
                        f"got {type(timeout).__name__}")
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ImportError(f"init_process_group needs mpi4py and an MPI: {INSTALL_HINT}") from err
    world = World(MPI, MPI.COMM_WORLD.Dup(), timeout or DEFAULT_TIMEOUT)
    for name, given_value, actual in (("world_size", world_size, world.size),
                                      ("rank", rank, world.rank)):
        if given_value != -1 and given_value != actual:
            world.comm.Free()
            raise ValueError(f"init_process_group: {name}={given_value}, but mpiexec started "
                             f"this process with {name} {actual}")
    _world = world


def destroy_process_group(group=None):
    """Leave the default group (``init_process_group`` may then be called again)."""
    global _world
    if group is not None or _world is None:
        default_world("destroy_process_group", group)  # NOTE: raises the matching error
    if _world.failure is None:  # NOTE: a communicator with a request pending cannot be freed
        _world.comm.Free()
    _world = None


def default_world(op, group=None):
    """The default group, for ``op``; refused before ``init_process_group``, after a failure,
    and for any other ``group`` (minigrad has the default group only)."""
    if group is not None:
        raise ValueError(f"{op}: minigrad has only the default process group; pass group=None "
                         f"(got {group!r})")
    if _world is None:
        raise ValueError(f"{op}: {_NOT_INITIALIZED}")
    if _world.failure is not None:
        raise DistError(f"{op}: the process group failed earlier ({_world.failure}) and has a "
                        "collective pending; it cannot be used any more")
    return _world


def get_rank(group=None):
    """This process's rank in the default group, 0 to ``get_world_size() - 1``."""
    return default_world("get_rank", group).rank


def get_world_size(group=None):
    """The number of processes in the default group."""
    return default_world("get_world_size", group).size
