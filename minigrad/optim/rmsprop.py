"""RMSprop (Hinton's lecture 6e), with PyTorch's momentum and centred variants."""

from minigrad.optim.adam import lerp_
from minigrad.optim.optimizer import (
    Optimizer,
    implementation_flags,
    regularized_grad,
    start_state,
)


class RMSprop(Optimizer):
    """PyTorch's RMSprop:

        v = alpha * v + (1 - alpha) g^2;  avg = sqrt(v - mean_g^2 if centered else v) + eps
        buf = momentum * buf + g / avg, param -= lr * buf   (or param -= lr * g / avg)
    """

    # NOTE: no keyword-only marker: PyTorch's RMSprop takes every argument by position
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if alpha < 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        flags = implementation_flags("RMSprop", foreach=foreach, capturable=capturable,
                                     differentiable=differentiable)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      maximize=maximize, **flags))

    def _update(self, param, grad, group, state):
        xp, p = param._backend.xp, param.data
        alpha = group["alpha"]
        start_state(state, param, "square_avg",
                    *(["momentum_buffer"] if group["momentum"] > 0 else []),
                    *(["grad_avg"] if group["centered"] else []))
        state["step"] += 1
        g = regularized_grad(param, grad, group)
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * g * g
        if group["centered"]:
            mean_g = state["grad_avg"]
            lerp_(mean_g, g, 1 - alpha)
            avg = xp.sqrt(v + (-1 * mean_g) * mean_g)
        else:
            avg = xp.sqrt(v)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            p += -group["lr"] * buf
        else:
            p += (-group["lr"] * g) / avg
