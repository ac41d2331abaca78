"""How big a step is compared with what it changes (after Karpathy's makemore, part 3).

``GradientDataRatios``: per parameter, std(grad) / std(data): a gradient thousands of times
smaller than its weights (or as large as them) shows before training which layers will learn
too slowly or too fast. ``UpdateRatios``: per optimizer step and parameter,
log10(std(update) / std(data)), where the update is what the step changed; about -3 (an
update a thousandth of the weights) is the rule of thumb for a good learning rate.
"""

import math

from minigrad.autograd.grad_mode import no_grad
from minigrad.diagnostics.plotting import axes, depth_colors

GUIDE = -3.0  # log10 of the ~1e-3 update-to-data ratio that usually trains well


def _std(array):
    """The (biased) standard deviation of an array's elements, as ``array.std()``.

    NOTE: a centred dot product: NumPy's ``std`` spends most of its time in Python-level
    dispatch on arrays this small, and the recorders call this for every parameter at
    every step."""
    flat = array.reshape(-1)
    if flat.size == 0:
        return 0.0
    centred = flat - flat.sum() / flat.size
    return math.sqrt(float(centred @ centred) / flat.size)


def _std_ratio(numerator, denominator):
    """std(numerator) / std(denominator) (arrays), NaN when the denominator's spread is 0
    (a bias that is still all zeros, a one-element parameter)."""
    spread = _std(denominator)
    return _std(numerator) / spread if spread > 0 else math.nan


def _log10(ratio):
    """log10 of a ratio that may be NaN (kept) or 0 (-inf: nothing changed)."""
    if math.isnan(ratio):
        return ratio
    return math.log10(ratio) if ratio > 0 else -math.inf


def _chosen(names, params, where):
    """``names``, checked against ``params``; by default the weight matrices (two or more
    dimensions), as makemore shows them, or every parameter when there are none."""
    if names is None:
        return [n for n, p in params.items() if p.ndim >= 2] or list(params)
    unknown = [n for n in names if n not in params]
    if unknown:
        raise ValueError(f"{where}: no parameters named {unknown}; recorded: {list(params)}")
    return list(names)


def _spans_decades(values):
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    return len(positive) > 1 and max(positive) / min(positive) > 10


class GradientDataRatios:
    """The gradient of every parameter of ``model`` next to its values: call ``record()``
    after a backward pass (or pass ``optimizer`` to record before each of its steps).

    ``record()`` returns one row per parameter (``name``, ``shape``, ``grad_mean``,
    ``grad_std``, ``ratio`` = std(grad) / std(data)) and appends the ratios to
    ``history[name]``. A parameter without a gradient gets NaN.

    >>> ratios = mg.diagnostics.GradientDataRatios(model)
    >>> loss.backward(); ratios.record(); ratios.plot()
    """

    def __init__(self, model, optimizer=None):
        self._params = dict(model.named_parameters())
        if not self._params:
            raise ValueError("GradientDataRatios: the model has no parameters")
        self.history = {name: [] for name in self._params}
        self.rows = []
        self._handle = None
        if optimizer is not None:
            self._handle = optimizer.register_step_pre_hook(self._on_step)

    def _on_step(self, optimizer, args, kwargs):
        self.record()  # NOTE: returns None: a pre-hook's return value would replace the args

    def record(self):
        """Measure the current gradients; returns the rows (also kept in ``rows``)."""
        rows = []
        with no_grad():
            for name, p in self._params.items():
                row = {"name": name, "shape": tuple(p.shape), "grad_mean": math.nan,
                       "grad_std": math.nan, "ratio": math.nan}
                if p.grad is not None:
                    g = p.grad.data
                    row.update(grad_mean=float(g.mean()), grad_std=_std(g),
                               ratio=_std_ratio(g, p.data))
                rows.append(row)
                self.history[name].append(row["ratio"])
        self.rows = rows
        return rows

    def remove(self):
        """Stop recording at optimizer steps (``record()`` still works)."""
        if self._handle is not None:
            self._handle.remove()

    def plot(self, ax=None, names=None):
        """The latest ratio of each parameter, one marker per parameter (log scale when
        they span more than a decade). ``names`` picks the parameters; by default the weight
        matrices, or every parameter when there are none."""
        if not self.rows:
            raise RuntimeError("GradientDataRatios.plot: nothing recorded yet; call record() "
                               "after a backward pass")
        names = _chosen(names, self._params, "GradientDataRatios.plot")
        latest = {row["name"]: row["ratio"] for row in self.rows}
        ratios = [latest[name] for name in names]
        ax = axes(ax)
        ax.plot(range(len(ratios)), ratios, "o")
        ax.set_xticks(range(len(ratios)), names, rotation=90, fontsize="small")
        ax.set(xlabel="parameter", ylabel="std(grad) / std(data)",
               yscale="log" if _spans_decades(ratios) else "linear")
        return ax


class UpdateRatios:
    """After every ``optimizer.step()``, ``history[name]`` gets log10(std(update) /
    std(data)) for each parameter of ``model`` that ``optimizer`` updates, where ``update`` is
    the data after the step minus the data before it (so it works for any optimizer,
    momentum and weight decay included) and ``data`` is the parameter before the step.

    NaN when the data has no spread (zero biases at the first step); -inf when the step left
    the parameter unchanged.

    >>> ratios = mg.diagnostics.UpdateRatios(model, optimizer)   # then train as usual
    >>> ratios.plot()
    """

    def __init__(self, model, optimizer):
        if not hasattr(optimizer, "register_step_pre_hook"):
            raise TypeError(f"UpdateRatios: optimizer must be a minigrad optimizer, got "
                            f"{type(optimizer).__name__}")
        updated = {id(p) for group in optimizer.param_groups for p in group["params"]}
        self._params = {name: p for name, p in model.named_parameters() if id(p) in updated}
        if not self._params:
            raise ValueError("UpdateRatios: the optimizer updates none of the model's parameters")
        self.history = {name: [] for name in self._params}
        self._before = {}
        self._handles = [optimizer.register_step_pre_hook(self._keep_before),
                         optimizer.register_step_post_hook(self._measure)]

    def _keep_before(self, optimizer, args, kwargs):
        self._before = {name: p.data.copy() for name, p in self._params.items()}

    def _measure(self, optimizer, args, kwargs):
        for name, p in self._params.items():
            before = self._before[name]
            self.history[name].append(_log10(_std_ratio(p.data - before, before)))
        self._before = {}

    def remove(self):
        """Stop recording."""
        for handle in self._handles:
            handle.remove()

    def plot(self, ax=None, names=None):
        """One line per parameter over the steps, with the 1e-3 guide line. ``names`` picks
        the parameters; by default the weight matrices (two or more dimensions), as
        makemore shows them, or every parameter when there are none."""
        names = _chosen(names, self._params, "UpdateRatios.plot")
        ax = axes(ax)
        depth_colors(ax, len(names))
        for name in names:
            ax.plot(self.history[name], lw=1, label=name)
        ax.axhline(GUIDE, color="black", ls="--", lw=1, label="1e-3 (rule of thumb)")
        ax.set(xlabel="step", ylabel="log10(std(update) / std(data))")
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return ax
