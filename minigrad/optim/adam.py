"""Adam and AdamW (Kingma and Ba, 2015; Loshchilov and Hutter, 2019)."""

from minigrad.optim.optimizer import (
    Optimizer,
    implementation_flags,
    regularized_grad,
    start_state,
)


def lerp_(start, end, weight):
    """``start += weight * (end - start)`` in place, with PyTorch's two-sided formula so
    float32 results round the same way."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


def update_moments_(m, v, g, beta1, beta2):
    """Adam's running moments, in place: ``m`` towards ``g`` by ``1 - beta1``, ``v``
    towards ``g^2`` by ``1 - beta2`` (shared by Adam, NAdam and RAdam)."""
    lerp_(m, g, 1 - beta1)
    v *= beta2
    v += (1 - beta2) * g * g


def check_adam_arguments(lr, betas, eps, weight_decay):
    """The checks, and messages, PyTorch's Adam family shares."""
    if lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps < 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    for index, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
    if weight_decay < 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """PyTorch's Adam:

        g = grad (+ weight_decay * param, or param *= 1 - lr * weight_decay when decoupled)
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) g^2   (v = max(v) if amsgrad)
        param -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_adam_arguments(lr, betas, eps, weight_decay)
        if not all(isinstance(beta, float) for beta in betas):
            raise ValueError("betas must be either both floats or both Tensors")
        flags = implementation_flags(type(self).__name__, foreach=foreach,
                                     capturable=capturable, differentiable=differentiable,
                                     fused=fused)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay, **flags))

    def _update(self, param, grad, group, state):
        xp, p = param._backend.xp, param.data
        lr, (beta1, beta2) = group["lr"], group["betas"]
        start_state(state, param, "exp_avg", "exp_avg_sq",
                    *(["max_exp_avg_sq"] if group["amsgrad"] else []))
        state["step"] += 1
        step = state["step"]
        g = regularized_grad(param, grad, group)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        update_moments_(m, v, g, beta1, beta2)
        if group["amsgrad"]:
            xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step_size = lr / (1 - beta1 ** step)
        denom = xp.sqrt(v) / (1 - beta2 ** step) ** 0.5
        denom += group["eps"]
        p += (-step_size * m) / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: ``param *= 1 - lr * weight_decay`` before the step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # NOTE: as PyTorch: AdamW stays decoupled, whatever
            group["decoupled_weight_decay"] = True  # an Adam state dict says
