"""Exploding and vanishing gradients (Pascanu, Mikolov and Bengio, 2013), two ways:

(a) how the gradient of a loss at the last step with respect to the first hidden state
    scales with the sequence length, for a tanh RNN whose recurrent matrix has spectral
    radius below or above 1: it shrinks (vanishes) or grows (explodes) geometrically, until
    the growing state saturates tanh;
(b) the cliff (``cliff.py``): where the gradient explodes, a plain descent step is thrown
    far away, and clipping the gradient norm keeps it on course.

    python -m minigrad.experiments.exploding [--output DIR] [--seed N]

prints a table for each part and writes ``gradient_norms.png`` and ``cliff.png``.
"""

import time

import minigrad as mg
from minigrad.experiments import cliff
from minigrad.experiments.common import format_table, output_file, parser, pyplot, scaled_orthogonal
from minigrad.nn.utils import get_total_norm

RADII = (0.8, 0.95, 1.05, 1.2)
LENGTHS = (5, 10, 20, 40, 80, 160)
H0_SCALE = 1e-3   # small enough that tanh starts in its linear regime


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
