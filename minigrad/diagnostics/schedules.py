"""``LearningRates`` records each group's lr (and momentum) per optimizer step;
``schedule_preview`` computes any scheduler's curve without a model."""

from minigrad import creation
from minigrad.diagnostics.plotting import axes
from minigrad.optim.sgd import SGD


def momentum_of(group):
    """A group's momentum: ``momentum``, or ``betas[0]`` for Adam-like optimizers."""
    if "betas" in group:
        return group["betas"][0]
    return group.get("momentum")


class LearningRates:
    """After every ``optimizer.step()``, append each group's ``lr`` and momentum to
    ``history["lr"][group]`` and ``history["momentum"][group]``."""

    def __init__(self, optimizer):
        groups = range(len(optimizer.param_groups))
        self.history = {"lr": {g: [] for g in groups}, "momentum": {g: [] for g in groups}}
        self._handle = optimizer.register_step_post_hook(self._on_step)

    def _on_step(self, optimizer, args, kwargs):
        for index, group in enumerate(optimizer.param_groups):
            self.history["lr"].setdefault(index, []).append(group["lr"])
            self.history["momentum"].setdefault(index, []).append(momentum_of(group))

    def remove(self):
        self._handle.remove()

    def plot(self, ax=None, momentum=False):
        ax = axes(ax)
        for group, values in self.history["lr"].items():
            ax.plot(values, label=f"lr, group {group}")
        if momentum:
            twin = ax.twinx()
            for group, values in self.history["momentum"].items():
                twin.plot(values, ls="--", label=f"momentum, group {group}")
            twin.set(ylabel="momentum")
        ax.set(xlabel="step", ylabel="learning rate")
        ax.legend(fontsize="small")
        return ax


def schedule_preview(make_scheduler, steps=100, lr=0.1, momentum=0.9, metrics=None):
    """The learning rates a scheduler gives over ``steps`` steps, without a model.

    ``make_scheduler(optimizer)`` builds it on a one-parameter SGD (with momentum, so
    cycling schedulers work); returns ``{"lr": [...], "momentum": [...]}``, one entry per step.
    A scheduler stepped with a metric (``ReduceLROnPlateau``) gets ``metrics[i]`` at step i.

    >>> schedule_preview(lambda opt: StepLR(opt, step_size=30, gamma=0.5), steps=100)
    """
    param = creation.zeros(1, requires_grad=True)
    optimizer = SGD([param], lr=lr, momentum=momentum)
    scheduler = make_scheduler(optimizer)
    curve = {"lr": [], "momentum": []}
    for _ in range(steps):
        curve["lr"].append(optimizer.param_groups[0]["lr"])
        curve["momentum"].append(momentum_of(optimizer.param_groups[0]))
        optimizer.step()
        if metrics is not None:
            scheduler.step(metrics[len(curve["lr"]) - 1])
        else:
            scheduler.step()
    return curve


def plot_schedule(make_scheduler, steps=100, ax=None, label=None, **preview):
    """Draw ``schedule_preview``'s learning-rate curve."""
    ax = axes(ax)
    ax.plot(schedule_preview(make_scheduler, steps, **preview)["lr"], label=label)
    ax.set(xlabel="step", ylabel="learning rate")
    if label:
        ax.legend(fontsize="small")
    return ax
