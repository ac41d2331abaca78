"""``GradientNorms``: per-parameter and per-layer gradient norms at every optimizer step, and
the total norm ``clip_grad_norm_`` saw before it clipped."""

import math

from minigrad.autograd.grad_mode import no_grad
from minigrad.diagnostics.plotting import axes
from minigrad.nn.utils import clip_grad
from minigrad.nn.utils.clip_grad import get_total_norm


def _layer_of(name):
    return name.rsplit(".", 1)[0] if "." in name else name


class GradientNorms:
    """Record gradient norms of ``model``'s parameters at each ``optimizer.step()``.

    ``history["params"][name]`` and ``history["layers"][layer]`` hold the norms the
    optimizer applied (after any clipping); ``history["total"]`` their total; when
    ``clip_grad_norm_`` runs, ``history["total_before_clip"]`` and ``history["clipped"]``
    record what it saw and whether it scaled. Without an optimizer, call ``record()``
    after each backward yourself.

    >>> norms = mg.diagnostics.GradientNorms(model, optimizer)   # then train as usual
    >>> norms.plot()
    """

    def __init__(self, model, optimizer=None, norm_type=2.0):
        self.norm_type = norm_type
        self.names = {id(p): name for name, p in model.named_parameters()}
        self.history = {"total": [], "total_before_clip": [], "clipped": [], "max_norm": [],
                        "params": {name: [] for name in self.names.values()},
                        "layers": {}}
        for name in self.names.values():
            self.history["layers"].setdefault(_layer_of(name), [])
        self._params = list(model.parameters())
        self._handle = optimizer.register_step_pre_hook(self._on_step) if optimizer else None
        clip_grad.observers.append(self._on_clip)

    def _on_clip(self, parameters, max_norm, total_norm):
        if not any(id(p) in self.names for p in parameters):
            return
        total = float(total_norm)
        self.history["total_before_clip"].append(total)
        self.history["max_norm"].append(max_norm)
        self.history["clipped"].append(not max_norm / (total + 1e-6) >= 1.0)

    def _on_step(self, optimizer, args, kwargs):
        self.record()

    def record(self):
        """Record the current gradients' norms (a step of the history)."""
        with no_grad():
            norms = {name: (float(get_total_norm(p.grad, self.norm_type))
                            if p.grad is not None else math.nan)
                     for p, name in ((p, self.names[id(p)]) for p in self._params)}
        for name, value in norms.items():
            self.history["params"][name].append(value)
        for layer in self.history["layers"]:
            members = [v for n, v in norms.items() if _layer_of(n) == layer]
            self.history["layers"][layer].append(self._combine(members))
        self.history["total"].append(self._combine(list(norms.values())))

    def _combine(self, norms):
        present = [n for n in norms if not math.isnan(n)]
        if self.norm_type == math.inf:
            return max(present, default=0.0)
        return sum(n ** self.norm_type for n in present) ** (1.0 / self.norm_type)

    @property
    def clip_fraction(self):
        """Fraction of recorded clip calls that scaled the gradients."""
        clipped = self.history["clipped"]
        return sum(clipped) / len(clipped) if clipped else 0.0

    def remove(self):
        """Stop recording (detach from the optimizer and from clipping)."""
        if self._handle is not None:
            self._handle.remove()
        if self._on_clip in clip_grad.observers:
            clip_grad.observers.remove(self._on_clip)

    def plot(self, ax=None, per="layers"):
        """Norms per step on a log scale: one line per layer (or ``per="params"``), the
        total before clipping and the clipping threshold when clipping was used."""
        ax = axes(ax)
        for name, values in self.history[per].items():
            ax.plot(values, lw=0.9, label=name)
        if self.history["total_before_clip"]:
            ax.plot(self.history["total_before_clip"], color="black", lw=1.2,
                    label="total, before clipping")
            ax.axhline(self.history["max_norm"][-1], color="red", ls="--", label="max_norm")
        ax.set(yscale="log", xlabel="step", ylabel="gradient norm")
        ax.legend(fontsize="small")
        return ax
