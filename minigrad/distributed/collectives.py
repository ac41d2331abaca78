"""Collectives on tensors, as ``torch.distributed``'s: ``all_reduce``, ``broadcast``,
``all_gather``, ``reduce_scatter`` and ``barrier``, each in place on the tensors given, on
every CPU backend (NumPy and Numba arrays go to MPI as they are).

Each call first checks that every rank is in the same collective with the same shapes
(``World.agree``), then starts MPI's non-blocking form and waits for it with the group's
timeout; ``async_op=True`` returns the ``Work`` instead of waiting. The array-level helpers
at the end serve the library's own users: ``SyncBatchNorm`` and ``DistributedDataParallel``.
"""

from minigrad.distributed.process_group import ReduceOp, default_world
from minigrad.tensor import Tensor


class Work:
    """A collective under way, as PyTorch's ``Work``: ``wait()`` blocks until it is done (and
    its result is in the tensors), ``is_completed()`` asks without blocking."""

    def __init__(self, world, request, op, what, finish=None):
        self._world, self._request, self._op, self._what = world, request, op, what
        self._finish = finish
        self._done = request is None

    def is_completed(self):
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def wait(self, timeout=None):
        """Wait (at most ``timeout``, a ``timedelta``, else the group's) and return True."""
        if not self._done:
            seconds = None if timeout is None else timeout.total_seconds()
            self._world.wait(self._request, self._op, self._what, seconds)
            self._complete()
        return True

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()


def _finished(work, async_op):
    """What a collective returns: its ``Work`` with ``async_op``, else None once done."""
    if async_op:
        return work
    work.wait()
    return None


def _cpu_array(op, tensor, name="tensor"):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(tensor).__name__}")
    if tensor.device.type != "cpu":
        raise ValueError(f"{op}: the 'mpi' backend moves CPU tensors (NumPy and Numba "
                         f"backends), but {name} is on {tensor.device}; move it with .cpu() "
                         "(NCCL for CuPy arrays is not in minigrad yet)")
    return tensor.data


def _describe(array):
    return f"{tuple(array.shape)} {array.dtype}"


def _contiguous(tensor):
    """The array MPI reads and writes for ``tensor``: its own when contiguous, else a copy
    (written back by ``_store``)."""
    data = tensor.data
    return data if data.flags.c_contiguous else tensor._backend.xp.ascontiguousarray(data)


def _store(tensor, result):
    """Put a collective's ``result`` into ``tensor``, in place, as PyTorch does."""
    if result is not tensor.data:
        tensor.data[...] = result
    tensor._version += 1


def _mpi_op(world, op, dtype, name):
    """MPI's operation for ``op`` on ``dtype``: on bools SUM and MAX are a logical or, MIN
    and PRODUCT a logical and; AVG is a SUM divided afterwards, so it needs floats."""
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{name}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX), got "
                        f"{op!r}")
    mpi = world.mpi
    if op is ReduceOp.AVG and dtype.kind not in "fc":
        raise TypeError(f"{name}: ReduceOp.AVG needs a floating-point tensor, got {dtype}")
    if dtype.kind == "b":
        return mpi.LOR if op in (ReduceOp.SUM, ReduceOp.MAX) else mpi.LAND
    return {ReduceOp.SUM: mpi.SUM, ReduceOp.AVG: mpi.SUM, ReduceOp.PRODUCT: mpi.PROD,
            ReduceOp.MIN: mpi.MIN, ReduceOp.MAX: mpi.MAX}[op]


def _averaged(array, op, world):
    if op is ReduceOp.AVG:
        array /= world.size


def _check_list(op, tensors, like, world, name):
    """One tensor per rank in ``tensors``, each of ``like``'s shape and dtype."""
    if not isinstance(tensors, list | tuple) or len(tensors) != world.size:
        count = len(tensors) if isinstance(tensors, list | tuple) else type(tensors).__name__
        raise ValueError(f"{op}: {name} must be a list of one tensor per rank ({world.size}), "
                         f"got {count}")
    for index, t in enumerate(tensors):
        data = _cpu_array(op, t, f"{name}[{index}]")
        if data.shape != like.shape or data.dtype != like.dtype:
            raise ValueError(f"{op}: {name}[{index}] is {_describe(data)}, but every tensor "
                             f"must be {_describe(like)}")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` elementwise over every rank with ``op``; each rank's tensor then
    holds the result (in place)."""
    world = default_world("all_reduce", group)
    data = _cpu_array("all_reduce", tensor)
    mpi_op = _mpi_op(world, op, data.dtype, "all_reduce")
    what = f"{_describe(data)} with {op.name}"
    world.agree("all_reduce", what)
    buffer = _contiguous(tensor)

    def finish():
        _averaged(buffer, op, world)
        _store(tensor, buffer)

    request = world.comm.Iallreduce(world.mpi.IN_PLACE, buffer, mpi_op)
    return _finished(Work(world, request, "all_reduce", what, finish), async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into every other rank's (in place)."""
    world = default_world("broadcast", group)
    src = group_src if src is None else src
    if not isinstance(src, int) or not 0 <= src < world.size:
        raise ValueError(f"broadcast: src must be a rank of the group (0 to {world.size - 1}), "
                         f"got {src!r}")
    data = _cpu_array("broadcast", tensor)
    what = f"{_describe(data)} from rank {src}"
    world.agree("broadcast", what)
    buffer = _contiguous(tensor)
    request = world.comm.Ibcast(buffer, root=src)
    return _finished(Work(world, request, "broadcast", what, lambda: _store(tensor, buffer)),
                     async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor``, gathered into ``tensor_list`` (one tensor per rank, in rank
    order, each of ``tensor``'s shape and dtype) on every rank."""
    world = default_world("all_gather", group)
    data = _cpu_array("all_gather", tensor)
    _check_list("all_gather", tensor_list, data, world, "tensor_list")
    what = _describe(data)
    world.agree("all_gather", what)
    xp = tensor._backend.xp
    send = xp.ascontiguousarray(data)
    received = xp.empty((world.size, *data.shape), dtype=data.dtype)

    def finish():
        for t, part in zip(tensor_list, received):
            t.data[...] = part
            t._version += 1

    request = world.comm.Iallgather(send, received)
    return _finished(Work(world, request, "all_gather", what, finish), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank r's ``output`` becomes ``input_list[r]`` combined over every rank with ``op``
    (``input_list`` holds one tensor per rank, each of ``output``'s shape and dtype)."""
    world = default_world("reduce_scatter", group)
    data = _cpu_array("reduce_scatter", output, "output")
    _check_list("reduce_scatter", input_list, data, world, "input_list")
    mpi_op = _mpi_op(world, op, data.dtype, "reduce_scatter")
    what = f"{_describe(data)} with {op.name}"
    world.agree("reduce_scatter", what)
    send = output._backend.xp.stack([t.data for t in input_list])
    buffer = _contiguous(output)

    def finish():
        _averaged(buffer, op, world)
        _store(output, buffer)

    request = world.comm.Ireduce_scatter_block(send, buffer, mpi_op)
    return _finished(Work(world, request, "reduce_scatter", what, finish), async_op)


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank has called ``barrier`` (at most ``timeout``, a ``timedelta``,
    else the group's); ``device_ids`` are GPUs' and change nothing here."""
    world = default_world("barrier", group)
    world.agree("barrier", "every rank", timeout=None if timeout is None
                else timeout.total_seconds())
    return _finished(Work(world, None, "barrier", "every rank"), async_op)


def sum_array_(op, array, summary):
    """``array`` (contiguous) summed elementwise over the ranks, in place and blocking, for
    ``op`` (the layer or module asking, named in errors with ``summary``); a no-op when
    there is no group of more than one rank to sum over."""
    world = default_world(op)
    if world.size == 1:
        return
    world.agree(op, summary)
    world.wait(world.comm.Iallreduce(world.mpi.IN_PLACE, array, world.mpi.SUM), op, summary)


def start_sum_(world, array, op, what, finish):
    """Start summing ``array`` (contiguous) over the ranks, in place, with no signature
    check (the caller checked the layout once); ``finish`` runs when it is waited on."""
    request = world.comm.Iallreduce(world.mpi.IN_PLACE, array, world.mpi.SUM)
    return Work(world, request, op, what, finish)


def broadcast_array_(op, array, src, summary, detail=""):
    """Rank ``src``'s ``array`` (contiguous) into every rank's, in place and blocking; the
    ranks must agree on ``summary`` and ``detail`` first."""
    world = default_world(op)
    world.agree(op, summary, detail)
    world.wait(world.comm.Ibcast(array, root=src), op, summary)
