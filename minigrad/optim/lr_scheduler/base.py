"""``LRScheduler``: the base of every learning-rate schedule.

Each step moves ``last_epoch`` on by one and sets every group's ``lr`` from ``get_lr()``.
Like PyTorch's, most schedules are *chainable*: ``get_lr`` updates the group's current lr
(multiplying it, say) rather than recomputing it from scratch, so two schedulers on one
optimizer compose, and the sequence matches PyTorch's to the last bit. Schedules that
``SequentialLR`` may restart also give ``closed_form_lr()``, which PyTorch's deprecated
``step(epoch)`` uses too.
"""

import numbers
import types
import warnings

from minigrad.optim.optimizer import Optimizer

# NOTE: the three warnings are PyTorch's texts word for word: code written for PyTorch
# filters or matches them
STEP_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and "
    "later, you should call them in the opposite order: `optimizer.step()` before "
    "`lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first "
    "value of the learning rate schedule. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")
OVERRIDDEN_STEP_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")
EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated "
    "where possible. Please use `scheduler.step()` to step the scheduler. During the "
    "deprecation, if epoch is different from None, the closed form is used instead of the "
    "new chainable form, where available. Please open an issue if you are unable to "
    "replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose.")


def is_plain(value):
    """Numbers, strings, None and lists/tuples/dicts of them: what a state dict may hold."""
    if value is None or isinstance(value, (str, bool, numbers.Number)):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    return False


def per_group(name, optimizer, value):
    """``value`` repeated for each parameter group, or checked to have one per group."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(value)} values, param_groups has "
                             f"{len(optimizer.param_groups)}.")
        return list(value)
    return [value] * len(optimizer.param_groups)


def check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def watch_steps(optimizer):
    """Note the optimizer's step count when the first scheduler attaches, so stepping a
    scheduler before any optimizer step since then can be warned about (as PyTorch does),
    and the ``step`` this scheduler found on the instance (None: the class's own), so a
    ``step`` replaced after it attached can be warned about too."""
    if optimizer._steps_when_scheduled is None:
        optimizer._steps_when_scheduled = optimizer._step_count
    optimizer._step_seen_by_scheduler = vars(optimizer).get("step")


def warn_step_order(optimizer):
    """PyTorch's warnings on a scheduler's first step: the optimizer's ``step`` was replaced
    since the scheduler attached (so its calls cannot be told apart), or the optimizer has
    not stepped since then (the schedule's first value would be skipped)."""
    if vars(optimizer).get("step") is not getattr(optimizer, "_step_seen_by_scheduler", None):
        warnings.warn(OVERRIDDEN_STEP_WARNING, UserWarning, stacklevel=3)
    elif optimizer._step_count == optimizer._steps_when_scheduled:
        warnings.warn(STEP_ORDER_WARNING, UserWarning, stacklevel=3)


def callable_states(functions):
    """What a state dict keeps of user functions: the attributes of callable objects (plain
    functions and lambdas have none worth keeping), as PyTorch does."""
    return [dict(vars(fn)) if not isinstance(fn, types.FunctionType) and is_plain(vars(fn))
            else None for fn in functions]


def restore_callable_states(functions, states):
    for fn, state in zip(functions, states or ()):
        if state is not None:
            vars(fn).update(state)


def current_lrs(optimizer):
    return [group["lr"] for group in optimizer.param_groups]


class LRScheduler:
    """Base class: subclasses set their attributes, call ``super().__init__`` and write
    ``get_lr()`` (the new lr of each group at ``self.last_epoch``)."""

    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        watch_steps(optimizer)
        for index, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{index}] "
                               "when resuming scheduler with last_epoch >= 0: load the "
                               "optimizer's state dict first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """Set the lr of epoch 0 (what constructing a PyTorch scheduler does)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        raise NotImplementedError

    def get_last_lr(self):
        """The learning rate of each group after the last step."""
        return list(self._last_lr)

    def step(self, epoch=None):
        """Advance the schedule by one step (call it after ``optimizer.step()``).

        ``epoch`` (deprecated in PyTorch, and warned about as there) jumps to that epoch
        instead: the lr comes from the schedule's closed form where it has one, else from
        ``get_lr()`` at that epoch."""
        if self._step_count == 1:
            warn_step_order(self.optimizer)
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            self._set_lrs(self.get_lr())
            return
        warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._jump_to(epoch)

    def restart(self):
        """Jump to epoch 0 of this schedule (how ``SequentialLR`` hands over to it)."""
        self._jump_to(0)

    def _jump_to(self, epoch):
        """Set every group's lr at ``epoch``: from the closed form where the schedule has
        one (a chainable form would build on the lr of another epoch), else ``get_lr()``."""
        self.last_epoch = epoch
        closed_form = getattr(self, "closed_form_lr", None)
        self._set_lrs(closed_form() if closed_form else self.get_lr())

    def _set_lrs(self, lrs):
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = current_lrs(self.optimizer)

    def state_dict(self):
        """The schedule's numbers (no optimizer, no functions), so ``mg.save`` can store it."""
        return {k: v for k, v in vars(self).items() if k != "optimizer" and is_plain(v)}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
