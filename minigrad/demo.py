"""``minigrad demo``: train an MLP on scikit-learn's digits with the whole toolkit at work:
BatchNorm, Dropout, gradient clipping and a one-cycle learning-rate schedule.

It prints the test accuracy and writes a plot of the loss, learning rate and gradient norm
of every step, so the effect of the schedule and of clipping can be seen. With ``--nproc N``
it trains data-parallel in N processes started through mpiexec (the ``distributed``
extra): DistributedDataParallel, SyncBatchNorm and a DistributedSampler, the global batch
kept at ``--batch-size``.
"""

import time

import minigrad as mg
from minigrad import distributed, nn
from minigrad.data import DataLoader, TensorDataset, load_digits
from minigrad.distributed import run
from minigrad.nn.parallel import DistributedDataParallel
from minigrad.nn.utils import clip_grad_norm_
from minigrad.optim.lr_scheduler import OneCycleLR
from minigrad.utils.data import DistributedSampler

DEMO_EXTRA = "pip install 'minigrad[demo]'"


def build_model(hidden=128, dropout=0.2):
    """64 pixels -> two BatchNorm/ReLU/Dropout hidden layers -> 10 class logits."""
    return nn.Sequential(
        nn.Linear(64, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, 10))


def accuracy(model, x, y):
    """Fraction of correct predictions, in evaluation mode."""
    model.eval()
    with mg.no_grad():
        predicted = model(x).argmax(dim=1)
    model.train()
    return float((predicted == y).numpy().mean())


def train(epochs=20, batch_size=64, max_lr=0.2, max_norm=1.0, seed=0, progress=None,
          data_parallel=False):
    """Train on the digits; returns the model, test accuracy and per-step history. With
    ``data_parallel`` (in a process group) this process trains its replica on its shard,
    ``batch_size`` being the global batch."""
    mg.manual_seed(seed)
    split = load_digits(seed=seed)
    dataset = TensorDataset(split.x_train, split.y_train)
    model, sampler = build_model(), None
    if data_parallel:
        model = DistributedDataParallel(nn.SyncBatchNorm.convert_sync_batchnorm(model))
        sampler = DistributedSampler(dataset, seed=seed, drop_last=True)
        loader = DataLoader(dataset, batch_size=batch_size // distributed.get_world_size(),
                            sampler=sampler, drop_last=True)
        mg.manual_seed(seed + distributed.get_rank())  # NOTE: each replica its own dropout
    else:
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                            seed=seed)
    optimizer = mg.optim.SGD(model.parameters(), lr=max_lr, momentum=0.9, weight_decay=1e-4)
    scheduler = OneCycleLR(optimizer, max_lr=max_lr, epochs=epochs,
                           steps_per_epoch=len(loader))
    loss_fn = nn.CrossEntropyLoss()
    history = {"loss": [], "lr": [], "grad_norm": []}
    for epoch in range(epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            norm = clip_grad_norm_(model.parameters(), max_norm)
            history["lr"].append(scheduler.get_last_lr()[0])
            optimizer.step()
            scheduler.step()
            history["loss"].append(loss.item())
            history["grad_norm"].append(float(norm))
            if progress is not None:
                progress.update(1)
                progress.set_postfix(loss=f"{loss.item():.3f}", lr=f"{history['lr'][-1]:.4f}",
                                     refresh=False)
    history["test_size"] = len(split.y_test)
    return model, accuracy(model, split.x_test, split.y_test), history


def plot(history, path, max_norm):
    """Loss, learning rate and gradient norm (with the clipping threshold) per step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
    axes[0].plot(history["loss"], lw=0.8)
    axes[0].set(ylabel="training loss", yscale="log", title="minigrad demo: digits MLP")
    axes[1].plot(history["lr"], color="tab:orange")
    axes[1].set(ylabel="learning rate (OneCycleLR)")
    axes[2].plot(history["grad_norm"], color="tab:green", lw=0.8, label="norm before clipping")
    axes[2].axhline(max_norm, color="tab:red", ls="--", label=f"max_norm = {max_norm}")
    axes[2].set(ylabel="gradient norm", xlabel="step")
    axes[2].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(epochs=20, seed=0, backend="numpy", output="minigrad-demo.png", batch_size=64,
         nproc=1):
    if nproc > 1 and run.launched_size() is None:  # NOTE: start nproc copies of this command
        return run.launch(nproc, "minigrad", ["demo", "--epochs", str(epochs), "--seed",
                                              str(seed), "--backend", backend, "--output",
                                              output, "--batch-size", str(batch_size),
                                              "--nproc", str(nproc)], module=True)
    try:
        import matplotlib  # noqa: F401
        import sklearn  # noqa: F401
        from tqdm import tqdm
    except ImportError as err:
        print(f"minigrad demo needs {err.name}; install the demo extra: {DEMO_EXTRA}")
        return 1
    mg.set_default_backend(backend)
    data_parallel = nproc > 1
    if data_parallel:
        distributed.init_process_group()
    lead = not data_parallel or distributed.get_rank() == 0  # NOTE: the one that reports
    started = time.perf_counter()
    steps = epochs * (len(load_digits(seed=seed).y_train) // batch_size)
    with tqdm(total=steps, desc="training", unit="step", mininterval=0.5,
              disable=not lead) as progress:
        model, test_accuracy, history = train(epochs, batch_size, seed=seed, progress=progress,
                                              data_parallel=data_parallel)
    if data_parallel:
        distributed.destroy_process_group()
    if not lead:
        return 0
    seconds = time.perf_counter() - started
    clipped = sum(n > 1.0 for n in history["grad_norm"])
    where = f"{backend}, {nproc} processes" if data_parallel else backend
    print(f"test accuracy: {100 * test_accuracy:.1f}% on {history['test_size']} held-out digits "
          f"({epochs} epochs, {len(history['loss'])} steps, {seconds:.1f} s on {where}; "
          f"clipping acted on {clipped} steps)")
    plot(history, output, 1.0)
    print(f"plot of loss, learning rate and gradient norm per step: {output}")
    return 0
