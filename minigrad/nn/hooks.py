"""The identity ops that let a Module see the gradients of its output and input
(``register_full_backward_hook``). The hook handles live in ``minigrad.utils.hooks``."""

from minigrad.autograd.function import Function
from minigrad.tensor import Tensor


class BackwardHookState:
    """One forward call's bookkeeping: the output gradients, kept until the input ones come."""

    def __init__(self, module, hooks, n_inputs):
        self.module, self.hooks = module, hooks
        self.grad_outputs = None
        self.n_inputs = n_inputs

    def fire(self, grad_inputs, backend):
        """Call the hooks with the gradients as Tensors (None where there is none)."""
        def wrap(grads):
            return tuple(None if g is None else Tensor._make(g, backend) for g in grads)
        for hook in list(self.hooks.values()):
            hook(self.module, wrap(grad_inputs), wrap(self.grad_outputs))


class _GradTap(Function):
    """Identity in the forward pass; what a tap does with the gradient is its backward."""

    op_name = "backward_hook"

    @staticmethod
    def forward(ctx, x, state):
        ctx.state = state
        return x


class OutputGradTap(_GradTap):
    """On the module's output: records the output's gradient, and fires the hooks at once
    when no input of the module requires grad."""

    op_name = "output_grad_tap"

    @staticmethod
    def backward(ctx, g):
        state = ctx.state
        state.grad_outputs = (g,)
        if state.n_inputs == 0:
            state.fire((None,), ctx.backend)
        return g, None


class InputGradTap(_GradTap):
    """On the module's input: fires the hooks with the input's gradient."""

    op_name = "input_grad_tap"

    @staticmethod
    def backward(ctx, g):
        ctx.state.fire((g,), ctx.backend)
        return g, None
