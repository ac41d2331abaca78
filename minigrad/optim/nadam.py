"""NAdam (Dozat, 2016): Adam with Nesterov momentum, the momentum warmed up by
``momentum_decay``."""

from minigrad.optim.adam import check_adam_arguments, update_moments_
from minigrad.optim.optimizer import (
    Optimizer,
    implementation_flags,
    regularized_grad,
    start_state,
    to_float32,
)


class NAdam(Optimizer):
    """PyTorch's NAdam, with ``mu_t = beta1 * (1 - 0.96^(t * momentum_decay) / 2)`` and
    ``mu_product`` the product of the ``mu`` so far:

        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) g^2
        denom = sqrt(v / (1 - beta2^t)) + eps
        param -= lr * ((1 - mu_t) / (1 - mu_product) * g
                       + mu_{t+1} / (1 - mu_product * mu_{t+1}) * m) / denom
    """

    scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_adam_arguments(lr, betas, eps, weight_decay)
        if momentum_decay < 0.0:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        flags = implementation_flags("NAdam", foreach=foreach, capturable=capturable,
                                     differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, **flags))

    def _update(self, param, grad, group, state):
        xp = param._backend.xp
        lr, (beta1, beta2), psi = group["lr"], group["betas"], group["momentum_decay"]
        start_state(state, param, "exp_avg", "exp_avg_sq", mu_product=1.0)
        state["step"] += 1
        step = state["step"]
        g = regularized_grad(param, grad, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        mu_product = state["mu_product"] = to_float32(state["mu_product"] * to_float32(mu))
        m, v = state["exp_avg"], state["exp_avg_sq"]
        update_moments_(m, v, g, beta1, beta2)
        denom = xp.sqrt(v / (1 - beta2 ** step)) + group["eps"]
        param.data += (-lr * (1.0 - mu) / (1.0 - mu_product) * g) / denom
        param.data += (-lr * mu_next / (1.0 - mu_product * mu_next) * m) / denom
