"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from minigrad.optim.optimizer import Optimizer, implementation_flags, regularized_grad


class SGD(Optimizer):
    """PyTorch's SGD:

        g = grad + weight_decay * param
        buf = g (first step), else momentum * buf + (1 - dampening) * g
        g = g + momentum * buf (nesterov) or buf
        param -= lr * g
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        flags = implementation_flags("SGD", foreach=foreach, differentiable=differentiable,
                                     fused=fused)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, **flags))

    def _update(self, param, grad, group, state):
        p = param.data
        # NOTE: arithmetic on a 0-d array gives a NumPy scalar; a buffer copied from one
        # would be replaced, not updated, by the in-place steps below
        g = param._backend.ensure_array(regularized_grad(param, grad, group))
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            routine = param._backend.routines.get("sgd_momentum_step")
            if buf is not None and routine is not None and routine(
                    p, g, buf, group["lr"], momentum, group["dampening"], group["nesterov"]):
                return  # the backend's compiled update did it
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                dampening = group["dampening"]
                buf += g if dampening == 0 else (1 - dampening) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p += -group["lr"] * g
