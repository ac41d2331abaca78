"""The cliff of Pascanu, Mikolov and Bengio (2013, figure 6): the loss of a one-unit RNN run
for 50 steps has a wall where a small change of the weights flips which fixed point the state
settles in. Gradient descent that reaches the wall gets a huge gradient and is thrown far
away; clipping the gradient norm caps the step, so the run keeps descending.

The network is h_t = w * sigmoid(h_{t-1}) + b with h_0 = 0.5, the loss (h_50 - 0.7)^2.
For w above about 4 the map has two stable fixed points; the wall is where h_0 sits on the
boundary between their basins, and the longer the sequence, the steeper the wall.
"""

import dataclasses
import math

import minigrad as mg
from minigrad.experiments.common import gradient_step, pyplot

H0, TARGET, LENGTH = 0.5, 0.7, 50
START = (8.75, -1.5)     # on the gentle side of the wall, with the descent heading into it
LR = 0.1
MAX_NORM = 1.0
STEPS = 200
WINDOW = ((-8.0, 12.0), (-8.0, 8.0))   # (w range, b range) of the plotted surface


def cliff_loss(w, b, steps=LENGTH, h0=H0, target=TARGET):
    """(h_steps - target)^2 of h_t = w * sigmoid(h_{t-1}) + b, elementwise: tensors of w and b
    that broadcast together give the loss at every pair."""
    h = mg.tensor(h0, dtype=w.dtype)
    for _ in range(steps):
        h = w * h.sigmoid() + b
    return (h - target) ** 2


def _points(low, high, count):
    return low + (high - low) * mg.arange(count, dtype=mg.float64) / (count - 1)


def loss_surface(window=WINDOW, points=(201, 161)):
    """The loss on a grid over ``window`` = ((w_low, w_high), (b_low, b_high)).

    Returns (w values, b values, losses[b index][w index]) as Python lists.
    """
    (w_low, w_high), (b_low, b_high) = window
    w = _points(w_low, w_high, points[0])
    b = _points(b_low, b_high, points[1])
    with mg.no_grad():
        losses = cliff_loss(w.unsqueeze(0), b.unsqueeze(1))
    return w.tolist(), b.tolist(), losses.tolist()


@dataclasses.dataclass
class Descent:
    """One gradient-descent run: the (w, b) after each step (the start first), the loss at
    each of those points, and the clipping threshold (None: no clipping)."""

    path: list
    losses: list
    max_norm: float = None

    @property
    def jumps(self):
        """How far the parameters moved at each step."""
        return [math.dist(a, b) for a, b in zip(self.path, self.path[1:])]

    @property
    def label(self):
        return "no clipping" if self.max_norm is None else f"clipped at {self.max_norm:g}"


def descend(start=START, lr=LR, steps=STEPS, max_norm=None):
    """Plain gradient descent (SGD, no momentum) on the cliff loss from ``start``."""
    w = mg.tensor([start[0]], dtype=mg.float64, requires_grad=True)
    b = mg.tensor([start[1]], dtype=mg.float64, requires_grad=True)
    optimizer = mg.optim.SGD([w, b], lr=lr)
    path, losses = [tuple(start)], []
    for _ in range(steps):
        loss = cliff_loss(w, b).sum()
        losses.append(loss.item())
        gradient_step(loss, [w, b], optimizer, max_norm)
        path.append((w.item(), b.item()))
    with mg.no_grad():
        losses.append(cliff_loss(w, b).sum().item())
    return Descent(path, losses, max_norm)


def compare(start=START, lr=LR, steps=STEPS, max_norm=MAX_NORM):
    """The same descent without and with clipping."""
    return [descend(start, lr, steps, None), descend(start, lr, steps, max_norm)]


def table_rows(runs):
    """Per run: label, steps, final loss, largest jump and its step, where the run ended."""
    rows = []
    for run in runs:
        jumps = run.jumps
        worst = max(range(len(jumps)), key=jumps.__getitem__)
        w, b = run.path[-1]
        rows.append([run.label, len(jumps), f"{run.losses[-1]:.3g}", f"{jumps[worst]:.3g}",
                     worst + 1, f"({w:.2f}, {b:.2f})"])
    return rows


TABLE_HEADERS = ["run", "steps", "final loss", "largest jump", "at step", "ends at (w, b)"]


def wall(w_values, h0=H0):
    """Points (w, b) of the cliff: b = h0 - w sigmoid(h0) puts a fixed point at h0, and it
    repels (so h_0 sits on a basin boundary) once w sigmoid'(h0) > 1."""
    s = 1 / (1 + math.exp(-h0))
    return [(w, h0 - w * s) for w in w_values if w * s * (1 - s) > 1]


def _mark_escape(axes, run, window):
    """Point out where a run leaves the plotted window, since the line just runs off it."""
    (w_low, w_high), (b_low, b_high) = window
    for before, after in zip(run.path, run.path[1:]):
        if not (w_low <= after[0] <= w_high and b_low <= after[1] <= b_high):
            axes.annotate(f"thrown to ({after[0]:.0f}, {after[1]:.0f})", xy=before,
                          xytext=(before[0] - 6, before[1] + 3), color="white",
                          arrowprops={"arrowstyle": "->", "color": "white"})
            return


def plot(surface, runs, path, window=WINDOW):
    """The loss surface (log scale) with both descents on it, and their loss per step."""
    plt = pyplot()
    w, b, losses = surface
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    # NOTE: floored at 1e-4 so the zero-loss valley does not take up the whole colour scale
    log_losses = [[math.log10(max(v, 1e-4)) for v in row] for row in losses]
    shade = left.contourf(w, b, log_losses, levels=40, cmap="viridis")
    figure.colorbar(shade, ax=left, label="log10 loss")
    for run, color in zip(runs, ("tab:red", "white")):
        left.plot(*zip(*run.path), ".-", color=color, lw=1, ms=3, label=run.label)
        right.plot(run.losses, color="tab:red" if run.max_norm is None else "black",
                   label=run.label)
        _mark_escape(left, run, window)
    left.plot(*zip(*wall(w)), "k--", lw=1, label="the cliff")
    left.plot(*runs[0].path[0], "o", color="orange", ms=8, label="start")
    left.set(xlim=window[0], ylim=window[1], xlabel="w", ylabel="b",
             title="h_t = w sigmoid(h_{t-1}) + b, loss (h_50 - 0.7)^2")
    left.legend(loc="lower left")
    right.set(yscale="log", xlabel="step", ylabel="loss", title="loss per step")
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
