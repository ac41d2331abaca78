"""Adamax (Kingma and Ba, 2015, section 7): Adam with the infinity norm in place of the
root mean square of the gradients."""

from minigrad.optim.adam import check_adam_arguments, lerp_
from minigrad.optim.optimizer import (
    Optimizer,
    implementation_flags,
    regularized_grad,
    start_state,
)


class Adamax(Optimizer):
    """PyTorch's Adamax:

        m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps)
        param -= lr / (1 - beta1^t) * m / u
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_adam_arguments(lr, betas, eps, weight_decay)
        flags = implementation_flags("Adamax", foreach=foreach, differentiable=differentiable,
                                     capturable=capturable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, **flags))

    def _update(self, param, grad, group, state):
        xp = param._backend.xp
        beta1, beta2 = group["betas"]
        start_state(state, param, "exp_avg", "exp_inf")
        state["step"] += 1
        g = regularized_grad(param, grad, group)
        m, u = state["exp_avg"], state["exp_inf"]
        lerp_(m, g, 1 - beta1)
        u *= beta2
        xp.maximum(u, xp.abs(g) + group["eps"], out=u)
        lr = group["lr"] / (1 - beta1 ** state["step"])
        param.data += (-lr * m) / u
