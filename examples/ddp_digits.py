"""Data-parallel training of the demo's digits MLP: every process holds a replica, reads its
own shard of each epoch (DistributedSampler), normalizes with the statistics of the whole
global batch (SyncBatchNorm), and takes the same step as the others, because
DistributedDataParallel averages the gradients before the global-norm clip and the update.

    mpiexec -n 2 python examples/ddp_digits.py        # 2 processes x batch 32
    python examples/ddp_digits.py                     # 1 process x batch 64, for comparison

The global batch is 64 whatever the number of processes, so the runs reach the same
accuracy; only the dropout masks, drawn by each process, differ.
"""

import argparse

import minigrad as torch
import minigrad.distributed as dist
import minigrad.nn as nn
from minigrad.data import load_digits
from minigrad.nn.parallel import DistributedDataParallel
from minigrad.optim.lr_scheduler import OneCycleLR
from minigrad.utils.data import DataLoader, DistributedSampler, TensorDataset


def build_model(hidden=128, dropout=0.2):
    return nn.Sequential(
        nn.Linear(64, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, 10))


def replicas_agree(model):
    """Whether every process holds the same parameters: the largest and the smallest
    checksum over the processes are equal."""
    checksum = sum(float(p.detach().double().square().sum()) for p in model.parameters())
    extremes = torch.tensor([checksum, -checksum], dtype=torch.float64)
    dist.all_reduce(extremes, op=dist.ReduceOp.MAX)
    return extremes[0].item() == -extremes[1].item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64, help="the global batch")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    dist.init_process_group(backend="mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)
    split = load_digits(seed=args.seed)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(build_model())
    model = DistributedDataParallel(model)  # NOTE: every replica starts from rank 0's weights
    torch.manual_seed(args.seed + rank)  # NOTE: each replica its own dropout masks

    dataset = TensorDataset(split.x_train, split.y_train)
    sampler = DistributedSampler(dataset, seed=args.seed, drop_last=True)
    loader = DataLoader(dataset, batch_size=args.batch_size // world, sampler=sampler,
                        drop_last=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, weight_decay=1e-4)
    scheduler = OneCycleLR(optimizer, max_lr=0.2, epochs=args.epochs,
                           steps_per_epoch=len(loader))
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # NOTE: a new order each epoch, the same on every process
        total = torch.zeros(2, dtype=torch.float64)
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            scheduler.step()
            total += torch.tensor([loss.item() * len(y), len(y)], dtype=torch.float64)
        dist.all_reduce(total)  # NOTE: the loss summed over every process's samples
        if rank == 0:
            mean = total[0].item() / total[1].item()
            print(f"epoch {epoch + 1:2d}: mean training loss {mean:.4f}")

    model.eval()
    with torch.no_grad():
        predicted = model(split.x_test).argmax(dim=1)
    accuracy = (predicted == split.y_test).double().mean().item()
    agree = replicas_agree(model)
    if rank == 0:
        print(f"test accuracy {100 * accuracy:.1f}% on {len(split.y_test)} digits "
              f"({world} process{'es' if world > 1 else ''} x batch {args.batch_size // world}"
              f"); replicas identical: {agree}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
