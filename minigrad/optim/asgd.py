"""Averaged SGD (Polyak and Juditsky, 1992): SGD with a decaying step size, keeping in
``ax`` the running average of the iterates from step ``t0`` on."""

from minigrad.optim.optimizer import (
    Optimizer,
    implementation_flags,
    regularized_grad,
    start_state,
    to_float32,
)


class ASGD(Optimizer):
    """PyTorch's ASGD, ``eta`` starting at ``lr`` and ``mu`` at 1:

        param *= 1 - lambd * eta;  param -= eta * g
        ax = param if mu == 1, else ax + mu * (param - ax)
        eta = lr / (1 + lambd * lr * t)^alpha;  mu = 1 / max(1, t - t0)

    The averaged parameters are ``optimizer.state[param]["ax"]``.
    """

    scalar_state = ("step", "eta", "mu")

    # NOTE: no keyword-only marker: PyTorch's ASGD takes every argument by position
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        flags = implementation_flags("ASGD", foreach=foreach, differentiable=differentiable,
                                     capturable=capturable)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, maximize=maximize, **flags))

    def _update(self, param, grad, group, state):
        p, lr, lambd = param.data, group["lr"], group["lambd"]
        start_state(state, param, "ax", eta=to_float32(lr), mu=1.0)
        state["step"] += 1
        step, eta, ax = state["step"], state["eta"], state["ax"]
        g = regularized_grad(param, grad, group)
        p *= 1 - lambd * eta
        p += -eta * g
        if state["mu"] != 1:
            ax += (p - ax) * state["mu"]
        else:
            ax[...] = p
        state["eta"] = to_float32(lr / ((1 + lambd * lr * step) ** group["alpha"]))
        state["mu"] = to_float32(1 / max(1, step - group["t0"]))
