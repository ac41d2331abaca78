"""``Optimizer``: parameter groups, per-parameter state, ``step``, and state dicts.

A subclass validates its hyperparameters and writes ``_update(param, grad, group, state)``,
the rule for one parameter on backend arrays; the base class walks the groups, skips
parameters without a gradient, counts steps (schedulers check that count to warn when they
are stepped first) and bumps each parameter's version, since the update is in place.
"""

from minigrad.autograd.grad_mode import enable_grad
from minigrad.tensor import Tensor
from minigrad.utils.grads import zero_grads
from minigrad.utils.hooks import RemovableHandle


class Optimizer:
    """Base class of optimizers: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of tensors, or of dicts (parameter groups) each holding
    ``"params"`` and any hyperparameters that override ``defaults`` for that group.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        self._step_count = 0
        self._steps_when_scheduled = None  # the step count when a first scheduler attached
        self._step_pre_hooks, self._step_post_hooks = {}, {}
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

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` before every step (gradients are final here)."""
        return self._add_hook(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` after every step."""
        return self._add_hook(self._step_post_hooks, hook)

    @staticmethod
    def _add_hook(hooks, hook):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` recomputes the loss."""
        for hook in list(self._step_pre_hooks.values()):
            hook(self, (closure,), {})
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
        self._step_count += 1
        for hook in list(self._step_post_hooks.values()):
            hook(self, (closure,), {})
        return loss

    def _update(self, param, grad, group, state):
        raise NotImplementedError

    # ------------------------------------------------------------- state dicts
    def state_dict(self):
        """``{"state": {index: {name: array or number}}, "param_groups": [...]}``, parameters
        numbered in group order as in PyTorch; arrays are NumPy copies."""
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
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and per-parameter state saved by ``state_dict``."""
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
                self.state[p] = {k: _restore(p, k, v) for k, v in state[saved_index].items()}


def _restore(param, name, value):
    """A saved state entry as the parameter's backend array (in its dtype, as PyTorch does);
    ``step`` becomes a Python float whatever it was saved as (a float32 step would make the
    bias corrections float32)."""
    if name == "step":
        return float(value)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return param._backend.asarray(value, dtype=param.data.dtype, copy=True)
    return value
