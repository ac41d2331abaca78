"""Adadelta (Zeiler, 2012): Adagrad's step with the sum replaced by running averages, and
the units fixed by scaling with the running average of past updates."""

from minigrad.optim.optimizer import (
    Optimizer,
    implementation_flags,
    regularized_grad,
    start_state,
)


class Adadelta(Optimizer):
    """PyTorch's Adadelta:

        v = rho * v + (1 - rho) g^2;  delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) delta^2;  param -= lr * delta
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        flags = implementation_flags("Adadelta", foreach=foreach, capturable=capturable,
                                     differentiable=differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, **flags))

    def _update(self, param, grad, group, state):
        xp = param._backend.xp
        rho, eps = group["rho"], group["eps"]
        start_state(state, param, "square_avg", "acc_delta")
        state["step"] += 1
        g = regularized_grad(param, grad, group)
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * g * g
        delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * g
        u *= rho
        u += (1 - rho) * delta * delta
        param.data += -group["lr"] * delta
