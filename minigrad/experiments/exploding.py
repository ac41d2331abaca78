"""Exploding and vanishing gradients (Pascanu, Mikolov and Bengio, 2013), three ways:

(a) how the gradient of a loss at the last step with respect to the first hidden state
    scales with the sequence length, for a tanh RNN whose recurrent matrix has spectral
    radius below or above 1: it shrinks (vanishes) or grows (explodes) geometrically, until
    the growing state saturates tanh;
(b) the cliff (``cliff.py``): where the gradient explodes, a plain descent step is thrown
    far away, and clipping the gradient norm keeps it on course;
(c) ``RememberFirst`` and ``train_remember_first``, the set-up of notebook 02: a tanh RNN
    with spectral radius 1.5 that must output the first of 40 numbers, trained by SGD at a
    learning rate too large for its gradients, so that without clipping it explodes in
    practically every seed.

    python -m minigrad.experiments.exploding [--output DIR] [--seed N]

prints a table for parts (a) and (b) and writes ``gradient_norms.png`` and ``cliff.png``;
notebook 02 runs part (c) over several seeds.
"""

import dataclasses
import math
import time
import warnings

import minigrad as mg
from minigrad.experiments import cliff
from minigrad.experiments.common import (
    format_table,
    gradient_step,
    output_file,
    parser,
    pyplot,
    scaled_orthogonal,
)
from minigrad.nn.utils import get_total_norm

RADII = (0.8, 0.95, 1.05, 1.2)
LENGTHS = (5, 10, 20, 40, 80, 160)
H0_SCALE = 1e-3   # small enough that tanh starts in its linear regime
EXPLODE_FACTOR = 1000   # a run explodes when its gradient norm passes 1000 x its first one
FINAL_WINDOW = 20       # the final loss of a run is the mean over its last 20 steps


def _unit(v):
    return v / float((v * v).sum()) ** 0.5


def _h0_gradient_norm(rnn, start, projection, length):
    """||dL/dh_0|| for L = projection . h_T after ``length`` steps of zero input."""
    h0 = start.reshape(1, 1, -1).detach().requires_grad_()
    _, h_n = rnn(mg.zeros(length, 1, 1, dtype=mg.float64), h0)
    (h_n.reshape(-1) * projection).sum().backward()
    return float(get_total_norm([h0.grad]))


def gradient_norms(radii=RADII, lengths=LENGTHS, hidden=50, seed=0):
    """||dL/dh_0|| for each spectral radius and sequence length: ``{radius: [norm, ...]}``.

    Every radius uses the same orthogonal direction of the recurrent matrix, initial state
    and projection, so only the scale differs. While tanh stays linear the norm is exactly
    radius ** length, since an orthogonal matrix times the radius stretches every vector
    by the radius.
    """
    mg.manual_seed(seed)
    direction = scaled_orthogonal(hidden, 1.0)
    start = H0_SCALE * _unit(mg.randn(hidden, dtype=mg.float64))
    projection = _unit(mg.randn(hidden, dtype=mg.float64))
    norms = {}
    for radius in radii:
        rnn = mg.nn.RNN(1, hidden, bias=False, dtype=mg.float64)
        with mg.no_grad():
            rnn.weight_hh_l0.copy_(direction * radius)
        norms[radius] = [_h0_gradient_norm(rnn, start, projection, n) for n in lengths]
    return norms


def gradient_norm_rows(norms, lengths=LENGTHS):
    """Table rows: the length, then the norm for each radius."""
    return [[length] + [f"{norms[r][i]:.2e}" for r in norms] for i, length in
            enumerate(lengths)]


def plot_gradient_norms(norms, lengths, path):
    """Norm against length on a log scale, with the linear-regime line radius ** length."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 5))
    for radius, values in norms.items():
        line, = axes.plot(lengths, values, "o-", label=f"spectral radius {radius:g}")
        axes.plot(lengths, [radius ** n for n in lengths], "--", color=line.get_color(),
                  lw=0.8)
    axes.set(yscale="log", xlabel="sequence length T", ylabel="||dL/dh_0||",
             title="tanh RNN, 50 units: gradient w.r.t. the first state\n"
                   "(dashed: radius^T, the linear regime)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


class RememberFirst(mg.nn.Module):
    """Read a sequence, one number per step, and output the first number at the end: a tanh
    ``RNN(1, hidden)`` whose recurrent matrix is a random orthogonal matrix times ``radius``,
    read out by ``Linear(hidden, 1)`` on the last hidden state. Input (time, batch, 1)."""

    def __init__(self, hidden=32, radius=1.5):
        super().__init__()
        self.rnn = mg.nn.RNN(1, hidden)
        self.head = mg.nn.Linear(hidden, 1)
        with mg.no_grad():
            self.rnn.weight_hh_l0.copy_(scaled_orthogonal(hidden, radius).float())

    def forward(self, x):
        _, h_n = self.rnn(x)
        return self.head(h_n[0])


@dataclasses.dataclass
class Run:
    """One training run: the loss and the gradient norm (before any clipping) of each step,
    up to and including the first step where either was not finite."""

    losses: list
    grad_norms: list

    @property
    def finite(self):
        return all(math.isfinite(v) for v in self.losses + self.grad_norms)

    @property
    def growth(self):
        """The largest gradient norm over the first one; inf for a run that went non-finite."""
        return max(self.grad_norms) / self.grad_norms[0] if self.finite else math.inf

    @property
    def exploded_at(self):
        """The first step whose loss or norm is not finite or whose norm passes
        ``EXPLODE_FACTOR`` times the first step's; None if the run never exploded."""
        limit = EXPLODE_FACTOR * self.grad_norms[0]
        for step, (loss, norm) in enumerate(zip(self.losses, self.grad_norms)):
            if not (math.isfinite(loss) and math.isfinite(norm) and norm <= limit):
                return step
        return None

    @property
    def exploded(self):
        return self.exploded_at is not None

    @property
    def final_loss(self):
        """Mean loss of the last ``FINAL_WINDOW`` steps; inf for a run that went non-finite."""
        if not self.finite:
            return math.inf
        tail = self.losses[-FINAL_WINDOW:]
        return sum(tail) / len(tail)


def train_remember_first(seed=0, max_norm=None, steps=100, lr=0.1, length=40, batch=32,
                         hidden=32, radius=1.5, step=None):
    """Train ``RememberFirst`` with plain SGD on fresh random batches (inputs N(0, 1), target
    the first input, MSE loss), clipping the gradient norm to ``max_norm`` (None: never).

    ``step(loss, parameters, optimizer)`` replaces the backward-clip-step of each iteration
    (it returns the gradient norm before its clipping), so other clipping rules can be tried.
    The same seed gives the same initial weights and batches. The run stops at the first
    non-finite loss or gradient norm: nothing after it can be trained.
    """
    if step is None:
        def step(loss, parameters, optimizer):
            return gradient_step(loss, parameters, optimizer, max_norm)[0]
    mg.manual_seed(seed)
    model = RememberFirst(hidden, radius)
    parameters = list(model.parameters())
    optimizer = mg.optim.SGD(parameters, lr=lr)
    run = Run([], [])
    with warnings.catch_warnings():
        # NOTE: an exploding run overflows float32 before it is stopped; that is the point
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(steps):
            x = mg.randn(length, batch, 1)
            loss = mg.nn.functional.mse_loss(model(x), x[0])
            run.grad_norms.append(float(step(loss, parameters, optimizer)))
            run.losses.append(loss.item())
            if not run.finite:
                break
    return run


def main(argv=None):
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--seed", type=int, default=0, help="seed of part (a)'s random draws")
    args = args.parse_args(argv)
    started = time.perf_counter()

    norms = gradient_norms(RADII, LENGTHS, seed=args.seed)
    print("(a) ||dL/dh_0|| of a 50-unit tanh RNN by sequence length T and spectral radius")
    print(format_table(["T"] + [f"radius {r:g}" for r in norms],
                       gradient_norm_rows(norms, LENGTHS)))
    print(f"(while tanh is linear the norm is exactly radius^T; the state starts at norm "
          f"{H0_SCALE:g},\n so tanh saturates once radius^T nears {1 / H0_SCALE:g})")
    path = output_file(args.output, "gradient_norms.png")
    plot_gradient_norms(norms, LENGTHS, path)
    print(f"plot: {path}\n")

    runs = cliff.compare(steps=cliff.STEPS)
    print(f"(b) the cliff: gradient descent from (w, b) = {cliff.START}, lr {cliff.LR}")
    print(format_table(cliff.TABLE_HEADERS, cliff.table_rows(runs)))
    path = output_file(args.output, "cliff.png")
    cliff.plot(cliff.loss_surface(), runs, path)
    print(f"plot: {path}")
    print(f"finished in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
