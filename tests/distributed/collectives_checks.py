"""Run under ``mpiexec -n 2``: the collectives of ``mg.distributed`` on every CPU backend and
dtype, in place, against NumPy applied to every rank's values; and the errors of bad use."""

import time
from datetime import timedelta

import harness
import numpy as np
from harness import everyone

import minigrad as mg
import minigrad.distributed as dist
from minigrad.backends import available_backends

BACKENDS = [name for name in ("numpy", "numba") if name in available_backends()]
DTYPES = ("float32", "float64", "float16", "int64", "int32", "bool")
NUMPY_OF = {dist.ReduceOp.SUM: np.sum, dist.ReduceOp.PRODUCT: np.prod,
            dist.ReduceOp.MIN: np.min, dist.ReduceOp.MAX: np.max}


def _values(dtype, shape=(2, 3)):
    rank = dist.get_rank()
    rng = np.random.default_rng(rank)
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    return (rng.integers(-3, 4, size=shape) + rank).astype(dtype)


def _expected(op, values):
    stacked = np.stack(values)
    if op is dist.ReduceOp.AVG:
        return (stacked.sum(axis=0) / len(values)).astype(stacked.dtype)
    if stacked.dtype == bool:
        reduce = np.all if op in (dist.ReduceOp.MIN, dist.ReduceOp.PRODUCT) else np.any
        return reduce(stacked, axis=0)
    return NUMPY_OF[op](stacked, axis=0).astype(stacked.dtype)


def check_all_reduce_every_op_backend_and_dtype_in_place():
    for backend in BACKENDS:
        for dtype in DTYPES:
            for op in dist.ReduceOp:
                if op is dist.ReduceOp.AVG and dtype in ("int64", "int32", "bool"):
                    continue
                values = _values(dtype)
                t = mg.tensor(values, backend=backend)
                array, version = t.data, t._version
                assert dist.all_reduce(t, op=op) is None
                assert t.data is array and t._version == version + 1, "not in place"
                assert t.backend == backend and t.data.dtype == np.dtype(dtype)
                np.testing.assert_array_equal(t.numpy(), _expected(op, everyone(values)),
                                              err_msg=f"{backend} {dtype} {op}")


def check_all_reduce_of_a_view_and_of_0d():
    base = mg.tensor(_values("float64", (3, 4)))
    view = base.transpose(0, 1)
    expected = _expected(dist.ReduceOp.SUM, everyone(view.numpy()))
    dist.all_reduce(view)
    np.testing.assert_array_equal(view.numpy(), expected)
    scalar = mg.tensor(float(dist.get_rank() + 1))
    dist.all_reduce(scalar, dist.ReduceOp.MAX)
    assert scalar.item() == dist.get_world_size()


def check_all_reduce_avg_of_ints_is_refused():
    try:
        dist.all_reduce(mg.tensor([1, 2]), op=dist.ReduceOp.AVG)
    except TypeError as err:
        assert "AVG needs a floating-point tensor" in str(err), err
    else:
        raise AssertionError("no error")


def check_broadcast_from_each_rank():
    for backend in BACKENDS:
        for src in range(dist.get_world_size()):
            values = _values("float32")
            t = mg.tensor(values, backend=backend)
            dist.broadcast(t, src=src)
            np.testing.assert_array_equal(t.numpy(), everyone(values)[src])


def check_all_gather_and_reduce_scatter():
    size, rank = dist.get_world_size(), dist.get_rank()
    for backend in BACKENDS:
        values = _values("float64")
        gathered = [mg.zeros(2, 3, dtype=mg.float64, backend=backend) for _ in range(size)]
        dist.all_gather(gathered, mg.tensor(values, backend=backend))
        for got, sent in zip(gathered, everyone(values)):
            np.testing.assert_array_equal(got.numpy(), sent)
        inputs = [_values("float64") * (k + 1) for k in range(size)]
        for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX):
            out = mg.zeros(2, 3, dtype=mg.float64, backend=backend)
            dist.reduce_scatter(out, [mg.tensor(v, backend=backend) for v in inputs], op=op)
            mine = [theirs[rank] for theirs in everyone(inputs)]
            np.testing.assert_allclose(out.numpy(), _expected(op, mine), rtol=1e-15)


def check_async_op_returns_work_to_wait_on():
    t = mg.ones(4)
    work = dist.all_reduce(t, async_op=True)
    assert work.wait() is True and work.is_completed()
    np.testing.assert_array_equal(t.numpy(), np.full(4, dist.get_world_size()))
    assert dist.barrier(async_op=True).is_completed()


def check_list_arguments_are_checked():
    try:
        dist.all_gather([mg.zeros(3)], mg.zeros(3))
    except ValueError as err:
        assert "one tensor per rank (2)" in str(err), err
    else:
        raise AssertionError("no error")


def check_mismatched_shapes_raise_on_every_rank_naming_each():
    rank = dist.get_rank()
    try:
        dist.all_reduce(mg.ones(3 + rank))
    except dist.DistError as err:
        message = str(err)
    else:
        raise AssertionError("no error")
    assert "rank 0 runs all_reduce of (3,) float32" in message, message
    assert "rank 1 runs all_reduce of (4,) float32" in message, message
    t = mg.ones(2)
    dist.all_reduce(t)  # NOTE: nothing was sent, so the group goes on working
    assert t.numpy().tolist() == [2.0, 2.0]


def check_different_collectives_on_ranks_are_detected():
    t = mg.ones(2)
    try:
        if dist.get_rank() == 0:
            dist.all_reduce(t)
        else:
            dist.broadcast(t, src=0)
    except dist.DistError as err:
        assert "rank 0 runs all_reduce" in str(err) and "rank 1 runs broadcast" in str(err)
    else:
        raise AssertionError("no error")


def check_a_rank_that_never_joins_times_out():
    dist.destroy_process_group()
    dist.init_process_group(timeout=timedelta(seconds=1))
    if dist.get_rank() == 1:
        time.sleep(1.5)  # NOTE: rank 1 skips the collective; the harness then starts afresh
        return
    started = time.monotonic()
    try:
        dist.all_reduce(mg.ones(2))
    except dist.DistError as err:
        message = str(err)
    else:
        raise AssertionError("no error")
    assert 1.0 <= time.monotonic() - started < 5
    assert "rank 0 waited 1 s" in message and "all_reduce of (2,) float32" in message, message
    try:
        dist.barrier()
    except dist.DistError as err:
        assert "failed earlier" in str(err), err
    else:
        raise AssertionError("the failed group went on")


def check_non_tensors_are_refused():
    try:
        dist.all_reduce(np.ones(2))
    except TypeError as err:
        assert "all_reduce: tensor must be a Tensor" in str(err)
    else:
        raise AssertionError("no error")


if __name__ == "__main__":
    harness.run_checks(globals())
