"""Rprop (Riedmiller and Braun, 1993): each coordinate moves by its own step size in the
direction of its gradient's sign; the step grows while the sign holds and shrinks when it
flips. Meant for full-batch training."""

from minigrad.optim.optimizer import (
    Optimizer,
    implementation_flags,
    regularized_grad,
    start_state,
)


class Rprop(Optimizer):
    """PyTorch's Rprop, with ``etas = (eta_minus, eta_plus)``:

        s = sign(g * prev);  step_size *= eta_plus where s > 0, eta_minus where s < 0
        step_size = clamp(step_size, *step_sizes);  g = 0 where s < 0
        param -= sign(g) * step_size;  prev = g
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        flags = implementation_flags("Rprop", foreach=foreach, capturable=capturable,
                                     differentiable=differentiable)
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes,
                                      maximize=maximize, **flags))

    def _update(self, param, grad, group, state):
        backend, p = param._backend, param.data
        xp = backend.xp
        if not state:
            start_state(state, param, "prev")
            state["step_size"] = xp.full_like(p, group["lr"])
        state["step"] += 1
        eta_minus, eta_plus = group["etas"]
        prev, step_size = state["prev"], state["step_size"]
        g = backend.asarray(regularized_grad(param, grad, group), copy=True)
        factor = backend.ensure_array(xp.sign(g * prev))
        flipped = factor < 0  # the last step jumped over a minimum
        factor[factor > 0] = eta_plus
        factor[flipped] = eta_minus
        factor[factor == 0] = 1
        step_size *= factor
        xp.clip(step_size, *group["step_sizes"], out=step_size)
        g[flipped] = 0  # NOTE: no move after a flip, and no flip detected on the next step
        p -= xp.sign(g) * step_size
        prev[...] = g
