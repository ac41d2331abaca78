"""``Optimizer``: parameter groups, per-parameter state, ``step``, state dicts, and hooks.

A subclass validates its hyperparameters and writes ``_update(param, grad, group, state)``,
the rule for one parameter on backend arrays; the base class walks the groups, skips
parameters without a gradient, counts steps (schedulers check that count to warn when they
are stepped first) and bumps each parameter's version, since the update is in place.

Hooks are PyTorch's: step pre and post hooks (per optimizer, and global ones through
``register_optimizer_step_pre_hook``), and pre and post hooks on ``state_dict`` and
``load_state_dict``. A custom optimizer that writes its own ``step`` (as PyTorch code does)
gets the step hooks and the step count too.
"""

import functools
import struct
from collections import OrderedDict

from minigrad.autograd.grad_mode import enable_grad
from minigrad.tensor import Tensor
from minigrad.utils.grads import zero_grads
from minigrad.utils.hooks import RemovableHandle

_global_step_pre_hooks, _global_step_post_hooks = OrderedDict(), OrderedDict()


def _add_hook(hooks, hook, prepend=False):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook):
    """``hook(optimizer, args, kwargs)`` before every step of every optimizer (before each
    optimizer's own pre hooks); it may return new ``(args, kwargs)`` for the step."""
    return _add_hook(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """``hook(optimizer, args, kwargs)`` after every step of every optimizer (after each
    optimizer's own post hooks)."""
    return _add_hook(_global_step_post_hooks, hook)


def _hooked(step):
    """``step`` wrapped as PyTorch wraps it: the pre hooks see ``args`` (the optimizer first,
    then the positional arguments) and ``kwargs`` as given, and may replace them; then the
    step runs and is counted, and the post hooks see what it ran with."""
    if getattr(step, "_hooked", False):
        return step

    @functools.wraps(step)
    def hooked_step(self, *args, **kwargs):
        if self._in_step:  # a subclass's step calling super().step(): hooked once, outside
            return step(self, *args, **kwargs)
        args = (self, *args)
        for hook in [*_global_step_pre_hooks.values(), *self._step_pre_hooks.values()]:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"step pre hook {hook!r} must return None or a tuple "
                                       f"of (new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        self._in_step = True
        try:
            loss = step(*args, **kwargs)
        finally:
            self._in_step = False
        self._step_count += 1
        for hook in [*self._step_post_hooks.values(), *_global_step_post_hooks.values()]:
            hook(self, args, kwargs)
        return loss

    hooked_step._hooked = True
    return hooked_step


def implementation_flags(name, *, foreach=None, differentiable=False, **flags):
    """PyTorch's arguments that choose an implementation (``foreach``, ``fused``,
    ``capturable``), as group entries (PyTorch keeps them there, so state dicts match).

    They change nothing here: minigrad has one implementation of each rule, one parameter
    at a time, and no CUDA graphs to capture. ``differentiable=True`` (autograd through the
    step) is refused: minigrad's steps update parameters in place, outside autograd.
    """
    if differentiable:
        raise NotImplementedError(f"{name}: differentiable=True is not supported: minigrad's "
                                  "optimizer steps run in place, outside autograd")
    if flags.get("fused") and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    return dict(foreach=foreach, differentiable=differentiable, **flags)


def regularized_grad(param, grad, group):
    """The gradient a rule follows: negated to maximize, plus weight decay's
    ``weight_decay * param``; with ``decoupled_weight_decay`` the parameter is instead shrunk
    in place by ``1 - lr * weight_decay`` (AdamW's form)."""
    g = -grad if group["maximize"] else grad
    weight_decay = group.get("weight_decay", 0)
    if weight_decay:
        if group.get("decoupled_weight_decay"):
            param.data *= 1 - group["lr"] * weight_decay
        else:
            g = g + weight_decay * param.data
    return g


def start_state(state, param, *arrays, **scalars):
    """PyTorch's lazy state, on a parameter's first step: ``step`` 0, the given scalars, and
    each named array zeros like the parameter."""
    if not state:
        state["step"] = 0.0
        state.update(scalars)
        state.update({name: param._backend.xp.zeros_like(param.data) for name in arrays})


def to_float32(value):
    """``value`` rounded to float32. NOTE: PyTorch holds scalar state (NAdam's
    ``mu_product``, ASGD's ``eta`` and ``mu``) in 0-d tensors of its default dtype, float32,
    so the same trajectory needs the same rounding."""
    return struct.unpack("f", struct.pack("f", value))[0]


class Optimizer:
    """Base class of optimizers: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of tensors, or of dicts (parameter groups) each holding
    ``"params"`` and any hyperparameters that override ``defaults`` for that group.
    """

    # state entries that are numbers, restored as Python floats whatever they were saved as
    scalar_state = ("step",)

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        self._step_count = 0
        self._steps_when_scheduled = None  # the step count when a first scheduler attached
        self._in_step = False
        self._step_pre_hooks, self._step_post_hooks = OrderedDict(), OrderedDict()
        self._state_dict_pre_hooks, self._state_dict_post_hooks = OrderedDict(), OrderedDict()
        self._load_state_dict_pre_hooks = OrderedDict()
        self._load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in vars(cls):  # a custom optimizer's own step: hooked and counted too
            cls.step = _hooked(cls.step)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group):
        """Add a group of parameters with its own hyperparameters (e.g. a layer to unfreeze)."""
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs; "
                            "please use a list instead")
        group["params"] = list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]) or \
                len({id(p) for p in group["params"]}) != len(group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Clear the gradients of every parameter (to None, or to zeros in place)."""
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` before every step (gradients are final here);
        ``args`` starts with the optimizer, as in PyTorch. It may return new ``(args,
        kwargs)`` for the step."""
        return _add_hook(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` after every step."""
        return _add_hook(self._step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer)`` before ``state_dict()`` builds the dict (``prepend``: run it
        before the hooks already registered)."""
        return _add_hook(self._state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` on the dict ``state_dict()`` built; it may edit it
        in place or return a new one, which is returned instead."""
        return _add_hook(self._state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` on a shallow copy of the dict given to
        ``load_state_dict``; it may edit it in place or return a new one to load instead."""
        return _add_hook(self._load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer)`` after ``load_state_dict`` has loaded the state."""
        return _add_hook(self._load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ the step
    @_hooked
    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` recomputes the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p, {})
                self._update(p, p.grad.data, group, state)
                if state:  # plain SGD keeps none, as in PyTorch
                    self.state[p] = state
                p._version += 1
        return loss

    def _update(self, param, grad, group, state):
        raise NotImplementedError

    # ------------------------------------------------------------- state dicts
    def state_dict(self):
        """``{"state": {index: {name: array or number}}, "param_groups": [...]}``, parameters
        numbered in group order as in PyTorch; arrays are NumPy copies."""
        for hook in list(self._state_dict_pre_hooks.values()):
            hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            entry = {k: v for k, v in group.items() if k != "params"}
            entry["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(entry)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {
                        k: (p._backend.to_numpy(v).copy() if p._backend.is_array(v) else v)
                        for k, v in self.state[p].items()}
        state_dict = {"state": state, "param_groups": groups}
        for hook in list(self._state_dict_post_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and per-parameter state saved by ``state_dict``."""
        state_dict = dict(state_dict)  # shallow copy: what the pre hooks see, as in PyTorch
        for hook in list(self._load_state_dict_pre_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        params = []
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
            params += list(zip(saved["params"], group["params"]))
        for saved, group in zip(groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        state = {int(k): v for k, v in state_dict["state"].items()}
        self.state = {}
        for saved_index, p in params:
            if saved_index in state:
                self.state[p] = {k: self._restore(p, k, v)
                                 for k, v in state[saved_index].items()}
        for hook in list(self._load_state_dict_post_hooks.values()):
            hook(self)

    def _restore(self, param, name, value):
        """A saved state entry as the parameter's backend array (in its dtype, as PyTorch
        does); scalar state becomes a Python float whatever it was saved as (a float32
        ``step`` would make the bias corrections float32)."""
        if name in self.scalar_state:
            return float(value)
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            return param._backend.asarray(value, dtype=param.data.dtype, copy=True)
        return value
