"""The temporal-order task (Hochreiter and Schmidhuber, 1997) as Pascanu, Mikolov and Bengio
(2013) train it: a tanh RNN with plain SGD, with and without gradient-norm clipping.

A sequence of length T holds symbols from {A, B, c, d, e, f}. Two of them, each A or B, sit
at a random position in [T/10, 2T/10] and one in [5T/10, 6T/10]; every other position holds
a random distractor c-f. The class is the ordered pair: AA, AB, BA or BB. The network must
carry the first symbol across about T/2 steps of noise, so its gradient has to cross them too.

    python -m minigrad.experiments.temporal_order [--output DIR] [--lengths 20 50]
        [--seeds 0 1] [--steps N] [--workers N]

trains every (length, seed) without and with clipping, prints a table and writes
``temporal_order_grad_norms.png``, the gradient norm per step for the longest length.
"""

import concurrent.futures
import dataclasses
import os
import time

import minigrad as mg
from minigrad import nn
from minigrad.experiments.common import (
    format_table,
    gradient_step,
    output_file,
    parser,
    pyplot,
    scaled_orthogonal,
)

SYMBOLS = "ABcdef"
CLASSES = ("AA", "AB", "BA", "BB")
HIDDEN, BATCH, LR, MAX_NORM = 50, 20, 0.01, 1.0
TEST_SIZE = 1000
SUCCESS = 0.01      # held-out error rate below which a run has solved the task
CHECK_EVERY = 100   # steps between looks at the recent training error


def windows(length):
    """The inclusive position ranges of the first and second relevant symbol."""
    if length < 10:
        raise ValueError(f"temporal order: sequences need length >= 10, got {length}")
    return (length // 10, 2 * length // 10), (5 * length // 10, 6 * length // 10)


@dataclasses.dataclass
class Batch:
    """One-hot inputs (T, batch, 6), the symbol indices (T, batch) and the classes (batch,)."""

    x: mg.Tensor
    symbols: mg.Tensor
    labels: mg.Tensor


def make_batch(length, size):
    """``size`` random sequences, drawn from minigrad's seeded generator."""
    symbols = (mg.rand(length, size) * 4).to(mg.int64) + 2      # distractors c-f
    labels = mg.zeros(size, dtype=mg.int64)
    steps = mg.arange(length).unsqueeze(1)
    for (low, high), weight in zip(windows(length), (2, 1)):
        position = (mg.rand(size) * (high - low + 1)).to(mg.int64) + low
        is_b = (mg.rand(size) < 0.5).to(mg.int64)                 # 0 is A, 1 is B
        symbols = mg.where(steps == position, is_b, symbols)
        labels = labels + weight * is_b
    x = (symbols.unsqueeze(-1) == mg.arange(len(SYMBOLS))).float()
    return Batch(x, symbols, labels)


class OrderClassifier(nn.Module):
    """A tanh RNN read out by a linear layer on its last hidden state.

    Initialized in the spirit of the paper's "smart tanh" (echo-state style): recurrent
    weights with spectral radius 0.95, so the state neither dies out nor blows up at first,
    small input weights and zero biases.
    """

    def __init__(self, hidden=HIDDEN, radius=0.95, input_std=0.1):
        super().__init__()
        self.rnn = nn.RNN(len(SYMBOLS), hidden)
        self.head = nn.Linear(hidden, len(CLASSES))
        with mg.no_grad():
            self.rnn.weight_hh_l0.copy_(scaled_orthogonal(hidden, radius).float())
            nn.init.normal_(self.rnn.weight_ih_l0, 0.0, input_std)
            self.rnn.bias_ih_l0.zero_()
            self.rnn.bias_hh_l0.zero_()

    def forward(self, x):
        _, h_n = self.rnn(x)
        return self.head(h_n[0])


def error_rate(model, batch):
    """Fraction of ``batch`` classified wrongly."""
    with mg.no_grad():
        wrong = model(batch.x).argmax(dim=1) != batch.labels
    return float(wrong.float().mean())


@dataclasses.dataclass
class Run:
    """One training run: its settings, outcome and per-step gradient norms before clipping
    (``grad_norms``) and as used by the step (``step_norms``)."""

    length: int
    seed: int
    max_norm: float
    steps: int
    error: float
    grad_norms: list
    step_norms: list

    @property
    def success(self):
        return self.error < SUCCESS

    def row(self, threshold=MAX_NORM):
        """Formatted cells for the results table."""
        norms = self.grad_norms
        above = sum(n > threshold for n in norms) / len(norms)
        return [self.length, self.seed, "off" if self.max_norm is None else f"{self.max_norm:g}",
                "yes" if self.success else "no", f"{100 * self.error:.1f}", self.steps,
                f"{sum(norms) / len(norms):.2f}", f"{max(norms):.3g}", f"{100 * above:.0f}"]


TABLE_HEADERS = ["T", "seed", "clip", "solved", "test err %", "steps", "mean norm", "max norm",
                 f"norm>{MAX_NORM:g} %"]


def train(length, seed, max_norm=None, steps=3000, test_size=TEST_SIZE):
    """SGD (lr 0.01, batches of 20) until the held-out error is below 1% or ``steps`` run out.

    The held-out set is only checked when the last ``CHECK_EVERY`` training batches were
    almost all right, since a full check costs as much as many steps. The seed fixes the
    held-out set, the initial weights and the training batches, so a run with and without
    clipping sees the same data.
    """
    if steps < 1:
        raise ValueError(f"temporal order: steps must be at least 1, got {steps}")
    mg.manual_seed(seed)
    test = make_batch(length, test_size)
    model = OrderClassifier()
    parameters = list(model.parameters())
    optimizer = mg.optim.SGD(parameters, lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    grad_norms, step_norms, recent_wrong = [], [], 0
    for step in range(1, steps + 1):
        batch = make_batch(length, BATCH)
        logits = model(batch.x)
        recent_wrong += int((logits.argmax(dim=1) != batch.labels).sum())
        raw, used = gradient_step(loss_fn(logits, batch.labels), parameters, optimizer,
                                  max_norm)
        grad_norms.append(raw)
        step_norms.append(used)
        if step % CHECK_EVERY and step < steps:
            continue
        nearly_right = recent_wrong <= SUCCESS * CHECK_EVERY * BATCH
        recent_wrong = 0
        if nearly_right or step == steps:
            error = error_rate(model, test)
            if error < SUCCESS:
                break
    return Run(length, seed, max_norm, step, error, grad_norms, step_norms)


def _train(config):
    return train(**config)


def run_all(lengths=(20, 50), seeds=(0, 1), steps=3000, max_norm=MAX_NORM, workers=1):
    """Every (length, seed) without and with clipping; ``workers`` processes share them."""
    configs = [dict(length=n, seed=s, max_norm=m, steps=steps)
               for n in lengths for s in seeds for m in (None, max_norm)]
    if workers <= 1:
        return [train(**c) for c in configs]
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_train, configs))


def summary(runs):
    """How many runs solved the task, without and with clipping."""
    parts = []
    for name, clipped in (("without clipping", False), ("with clipping", True)):
        group = [r for r in runs if (r.max_norm is not None) == clipped]
        if group:
            mean_error = 100 * sum(r.error for r in group) / len(group)
            parts.append(f"{sum(r.success for r in group)} of {len(group)} {name} "
                         f"(mean test error {mean_error:.1f}%)")
    return "solved: " + "; ".join(parts)


def plot_grad_norms(runs, length, path):
    """Gradient norm per step (log scale) for one length, without and with clipping."""
    plt = pyplot()
    plain = [r for r in runs if r.length == length and r.max_norm is None]
    clipped = [r for r in runs if r.length == length and r.max_norm is not None]
    figure, panels = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for panel, group in zip(panels, (plain, clipped)):
        for run in group:
            panel.plot(run.grad_norms, lw=0.6, label=f"seed {run.seed}")
        panel.set(yscale="log", xlabel="step", title=f"T = {length}, no clipping")
    if clipped:
        threshold = clipped[0].max_norm
        panels[1].axhline(threshold, color="tab:red", ls="--", label="clipping threshold")
        panels[1].set_title(f"T = {length}, clipped at {threshold:g} (norm before clipping)")
    for panel in panels:
        panel.legend()
    panels[0].set_ylabel("gradient norm")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv=None):
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--lengths", type=int, nargs="+", default=[20, 50])
    args.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args.add_argument("--steps", type=int, default=3000, help="most steps per run")
    args.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                      help="processes to train in")
    args = args.parse_args(argv)
    started = time.perf_counter()
    runs = run_all(args.lengths, args.seeds, args.steps, workers=args.workers)
    print(f"temporal order: tanh RNN ({HIDDEN} units), SGD lr {LR}, batch {BATCH}; solved = "
          f"under {100 * SUCCESS:g}% errors on {TEST_SIZE} held-out sequences")
    print(format_table(TABLE_HEADERS, [r.row() for r in runs]))
    print(f"(norm>{MAX_NORM:g} %: steps whose gradient norm exceeded {MAX_NORM:g} before "
          "clipping; in clipped runs, the steps clipping acted on)")
    print(summary(runs))
    path = output_file(args.output, "temporal_order_grad_norms.png")
    plot_grad_norms(runs, max(args.lengths), path)
    print(f"plot: {path}")
    print(f"finished in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
