"""Weight averaging, as ``torch.optim.swa_utils``: stochastic weight averaging (SWA;
Izmailov et al., 2018) and exponential moving averages (EMA) of a model's weights.

``AveragedModel`` keeps the running average in a copy of the model, ``SWALR`` anneals each
group's lr to a constant SWA lr for the averaging phase, and ``update_bn`` recomputes the
batch-norm statistics for the averaged weights (the running statistics of the models that
were averaged do not belong to the average)::

    swa_model = AveragedModel(model)
    swa_scheduler = SWALR(optimizer, swa_lr=0.05)
    for epoch in range(epochs):
        train_one_epoch(model, optimizer)
        if epoch >= swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
    update_bn(loader, swa_model)

NOTE: the one file of ``optim`` that imports ``nn``: averaging whole modules is its job, as
in PyTorch, whose module of the same name lives in ``torch.optim`` too.
"""

import copy
import itertools
import math

from minigrad import creation, dtypes
from minigrad.autograd.grad_mode import no_grad
from minigrad.nn.layers.normalization import _BatchNorm
from minigrad.nn.module import Module
from minigrad.optim.lr_scheduler.base import LRScheduler, per_group

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def _lerp_(start, end, weight):
    """Move ``start`` in place ``weight`` of the way to ``end``, in PyTorch's two forms of
    lerp: the second is exact at ``weight`` 1 (an EMA with decay 0 copies the model)."""
    if abs(weight) < 0.5:
        start.copy_(start + weight * (end - start))
    else:
        start.copy_(end - (end - start) * (1 - weight))


def get_ema_multi_avg_fn(decay=0.999):
    """The in-place EMA of lists of tensors: ``ema = decay * ema + (1 - decay) * current``
    (``AveragedModel``'s ``multi_avg_fn``). Integer tensors (a batch counter among the
    buffers) get the float result truncated back, as in PyTorch."""
    _check_decay(decay)

    def ema_update(ema_params, current_params, num_averaged):
        with no_grad():
            for ema, current in zip(ema_params, current_params):
                if ema.is_floating_point():
                    _lerp_(ema, current, 1 - decay)
                else:
                    ema.copy_(ema * decay + current * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """The in-place equal-weight average of lists of tensors, ``num_averaged`` models in:
    ``averaged += (current - averaged) / (num_averaged + 1)``. Integer tensors get the true
    quotient truncated back (PyTorch's version raises for them).

    NOTE: the weight ``1 / (num_averaged + 1)`` is a Python float here; PyTorch's is rounded
    to float32 first, which offsets a float64 average by about 1e-8 relative."""

    def swa_update(averaged_params, current_params, num_averaged):
        with no_grad():
            for averaged, current in zip(averaged_params, current_params):
                if averaged.is_floating_point():
                    _lerp_(averaged, current, 1 / (float(num_averaged) + 1))
                else:
                    averaged.copy_(averaged + (current - averaged) / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """The EMA of one tensor, returned: ``decay * ema + (1 - decay) * current``
    (``AveragedModel``'s ``avg_fn``)."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """The equal-weight average of one tensor, returned:
    ``averaged + (current - averaged) / (num_averaged + 1)``."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` (on ``device`` if given) whose weights are the running average of
    the models passed to ``update_parameters``: equal weights (SWA) by default, or
    ``avg_fn(averaged, current, num_averaged)`` returning each new tensor, or
    ``multi_avg_fn(averaged_list, current_list, num_averaged)`` updating lists of one dtype
    in place (e.g. ``get_ema_multi_avg_fn(0.999)``). ``use_buffers`` averages the buffers
    too; otherwise they are copied from the model at each update. The count of models
    averaged is the buffer ``n_averaged`` (so the state dict has ``n_averaged`` and
    ``module.<name>`` keys, as PyTorch's)."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged",
                             creation.zeros((), dtype=dtypes.int64, device=device))
        self.avg_fn, self.multi_avg_fn = avg_fn, multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _averaged_members(self, model):
        if self.use_buffers:
            return itertools.chain(model.parameters(), model.buffers())
        return model.parameters()

    def update_parameters(self, model):
        """Fold ``model``'s current weights into the average (the first call copies them)."""
        pairs = [(mine.detach(), theirs.detach().to(mine.device)) for mine, theirs in
                 zip(self._averaged_members(self.module), self._averaged_members(model))]
        with no_grad():
            if self.n_averaged.item() == 0:
                for mine, theirs in pairs:
                    mine.copy_(theirs)
            else:
                self._average(pairs)
            if not self.use_buffers:
                for mine, theirs in zip(self.module.buffers(), model.buffers()):
                    mine.copy_(theirs.detach().to(mine.device))
            self.n_averaged.add_(1)

    def _average(self, pairs):
        count = self.n_averaged
        if self.multi_avg_fn is not None:
            groups = {}  # NOTE: PyTorch hands multi_avg_fn one list per device and dtype
            for mine, theirs in pairs:
                groups.setdefault((str(mine.device), mine.dtype), []).append((mine, theirs))
            for group in groups.values():
                self.multi_avg_fn([m for m, _ in group], [t for _, t in group], count)
            return
        avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
        for mine, theirs in pairs:
            mine.copy_(avg_fn(mine, theirs, count))


def update_bn(loader, model, device=None):
    """Recompute the running statistics of every batch-norm layer of ``model`` in one pass
    over ``loader`` (batches are tensors, or lists/tuples whose first item is the input),
    as a plain average over the batches; ``device``: move each input there first. The
    layers' momenta and the model's train/eval mode are restored afterwards."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None  # a cumulative average over the pass
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to ``swa_lr`` (one value, or one per group) over
    ``anneal_epochs`` steps along a cosine (``"cos"``) or a line (``"linear"``), then hold it:
    the schedule of the averaging phase. Like PyTorch's, each step starts from the group's
    current lr, so a schedule used before the averaging phase hands over smoothly."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        for lr, group in zip(per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_strategy, self.anneal_epochs = anneal_strategy, anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _anneal(self, progress):
        """How far from the starting lr to ``swa_lr`` the lr is at ``progress`` in [0, 1]."""
        if self.anneal_strategy == "cos":
            return (1 - math.cos(math.pi * progress)) / 2
        return progress

    def _alpha(self, step):
        return self._anneal(max(0, min(1, step / max(1, self.anneal_epochs))))

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        before, alpha = self._alpha(step - 1), self._alpha(step)
        lrs = []
        for group in self.optimizer.param_groups:
            # NOTE: the lr this anneal started from, recovered from the current one (which
            # is `before` of the way to swa_lr): how the schedule stays chainable
            start = group["swa_lr"] if before == 1 else \
                (group["lr"] - before * group["swa_lr"]) / (1 - before)
            lrs.append(group["swa_lr"] * alpha + start * (1 - alpha))
        return lrs
