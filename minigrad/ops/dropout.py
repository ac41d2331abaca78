"""Dropout: multiply by a mask of zeros and ``1 / (1 - p)`` (inverted dropout)."""

from minigrad.autograd.function import Function


class Dropout(Function):
    """y = x * mask, the mask already holding 0 or 1/(1-p);  dy/dx = mask.

    The mask is an argument, drawn by ``nn.functional.dropout`` from the backend's seeded
    generator, so the op itself is deterministic and gradient checks can fix it.
    """

    @staticmethod
    def forward(ctx, x, mask):
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, g_y):
        (mask,) = ctx.saved_tensors
        return g_y * mask, None


def dropout_mask(backend, shape, p, dtype):
    """Keep each element with probability 1 - p, scaled by 1/(1 - p); all zeros for p = 1."""
    if p == 1:
        return backend.xp.zeros(shape, dtype=dtype)
    keep = backend.rng.random(shape, dtype=dtype) >= p
    return keep.astype(dtype) * (1.0 / (1.0 - p))
