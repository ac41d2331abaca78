"""What each replica's BatchNorm normalizes with, and which gradient norm the clip sees,
under DistributedDataParallel: one training step with plain BatchNorm1d, then one with
SyncBatchNorm, on processes whose data differ on purpose (rank r's inputs are shifted by 2r).

    mpiexec -n 2 python examples/ddp_batchnorm_stats.py [--plot stats.png]

Plain BatchNorm1d normalizes each replica's batch with that batch's statistics, so the
replicas disagree with each other and with the global batch; SyncBatchNorm uses the global
batch's. The gradient norm each rank sees before the allreduce is its own; after DDP's
averaging the clip sees one norm on every rank, which with SyncBatchNorm equals the norm of
one process training on the concatenated global batch. Rank 0 prints a table, then one
``RESULT {json}`` line for programs to read.
"""

import argparse
import json

import minigrad as torch
import minigrad.distributed as dist
import minigrad.nn as nn
from minigrad.nn.parallel import DistributedDataParallel

CHANNELS, HIDDEN, LOCAL_BATCH, SHIFT = 3, 8, 16, 2.0


def build_model(sync):
    """BatchNorm first, so the statistics it sees are those of the raw, shifted inputs."""
    torch.manual_seed(0)  # NOTE: the same initial weights for every variant and process
    model = nn.Sequential(nn.BatchNorm1d(CHANNELS), nn.Linear(CHANNELS, HIDDEN), nn.Tanh(),
                          nn.Linear(HIDDEN, 1))
    return nn.SyncBatchNorm.convert_sync_batchnorm(model) if sync else model


def gathered(tensor):
    """Every rank's ``tensor``, stacked along a new first axis (rank order)."""
    parts = [torch.zeros_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, tensor.contiguous())
    return torch.stack(parts)


def statistics_used(norm, count):
    """The batch mean and (biased) variance ``norm`` normalized with in its one training
    forward, read back from its running statistics, which started at 0 and 1 and blended in
    the mean and the unbiased variance over ``count`` samples with weight ``momentum``."""
    m = norm.momentum
    mean = norm.running_mean / m
    unbiased = (norm.running_var - (1 - m)) / m
    return mean, unbiased * (count - 1) / count


def flat_norm(grads):
    return float(torch.stack([g.norm() for g in grads]).norm())


def one_step(sync, x, y, x_global, y_global):
    """One DDP training step; what rank 0 reports about it (every rank returns it)."""
    model = DistributedDataParallel(build_model(sync))
    local = []
    for p in model.parameters():  # NOTE: a tensor hook sees the local gradient, pre-allreduce
        p.register_hook(lambda g: local.append(g.detach().clone()))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    clip_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()

    norm = model.module[0]
    count = LOCAL_BATCH * dist.get_world_size() if sync else LOCAL_BATCH
    mean, var = statistics_used(norm, count)

    reference = build_model(sync=False)  # NOTE: one process, the whole global batch
    nn.functional.mse_loss(reference(x_global), y_global).backward()
    reference_norm = nn.utils.clip_grad_norm_(reference.parameters(), max_norm=1.0)
    return {
        "replica_mean": gathered(mean).tolist(),
        "replica_var": gathered(var).tolist(),
        "running_mean": gathered(norm.running_mean.detach()).tolist(),
        "local_norm": gathered(torch.tensor([flat_norm(local)])).flatten().tolist(),
        "clip_norm": gathered(clip_norm.detach().reshape(1)).flatten().tolist(),
        "reference_norm": float(reference_norm),
    }


def print_table(name, report, global_mean, global_var):
    print(f"{name}:")
    print("  channel | " + " | ".join(f"replica {r} mean, var" for r in
                                      range(len(report["replica_mean"])))
          + " | global-batch mean, var")
    for c in range(CHANNELS):
        cells = [f"{m[c]:8.4f}, {v[c]:.4f}" for m, v in zip(report["replica_mean"],
                                                            report["replica_var"])]
        print(f"  {c:7d} | " + " | ".join(cells)
              + f" | {global_mean[c]:8.4f}, {global_var[c]:.4f}")
    for r, running in enumerate(report["running_mean"]):
        print(f"  rank {r} running_mean: " + ", ".join(f"{v:.4f}" for v in running))
    print("  local gradient norm per rank (before the allreduce): "
          + ", ".join(f"{n:.6f}" for n in report["local_norm"]))
    print("  clip norm per rank (after DDP's averaging): "
          + ", ".join(f"{n:.6f}" for n in report["clip_norm"])
          + f"; one process over the global batch: {report['reference_norm']:.6f}")


def plot(path, results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plain, synced = results["plain"], results["sync"]
    bars = [("replica 0", plain["replica_mean"][0]), ("replica 1", plain["replica_mean"][1]),
            ("synchronized", synced["replica_mean"][0]), ("global batch",
                                                           results["global_mean"])]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(bars)
    for i, (label, means) in enumerate(bars):
        left.bar([c + (i - 1.5) * width for c in range(CHANNELS)], means, width, label=label)
    left.set(xticks=range(CHANNELS), xlabel="channel", ylabel="batch mean",
             title="BatchNorm statistics per channel")
    left.margins(y=0.35)
    left.legend(ncol=2, loc="upper left")
    names = ["rank 0 local (Sync)", "rank 1 local (Sync)", "plain BN clip", "SyncBN clip",
             "global batch"]
    values = [*synced["local_norm"], plain["clip_norm"][0], synced["clip_norm"][0],
              synced["reference_norm"]]
    right.bar(names, values, color=["C0", "C1", "C2", "C3", "C4"])
    right.set(ylabel="gradient norm", title="local vs global gradient norms")
    right.tick_params(axis="x", rotation=20)
    fig.tight_layout()
    fig.savefig(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plot", help="save a figure to this file (needs matplotlib)")
    args = parser.parse_args()

    dist.init_process_group(backend="mpi")
    rank = dist.get_rank()
    torch.manual_seed(100 + rank)
    x = torch.randn(LOCAL_BATCH, CHANNELS) + SHIFT * rank  # NOTE: each rank its own data
    y = torch.tanh(x.sum(dim=1, keepdim=True) - SHIFT)
    x_global, y_global = gathered(x).flatten(0, 1), gathered(y).flatten(0, 1)

    results = {"global_mean": x_global.mean(dim=0).tolist(),
               "global_var": x_global.var(dim=0, unbiased=False).tolist(),
               "plain": one_step(False, x, y, x_global, y_global),
               "sync": one_step(True, x, y, x_global, y_global)}
    if rank == 0:
        for name, key in (("plain BatchNorm1d under DDP", "plain"), ("SyncBatchNorm", "sync")):
            print_table(name, results[key], results["global_mean"], results["global_var"])
        if args.plot:
            plot(args.plot, results)
            print(f"figure saved to {args.plot}")
        print("RESULT " + json.dumps(results))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
