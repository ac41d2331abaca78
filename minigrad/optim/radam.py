"""RAdam (Liu et al., 2020): Adam whose adaptive step is switched on, and rectified, only
once the variance of its estimate is tractable."""

from minigrad.optim.adam import check_adam_arguments, update_moments_
from minigrad.optim.optimizer import (
    Optimizer,
    implementation_flags,
    regularized_grad,
    start_state,
)


class RAdam(Optimizer):
    """PyTorch's RAdam, with ``rho_inf = 2 / (1 - beta2) - 1`` and
    ``rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)``:

        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) g^2;  m_hat = m / (1 - beta1^t)
        rho_t > 5:  param -= lr * m_hat * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps)
        otherwise:  param -= lr * m_hat    (SGD with momentum while warming up)

    where ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_adam_arguments(lr, betas, eps, weight_decay)
        flags = implementation_flags("RAdam", foreach=foreach, capturable=capturable,
                                     differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, **flags))

    def _update(self, param, grad, group, state):
        xp = param._backend.xp
        lr, (beta1, beta2) = group["lr"], group["betas"]
        start_state(state, param, "exp_avg", "exp_avg_sq")
        state["step"] += 1
        step = state["step"]
        g = regularized_grad(param, grad, group)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        update_moments_(m, v, g, beta1, beta2)
        bias_correction2 = 1 - beta2 ** step
        m_hat = m / (1 - beta1 ** step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = bias_correction2 ** 0.5 / (xp.sqrt(v) + group["eps"])
            param.data -= m_hat * lr * adaptive * rect
        else:
            param.data -= m_hat * lr
