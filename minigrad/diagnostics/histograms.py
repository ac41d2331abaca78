"""``LayerHistograms``: the distribution of every watched layer's output, and of the gradient
flowing back into it, on the latest pass (the pictures of Karpathy's makemore, part 3).

A healthy deep network keeps both distributions about as wide in the last layer as in the
first: histograms that narrow layer by layer mean a signal (or gradient) that vanishes,
widening ones a signal that explodes, and a tanh histogram with horns at -1 and +1 means
saturated units that pass almost no gradient.
"""

from minigrad.backends import get_backend
from minigrad.diagnostics.activations import WATCHED, watched_layers
from minigrad.diagnostics.plotting import axes, depth_colors
from minigrad.nn.layers import activation

KINDS = ("activations", "gradients")
SATURATION = 0.97  # makemore's threshold: |tanh| > 0.97 (for a sigmoid, |2s - 1| > 0.97)
_np = get_backend("numpy").xp  # NOTE: the histograms are drawn on the host, whatever the backend


def _checked_kind(kind, where):
    if kind not in KINDS:
        raise ValueError(f"LayerHistograms.{where}: kind must be 'activations' or 'gradients', "
                         f"got {kind!r}")
    return kind


def saturated_fraction(module, values):
    """The fraction of a bounded activation's ``values`` near its limits, or None for a layer
    whose output is unbounded (a linear layer, a ReLU)."""
    if isinstance(module, activation.Tanh):
        return float((_np.abs(values) > SATURATION).mean())
    if isinstance(module, activation.Sigmoid):
        return float((_np.abs(2 * values - 1) > SATURATION).mean())
    return None


class LayerHistograms:
    """Forward hooks on the layers of ``model`` (those of ``types``) that keep, for the latest
    forward pass in training mode, every output value, and after backward the gradient of the
    loss with respect to that output.

    ``history["activations"][label]`` and ``history["gradients"][label]`` are NumPy arrays
    (label ``"3 (Tanh)"``: the module's name and type). A new forward pass replaces both: a
    gradient is always that of the activations shown beside it. A module called twice in one
    pass keeps its last call.

    >>> hist = mg.diagnostics.LayerHistograms(model, types=(nn.Tanh,))
    >>> loss = F.cross_entropy(model(x), y); loss.backward()
    >>> hist.plot("activations"); hist.plot("gradients"); hist.summary("activations")
    """

    def __init__(self, model, types=WATCHED):
        self.history = {kind: {} for kind in KINDS}
        self._modules, self._handles = {}, []
        for label, module in watched_layers(model, types):
            self._modules[label] = module
            self._handles.append(module.register_forward_hook(self._recorder(label)))
        if not self._modules:
            raise ValueError(f"LayerHistograms: the model has no layers of the watched types "
                             f"{[t.__name__ for t in types]}")

    def _recorder(self, label):
        def hook(module, inputs, output):
            if not module.training:
                return
            to_host = output._backend.to_numpy
            self.history["activations"][label] = _np.array(to_host(output.data), copy=True)
            self.history["gradients"].pop(label, None)  # NOTE: the old one belongs to the last pass
            if output.requires_grad:
                output.register_hook(self._gradient_keeper(label))
        return hook

    def _gradient_keeper(self, label):
        def keep(grad):
            self.history["gradients"][label] = _np.array(grad._backend.to_numpy(grad.data),
                                                         copy=True)
        return keep

    def remove(self):
        """Detach from the model: later passes are not recorded."""
        for handle in self._handles:
            handle.remove()

    def _recorded(self, kind, where):
        """The recorded arrays of ``kind``, in the model's layer order (backward fills the
        gradients from the output side)."""
        values = self.history[_checked_kind(kind, where)]
        if not values:
            hint = "a forward pass" if kind == "activations" else "a forward and a backward pass"
            raise RuntimeError(f"LayerHistograms.{where}: no {kind} recorded yet; run {hint} "
                               "in training mode first")
        return {label: values[label] for label in self._modules if label in values}

    def _labels(self, layers, recorded):
        names = list(self._modules)
        labels = [names[item] if isinstance(item, int) and -len(names) <= item < len(names)
                  else item for item in layers]
        unknown = [label for label in labels if label not in recorded]
        if unknown:
            raise ValueError(f"LayerHistograms.plot: no recorded layers {unknown}; "
                             f"recorded: {list(recorded)}")
        return labels

    def summary(self, kind="activations"):
        """One row per layer: ``layer``, ``mean``, ``std`` and, for tanh and sigmoid outputs,
        ``saturated`` (the fraction beyond 0.97 of their range; None elsewhere)."""
        rows = []
        for label, values in self._recorded(kind, "summary").items():
            saturated = None
            if kind == "activations":
                saturated = saturated_fraction(self._modules[label], values)
            rows.append({"layer": label, "mean": float(values.mean()), "std": float(values.std()),
                         "saturated": saturated})
        return rows

    def plot(self, kind="activations", ax=None, bins=60, layers=None):
        """One line per layer: the density of its outputs (or of their gradients), on bins
        shared by all layers so the widths compare. ``layers`` picks some: labels, or
        positions among the watched layers (0 = nearest the input)."""
        recorded = self._recorded(kind, "plot")
        if layers is not None:
            recorded = {label: recorded[label] for label in self._labels(layers, recorded)}
        ax = axes(ax)
        depth_colors(ax, len(recorded))
        finite = [v[_np.isfinite(v)] for v in recorded.values()]
        low = min((float(v.min()) for v in finite if v.size), default=-1.0)
        high = max((float(v.max()) for v in finite if v.size), default=1.0)
        edges = _np.linspace(low, high, bins + 1) if high > low else bins
        for (label, values), kept in zip(recorded.items(), finite):
            density, used = _np.histogram(kept, bins=edges, density=True)
            ax.plot((used[:-1] + used[1:]) / 2, density, lw=1,
                    label=f"{label}: std {values.std():.2g}")
        what = "activation value" if kind == "activations" else "gradient of the loss w.r.t. output"
        ax.set(xlabel=what, ylabel="density", title=f"{kind} per layer")
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return ax
