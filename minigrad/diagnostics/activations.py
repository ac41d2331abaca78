"""``ActivationStats``: what each layer's outputs look like as training goes on: mean and
spread (internal covariate shift), saturated sigmoid/tanh units and dead ReLUs (vanishing
gradients)."""

from minigrad.backends import get_backend
from minigrad.diagnostics.plotting import axes
from minigrad.nn.layers import activation, normalization
from minigrad.nn.layers.convolution import Conv1d, Conv2d
from minigrad.nn.layers.linear import Linear

WATCHED = (Linear, Conv1d, Conv2d, activation.ReLU, activation.LeakyReLU, activation.ELU,
           activation.GELU, activation.Sigmoid, activation.Tanh, normalization.BatchNorm1d,
           normalization.BatchNorm2d, normalization.LayerNorm)
_RELUS = (activation.ReLU, activation.LeakyReLU, activation.ELU, activation.GELU)
SATURATION = 0.98  # a tanh beyond +-0.98, or a sigmoid within 0.01 of 0 or 1, is saturated


def watched_layers(model, types=WATCHED):
    """(label, module) for each submodule of ``types``, in model order; the label is the
    module's name with its class, "0 (Linear)", as the recorders' histories are keyed."""
    for name, module in model.named_modules():
        if name and isinstance(module, types):
            yield f"{name} ({type(module).__name__})", module


class ActivationStats:
    """Forward hooks on the layers of ``model`` (those of ``types``) recording, per forward
    pass in training mode: ``mean``, ``std``, ``saturated`` (fraction of sigmoid/tanh
    outputs near their limits) and ``dead`` (fraction of ReLU-like units that are zero for
    the whole batch; for LeakyReLU, ELU and GELU that means only negative outputs, through
    which a small gradient still flows); with ``keep_values``, a random sample of
    ``sample_size`` output values too (for histograms). ``history[layer_name][statistic]``
    is a list, one entry per pass.
    """

    def __init__(self, model, types=WATCHED, keep_values=False, sample_size=500, seed=0):
        self.keep_values, self.sample_size = keep_values, sample_size
        self._rng = get_backend("numpy").new_generator(seed)
        self.history, self._handles = {}, []
        for label, module in watched_layers(model, types):
            self.history[label] = {"mean": [], "std": [], "saturated": [], "dead": [],
                                   "values": []}
            self._handles.append(module.register_forward_hook(self._recorder(label)))

    def _recorder(self, label):
        def hook(module, inputs, output):
            if module.training:
                self._record(self.history[label], module, output)
        return hook

    def _record(self, stats, module, output):
        # NOTE: on the raw arrays, not tensors: a recorder should cost little per forward
        xp, y = output._backend.xp, output.data
        stats["mean"].append(float(y.mean()) if y.size else 0.0)
        stats["std"].append(float(y.std()) if y.size else 0.0)
        saturated = 0.0
        if isinstance(module, activation.Tanh):
            saturated = float((xp.abs(y) > SATURATION).mean())
        elif isinstance(module, activation.Sigmoid):
            saturated = float((xp.abs(y - 0.5) > SATURATION / 2).mean())
        stats["saturated"].append(saturated)
        dead = 0.0
        if isinstance(module, _RELUS) and y.ndim >= 2:
            dead = float(((y > 0).sum(axis=0) == 0).mean())
        stats["dead"].append(dead)
        if self.keep_values:
            flat = y.reshape(-1)
            count = min(self.sample_size, flat.size)
            # a random sample (from a private generator: training's own draws stay as they
            # are), not a stride, which could keep the same few units every time
            picks = self._rng.choice(flat.size, size=count, replace=False)
            stats["values"].append(output._backend.to_numpy(flat[picks]).tolist())

    def remove(self):
        for handle in self._handles:
            handle.remove()

    def plot(self, statistic="std", ax=None):
        """One line per layer: ``statistic`` ("mean", "std", "saturated", "dead") per pass."""
        ax = axes(ax)
        for label, stats in self.history.items():
            ax.plot(stats[statistic], lw=1, label=label)
        ax.set(xlabel="forward pass (training)", ylabel=statistic)
        ax.legend(fontsize="small")
        return ax
