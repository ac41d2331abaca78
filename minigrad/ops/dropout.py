"""Dropout: multiply by a mask of zeros and ``1 / (1 - p)`` (inverted dropout)."""

from minigrad.autograd.function import Function
from minigrad.errors import DTypeError


class Dropout(Function):
    """y = x * mask, the mask already holding 0 or 1/(1-p);  dy/dx = mask.

    The mask is an argument, drawn by ``nn.functional.dropout`` with the backend's
    ``dropout_mask`` (its seeded generator), so the op itself is deterministic and gradient
    checks can fix it.
    """

    op_name = "dropout"

    @staticmethod
    def forward(ctx, x, mask):
        if x.dtype.kind != "f":  # NOTE: as PyTorch; an integer x times the mask is float64
            raise DTypeError(f"dropout: expected a floating point input, got {x.dtype.name} "
                             f"(shape {x.shape}); convert it with .float()")
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, g_y):
        (mask,) = ctx.saved_tensors
        return g_y * mask, None
