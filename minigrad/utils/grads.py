"""Clearing gradients, shared by ``Module.zero_grad`` and ``Optimizer.zero_grad``."""


def zero_grads(parameters, set_to_none=True):
    """Clear the gradients of ``parameters``: to None, or to zeros in place (keeping the
    ``.grad`` tensors, for code that holds on to them)."""
    for p in parameters:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad.data[...] = 0
