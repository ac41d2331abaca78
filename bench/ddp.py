"""W7: W1 (bench/workloads.py's MLP training step, batch 128 per process) under
``DistributedDataParallel`` on 2 ranks (``mpiexec -n 2``) against the same step in 1 process
without DDP. Reported, never asserted:

- scaling efficiency: 2-rank throughput (samples/s over both ranks) / (2 x 1-process
  throughput), i.e. the 1-process step time over the DDP step time; 1.0 is perfect;
- allreduce per step: the allreduces of one step's gradients, in DDP's own buckets, timed
  alone on the 2 ranks (median over rounds);
- DDP's overhead per step: DDP step time minus the 1-process step time (communication,
  waiting for the slower rank, bucketing).

Every process uses one BLAS thread (``--threads``), so that 2 ranks on 2 cores are compared
with 1 process on 1 core, not with a process that already uses both cores.

    python bench/ddp.py [--ranks 2] [--steps 20] [--rounds 7] [--threads 1]

It times the 1-process case itself, then starts ``mpiexec -n RANKS`` on itself with
``--ddp`` and reads rank 0's figures (JSON on its last output line).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import workloads
from threadpoolctl import threadpool_limits

import minigrad as mg
from minigrad import nn


def build(ddp):
    """W1's model, batch and step; the model wrapped in DistributedDataParallel when ``ddp``
    (the optimizer and clipping then act on the averaged gradients, as in training)."""
    training = workloads.W1
    model = nn.Sequential(*(getattr(nn, workloads.LAYER_CLASSES[kind])(*args)
                            for kind, *args in training.layers))
    state = workloads.initial_state(training.layers, training.dtype)
    model.load_state_dict({k: mg.tensor(v) for k, v in state.items()}, strict=False)
    x, target = (mg.tensor(a) for a in workloads.batch(training))
    if ddp:
        model = nn.parallel.DistributedDataParallel(model)
    params = list(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    optimizer = mg.optim.SGD(params, lr=training.lr, momentum=training.momentum)
    scheduler = mg.optim.lr_scheduler.StepLR(optimizer, training.step_size, training.gamma)

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), target).backward()
        nn.utils.clip_grad_norm_(params, training.max_norm)
        optimizer.step()
        scheduler.step()

    return model, step


def step_times(step, steps, rounds, sync=None):
    """Median seconds per step over ``rounds`` rounds of ``steps`` steps (after a warm-up);
    ``sync`` (a barrier) starts every round together on all ranks."""
    for _ in range(3):
        step()
    medians = []
    for _ in range(rounds):
        if sync is not None:
            sync()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        medians.append((time.perf_counter() - start) / steps)
    return statistics.median(medians)


def ddp_rank(args):
    """One rank of the DDP case: step time, then the allreduces of its buckets alone."""
    import minigrad.distributed as dist

    dist.init_process_group(backend="mpi")
    model, step = build(ddp=True)
    step_s = step_times(step, args.steps, args.rounds, dist.barrier)
    # NOTE: the bucket buffers are the reducer's own, so the sizes are exactly DDP's
    buffers = [mg.tensor(bucket.buffer.copy()) for bucket in model.reducer.buckets]

    def allreduce_all():
        for tensor in buffers:
            dist.all_reduce(tensor)

    allreduce_s = step_times(allreduce_all, args.steps, args.rounds, dist.barrier)
    if dist.get_rank() == 0:
        print(json.dumps({"step_s": step_s, "allreduce_s": allreduce_s,
                          "buckets": [t.numel() for t in buffers]}), flush=True)
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ddp", action="store_true", help="be one rank (under mpiexec)")
    args = parser.parse_args()
    threadpool_limits(args.threads, user_api="blas")
    if args.ddp:
        ddp_rank(args)
        return
    single_s = step_times(build(ddp=False)[1], args.steps, args.rounds)
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    command = [mpiexec if os.path.exists(mpiexec) else "mpiexec", "-n", str(args.ranks),
               sys.executable, os.path.abspath(__file__), "--ddp", "--steps", str(args.steps),
               "--rounds", str(args.rounds), "--threads", str(args.threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench/ddp.py: {' '.join(command)} failed:\n{done.stderr}")
    ddp = json.loads(done.stdout.strip().splitlines()[-1])
    batch = workloads.W1.batch
    single_rate, ddp_rate = batch / single_s, args.ranks * batch / ddp["step_s"]
    print(f"| W7 | W1 under DDP, {args.ranks} ranks x batch {batch} vs 1 process, "
          f"{args.threads} BLAS thread(s) each | 1 process {single_s * 1e3:.2f} ms/step "
          f"({single_rate:.0f} samples/s); {args.ranks} ranks {ddp['step_s'] * 1e3:.2f} ms/step "
          f"({ddp_rate:.0f} samples/s) | scaling efficiency "
          f"{ddp_rate / (args.ranks * single_rate):.2f} | allreduce {ddp['allreduce_s'] * 1e3:.2f}"
          f" ms/step ({len(ddp['buckets'])} buckets, {sum(ddp['buckets'])} values); DDP "
          f"overhead {(ddp['step_s'] - single_s) * 1e3:.2f} ms/step |")


if __name__ == "__main__":
    main()
