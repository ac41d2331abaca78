"""Run under ``mpiexec -n 2``: SyncBatchNorm against BatchNorm over the global batch, and the
equivalence the issue asks for: 2 ranks x batch 16 with DistributedDataParallel,
SyncBatchNorm, clip_grad_norm_ and a scheduler give, after 20 steps, the parameters of
1 process x batch 32; with plain BatchNorm they follow the per-replica statistics instead.

Every rank computes the single-process reference itself, on the whole data set."""

import harness
import numpy as np
from harness import everyone, flat_parameters, same_on_every_rank

import minigrad as mg
import minigrad.distributed as dist
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.nn.parallel import DistributedDataParallel
from minigrad.nn.utils import clip_grad_norm_
from minigrad.optim.lr_scheduler import OneCycleLR
from minigrad.utils.data import DataLoader, DistributedSampler, TensorDataset

STEPS, GLOBAL_BATCH = 20, 32
RNG = np.random.default_rng(0)
INPUTS = RNG.standard_normal((STEPS * GLOBAL_BATCH, 6)) * 2 + 0.5
TARGETS = RNG.integers(0, 4, size=STEPS * GLOBAL_BATCH)


def _model(dtype):
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 24), nn.BatchNorm1d(24), nn.ReLU(), nn.Linear(24, 24),
                         nn.BatchNorm1d(24), nn.ReLU(), nn.Linear(24, 4)).to(dtype)


def _dataset(dtype):
    return TensorDataset(mg.tensor(INPUTS, dtype=dtype), mg.tensor(TARGETS))


def _train(model, loader, losses_of):
    """20 steps of SGD with momentum, clipping at 0.5 and OneCycleLR; ``losses_of(x, y)``
    is the loss to differentiate."""
    optimizer = mg.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    scheduler = OneCycleLR(optimizer, max_lr=0.2, total_steps=STEPS)
    norms = []
    for x, y in loader:
        optimizer.zero_grad()
        losses_of(x, y).backward()
        norms.append(float(clip_grad_norm_(model.parameters(), 0.5)))
        optimizer.step()
        scheduler.step()
    assert len(norms) == STEPS and max(norms) > 0.5, norms  # NOTE: clipping acted
    return norms


def _single_process(dtype):
    model = _model(dtype)
    loader = DataLoader(_dataset(dtype), batch_size=GLOBAL_BATCH)
    _train(model, loader, lambda x, y: F.cross_entropy(model(x), y))
    return model


def _data_parallel(dtype, sync):
    model = _model(dtype)
    if sync:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ddp = DistributedDataParallel(model)
    sampler = DistributedSampler(_dataset(dtype), shuffle=False)
    loader = DataLoader(_dataset(dtype), batch_size=GLOBAL_BATCH // 2, sampler=sampler)
    norms = _train(ddp, loader, lambda x, y: F.cross_entropy(ddp(x), y))
    same_on_every_rank(norms)
    same_on_every_rank(flat_parameters(model))
    return model


def _running_means(model):
    return np.concatenate([m.running_mean.numpy() for m in model.modules()
                           if isinstance(m, nn.BatchNorm1d | nn.SyncBatchNorm)])


def _check_equivalence(dtype, rtol, atol):
    reference, parallel = _single_process(dtype), _data_parallel(dtype, sync=True)
    np.testing.assert_allclose(flat_parameters(parallel), flat_parameters(reference),
                               rtol=rtol, atol=atol)
    np.testing.assert_allclose(_running_means(parallel), _running_means(reference),
                               rtol=rtol, atol=atol)


def check_sync_batchnorm_ddp_equals_one_process_on_the_global_batch_float64():
    _check_equivalence(mg.float64, rtol=1e-12, atol=1e-12)


def check_sync_batchnorm_ddp_equals_one_process_on_the_global_batch_float32():
    _check_equivalence(mg.float32, rtol=1e-5, atol=1e-6)


def check_plain_batchnorm_under_ddp_follows_the_per_replica_statistics():
    """Each rank normalizes its own 16 rows: the same as one process averaging the losses
    of the two halves, each normalized alone; not the same as the global batch of 32."""
    parallel, reference = _data_parallel(mg.float64, sync=False), _single_process(mg.float64)
    replicas = _model(mg.float64)
    loader = DataLoader(_dataset(mg.float64), batch_size=GLOBAL_BATCH)

    def per_replica_loss(x, y):
        halves = [F.cross_entropy(replicas(x[r::2]), y[r::2]) for r in range(2)]
        return (halves[0] + halves[1]) / 2

    _train(replicas, loader, per_replica_loss)
    np.testing.assert_allclose(flat_parameters(parallel), flat_parameters(replicas),
                               rtol=1e-11, atol=1e-12)
    gap = np.abs(flat_parameters(parallel) - flat_parameters(reference)).max()
    assert gap > 1e-3, f"per-replica and global statistics gave the same parameters ({gap})"
    assert np.abs(_running_means(parallel) - _running_means(reference)).max() > 1e-3


def check_plain_batchnorm_running_stats_are_rank_0s_after_the_forward_broadcast():
    model = _model(mg.float64)
    ddp = DistributedDataParallel(model)
    own_rows = mg.tensor(INPUTS[:32][dist.get_rank()::2])
    ddp(own_rows)
    after_one = everyone(model[1].running_mean.numpy())
    alone = _model(mg.float64)
    alone(mg.tensor(INPUTS[:32][0::2]))
    np.testing.assert_allclose(after_one[0], alone[1].running_mean.numpy(), rtol=1e-13)
    assert not np.allclose(after_one[0], after_one[1]), "the replicas' statistics agree"
    ddp(own_rows)  # NOTE: starts from rank 0's buffers, then blends in the rank's own batch
    # NOTE: after_one[r] is 0.1 * the batch mean of rank r (the buffers started at 0)
    np.testing.assert_allclose(model[1].running_mean.numpy(),
                               0.9 * after_one[0] + after_one[dist.get_rank()], rtol=1e-12)


def _global_rows(sizes, shape, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((sum(sizes), *shape)) * 1.5 + 0.7


def _check_against_global_batch(sizes, shape):
    """SyncBatchNorm with ``sizes[r]`` rows on rank r against BatchNorm on all rows: output,
    input gradient, weight and bias gradients (summed over ranks), running statistics."""
    rank, channels = dist.get_rank(), shape[0]
    x_all, weights = _global_rows(sizes, shape, 1), _global_rows(sizes, shape, 2)
    rows = slice(sum(sizes[:rank]), sum(sizes[:rank + 1]))
    batch_norm = (nn.BatchNorm1d if len(shape) < 3 else nn.BatchNorm2d)(channels).double()
    with mg.no_grad():
        batch_norm.weight.copy_(mg.tensor(np.linspace(0.5, 1.5, channels)))
        batch_norm.bias.copy_(mg.tensor(np.linspace(-1, 1, channels)))
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(_copy_of(batch_norm))
    x = mg.tensor(x_all[rows], requires_grad=True)
    y = sync(x)
    (y * mg.tensor(weights[rows])).sum().backward()
    x_ref = mg.tensor(x_all, requires_grad=True)
    y_ref = batch_norm(x_ref)
    (y_ref * mg.tensor(weights)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy()[rows], atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy()[rows], atol=1e-12)
    for name in ("weight", "bias"):
        summed = np.sum(everyone(getattr(sync, name).grad.numpy()), axis=0)
        np.testing.assert_allclose(summed, getattr(batch_norm, name).grad.numpy(), atol=1e-11)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(sync, name).numpy(),
                                   getattr(batch_norm, name).numpy(), rtol=1e-12)
    assert int(sync.num_batches_tracked.item()) == 1


def _copy_of(batch_norm):
    clone = type(batch_norm)(batch_norm.num_features).double()
    clone.load_state_dict(batch_norm.state_dict())
    return clone


def check_sync_batchnorm_with_unequal_batches_equals_the_global_batch():
    _check_against_global_batch((3, 7), (4,))


def check_sync_batchnorm_2d_images_with_unequal_batches():
    _check_against_global_batch((2, 1), (3, 2, 3))


def check_sync_batchnorm_with_an_empty_batch_on_one_rank():
    _check_against_global_batch((0, 5), (3,))


def check_sync_batchnorm_evaluates_with_the_running_statistics():
    layer = nn.SyncBatchNorm(3).double()
    layer.running_mean.fill_(0.5)
    layer.eval()
    x = mg.tensor(_global_rows((4,), (3,), 3))
    expected = (x.numpy() - 0.5) / np.sqrt(1 + 1e-5)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12)


if __name__ == "__main__":
    harness.run_checks(globals())
