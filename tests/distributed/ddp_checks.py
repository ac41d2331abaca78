"""Run under ``mpiexec -n 2``: DistributedDataParallel's broadcast at construction, its
bucketed gradient averaging, ``no_sync``, unused parameters, clipping after the average,
and checkpoints saved by rank 0 and resumed by every rank."""

import os
import tempfile

import harness
import numpy as np
from harness import everyone, flat_grads, flat_parameters, same_on_every_rank

import minigrad as mg
import minigrad.distributed as dist
from minigrad import nn
from minigrad.nn.parallel import DistributedDataParallel, reducer
from minigrad.nn.utils import clip_grad_norm_, clip_grads_with_norm_, get_total_norm


def _mlp(dtype=mg.float64):
    return nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(),
                         nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3)).to(dtype)


def _batch(rows=6, dtype=mg.float64):
    """A batch that differs per rank."""
    rng = np.random.default_rng(10 + dist.get_rank())
    return mg.tensor(rng.standard_normal((rows, 5)), dtype=dtype)


def _local_grads(model, x):
    """The gradients one rank's batch gives ``model`` on its own (no averaging)."""
    model.zero_grad()
    model(x).square().mean().backward()
    return flat_grads(model)


def _copy_of(model):
    clone = _mlp()
    clone.load_state_dict(model.state_dict())
    return clone


def check_construction_broadcasts_rank_0s_parameters_and_buffers():
    mg.manual_seed(dist.get_rank())  # NOTE: a different initialization on every rank
    model = _mlp()
    model[1].running_mean.fill_(float(dist.get_rank()))
    rank0 = everyone((flat_parameters(model), model[1].running_mean.numpy()))[0]
    DistributedDataParallel(model)
    np.testing.assert_array_equal(flat_parameters(model), rank0[0])
    np.testing.assert_array_equal(model[1].running_mean.numpy(), rank0[1])


def check_gradients_are_the_mean_over_ranks_one_allreduce_per_bucket():
    model = _mlp()
    ddp = DistributedDataParallel(model, bucket_cap_mb=1.5e-3)  # NOTE: ~1.5 kB buckets
    x = _batch()
    reference = _local_grads(_copy_of(model), x)
    started, ready_then = [], []
    original = reducer.start_sum_

    def counting(world, array, op, what, finish):
        started.append(array.size)
        ready_then.append(sum(ddp.reducer.ready))
        return original(world, array, op, what, finish)

    reducer.start_sum_ = counting
    try:
        for _ in range(2):  # NOTE: a second iteration reuses the buckets
            started.clear()
            ready_then.clear()
            ddp.zero_grad()
            ddp(x).square().mean().backward()
    finally:
        reducer.start_sum_ = original
    buckets = ddp.reducer.buckets
    assert len(buckets) >= 3 and started == [b.buffer.size for b in buckets], started
    assert all(b.buffer.nbytes <= 1.5e-3 * 2 ** 20 or len(b.indices) == 1 for b in buckets)
    # NOTE: the first buckets start while backward still owes other parameters theirs
    assert ready_then[0] < len(ddp.reducer.params), ready_then
    np.testing.assert_allclose(flat_grads(model), np.mean(everyone(reference), axis=0),
                               rtol=1e-13, atol=1e-15)
    same_on_every_rank(flat_grads(model))


def check_no_sync_accumulates_locally_then_averages_the_sums():
    model = _mlp()
    ddp = DistributedDataParallel(model)
    first, second = _batch(), _batch(4) * 2
    clone = _copy_of(model)
    expected = _local_grads(clone, first)
    expected = expected + _local_grads(clone, second)
    ddp.zero_grad()
    with ddp.no_sync():
        ddp(first).square().mean().backward()
    local = flat_grads(model)
    assert not np.array_equal(*everyone(local)[:2]), "no_sync averaged"
    ddp(second).square().mean().backward()
    np.testing.assert_allclose(flat_grads(model), np.mean(everyone(expected), axis=0),
                               rtol=1e-12, atol=1e-14)


class _Branches(nn.Module):
    """Two heads; ``forward(x, use)`` takes the second only when ``use``."""

    def __init__(self):
        super().__init__()
        self.trunk, self.extra = nn.Linear(5, 4).double(), nn.Linear(4, 4).double()

    def forward(self, x, use=False):
        h = self.trunk(x)
        return self.extra(h) if use else h


def check_a_parameter_without_gradient_is_named_at_the_next_forward():
    ddp = DistributedDataParallel(_Branches())
    x = _batch()
    ddp(x).sum().backward()
    try:
        ddp(x)
    except RuntimeError as err:
        message = str(err)
    else:
        raise AssertionError("no error")
    assert "extra.weight, extra.bias" in message and "find_unused_parameters=True" in message
    assert f"on rank {dist.get_rank()}" in message, message


def check_find_unused_parameters_averages_what_some_rank_used():
    model = _Branches()
    ddp = DistributedDataParallel(model, find_unused_parameters=True)
    x = _batch()
    clone = _Branches()
    clone.load_state_dict(model.state_dict())
    clone(x, use=True).sum().backward()
    rank1 = everyone(clone.extra.weight.grad.numpy())[1]
    ddp(x, use=dist.get_rank() == 1).sum().backward()  # NOTE: rank 0 leaves `extra` out
    np.testing.assert_allclose(model.extra.weight.grad.numpy(), rank1 / 2, rtol=1e-13)
    same_on_every_rank(flat_grads(model))


def check_unused_everywhere_keeps_grad_none():
    model = _Branches()
    ddp = DistributedDataParallel(model, find_unused_parameters=True)
    ddp(_batch()).sum().backward()
    assert model.extra.weight.grad is None and model.trunk.weight.grad is not None
    ddp(_batch()).sum().backward()  # NOTE: the next iteration is not refused


def check_clip_grad_norm_uses_the_averaged_gradients_on_every_rank():
    model = _mlp()
    ddp = DistributedDataParallel(model)
    x = _batch()
    local = _local_grads(_copy_of(model), x)
    ddp(x).square().mean().backward()
    norm = float(clip_grad_norm_(ddp.parameters(), max_norm=0.05))
    mean = np.mean(everyone(local), axis=0)
    np.testing.assert_allclose(norm, np.linalg.norm(mean), rtol=1e-12)
    assert all(abs(np.linalg.norm(g) - norm) > 1e-6 for g in everyone(local))
    same_on_every_rank(flat_grads(model))
    np.testing.assert_allclose(np.linalg.norm(flat_grads(model)), 0.05, rtol=1e-5)


def check_sharded_clipping_composes_get_total_norm_and_clip_grads_with_norm():
    """Each rank holds half the parameters (as a sharded optimizer does): the global norm is
    the square root of the all-reduced squares of the shards' norms."""
    params = [nn.Parameter(mg.tensor(np.arange(1.0, 7.0) * (k + 1), dtype=mg.float64))
              for k in range(4)]
    for p in params:
        p.grad = p.detach() * 1.0
    whole = [nn.Parameter(p.detach() * 1.0) for p in params]
    for p, q in zip(whole, params):
        p.grad = q.grad * 1.0
    expected = float(clip_grad_norm_(whole, max_norm=1.0))
    shard = params[dist.get_rank()::2]
    squared = get_total_norm([p.grad for p in shard]) ** 2.0
    dist.all_reduce(squared)
    total = squared ** 0.5
    np.testing.assert_allclose(float(total), expected, rtol=1e-14)
    clip_grads_with_norm_(shard, 1.0, total)
    for p, q in zip(shard, whole[dist.get_rank()::2]):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-14)


def _train(ddp, optimizer, batches):
    for x in batches:
        optimizer.zero_grad()
        ddp(x).square().mean().backward()
        clip_grad_norm_(ddp.parameters(), 1.0)
        optimizer.step()


def check_rank_0_saves_every_rank_loads_and_resumes_bit_exactly():
    folder = everyone(tempfile.mkdtemp() if dist.get_rank() == 0 else None)[0]
    path = os.path.join(folder, "checkpoint.mgc")
    batches = [_batch() * (k + 1) for k in range(6)]

    def fresh():
        mg.manual_seed(0)
        ddp = DistributedDataParallel(_mlp())
        return ddp, mg.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)

    ddp, optimizer = fresh()
    _train(ddp, optimizer, batches)
    uninterrupted = flat_parameters(ddp)
    ddp, optimizer = fresh()
    _train(ddp, optimizer, batches[:3])
    if dist.get_rank() == 0:
        mg.save({"model": ddp.module.state_dict(), "optimizer": optimizer.state_dict()}, path)
    dist.barrier()
    ddp, optimizer = fresh()
    state = mg.load(path)
    ddp.module.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    _train(ddp, optimizer, batches[3:])
    np.testing.assert_array_equal(flat_parameters(ddp), uninterrupted)
    same_on_every_rank(flat_parameters(ddp))
    assert list(ddp.state_dict())[0].startswith("module.")


def check_errors_of_the_constructor():
    frozen = nn.Linear(2, 2).requires_grad_(False)
    for make, expected in ((lambda: DistributedDataParallel(frozen), "doesn't have any"),
                           (lambda: DistributedDataParallel(_mlp(), device_ids=[0]),
                            "device_ids")):
        try:
            make()
        except (RuntimeError, ValueError) as err:
            assert expected in str(err), err
        else:
            raise AssertionError("no error")


def check_mismatched_models_are_detected_at_construction():
    model = nn.Linear(3 + dist.get_rank(), 2)
    try:
        DistributedDataParallel(model)
    except dist.DistError as err:
        assert "rank 0 runs" in str(err) and "rank 1 runs" in str(err), err
    else:
        raise AssertionError("no error")


if __name__ == "__main__":
    harness.run_checks(globals())
