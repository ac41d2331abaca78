"""Adagrad (Duchi, Hazan and Singer, 2011): each coordinate's step shrinks with the sum of
its squared gradients so far, so rarely-updated coordinates keep large steps."""

from minigrad.optim.optimizer import Optimizer, implementation_flags, regularized_grad


class Adagrad(Optimizer):
    """PyTorch's Adagrad:

        sum += g^2;  param -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)

    ``sum`` starts at ``initial_accumulator_value``. As in PyTorch, every parameter's state
    exists from construction (so the state dict lists parameters never stepped), and
    ``sum`` starts from the optimizer's default, not a group's own value.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if lr_decay < 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if initial_accumulator_value < 0.0:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        flags = implementation_flags("Adagrad", foreach=foreach, differentiable=differentiable,
                                     fused=fused)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize, **flags))
        for group in self.param_groups:
            for p in group["params"]:
                self._start(p, self.state.setdefault(p, {}))

    def _start(self, param, state):
        state["step"] = 0.0
        state["sum"] = param._backend.xp.full_like(
            param.data, self.defaults["initial_accumulator_value"])

    def _update(self, param, grad, group, state):
        xp = param._backend.xp
        if not state:  # a parameter of a group added later, or not in a loaded state dict
            self._start(param, state)
        state["step"] += 1
        g = regularized_grad(param, grad, group)
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += g * g
        std = xp.sqrt(state["sum"]) + group["eps"]
        param.data += (-lr * g) / std
