"""``ActivationStats``: what each layer's outputs look like as training goes on: mean and
spread (internal covariate shift), saturated sigmoid/tanh units and dead ReLUs (vanishing
gradients)."""

from minigrad.autograd.grad_mode import no_grad
from minigrad.diagnostics.plotting import axes
from minigrad.nn.layers import activation, normalization
from minigrad.nn.layers.linear import Linear

WATCHED = (Linear, activation.ReLU, activation.LeakyReLU, activation.ELU, activation.GELU,
           activation.Sigmoid, activation.Tanh, normalization.BatchNorm1d,
           normalization.LayerNorm)
_RELUS = (activation.ReLU, activation.LeakyReLU, activation.ELU, activation.GELU)
SATURATION = 0.98  # a tanh beyond +-0.98, or a sigmoid within 0.01 of 0 or 1, is saturated


class ActivationStats:
    """Forward hooks on the layers of ``model`` (those of ``types``) recording, per forward
    pass in training mode: ``mean``, ``std``, ``saturated`` (fraction of sigmoid/tanh
    outputs near their limits) and ``dead`` (fraction of ReLU-like units that are zero for
    the whole batch); with ``keep_values``, a sample of ``sample_size`` output values too
    (for histograms). ``history[layer_name][statistic]`` is a list, one entry per pass.
    """

    def __init__(self, model, types=WATCHED, keep_values=False, sample_size=500):
        self.keep_values, self.sample_size = keep_values, sample_size
        self.history, self._handles = {}, []
        for name, module in model.named_modules():
            if name and isinstance(module, types):
                label = f"{name} ({type(module).__name__})"
                self.history[label] = {"mean": [], "std": [], "saturated": [], "dead": [],
                                       "values": []}
                self._handles.append(module.register_forward_hook(self._recorder(label)))

    def _recorder(self, label):
        def hook(module, inputs, output):
            if module.training:
                self._record(self.history[label], module, output)
        return hook

    def _record(self, stats, module, output):
        with no_grad():
            y = output.detach()
            stats["mean"].append(y.mean().item())
            stats["std"].append(y.var(correction=0).sqrt().item() if y.numel() else 0.0)
            if isinstance(module, activation.Tanh):
                saturated = (y.abs() > SATURATION).float().mean().item()
            elif isinstance(module, activation.Sigmoid):
                saturated = ((y - 0.5).abs() > SATURATION / 2).float().mean().item()
            else:
                saturated = 0.0
            stats["saturated"].append(saturated)
            dead = 0.0
            if isinstance(module, _RELUS) and y.ndim >= 2:
                dead = ((y > 0).sum(dim=0) == 0).float().mean().item()
            stats["dead"].append(dead)
            if self.keep_values:
                flat = y.reshape(-1)
                step = max(1, flat.numel() // self.sample_size)
                stats["values"].append(flat[::step].numpy().tolist())

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
