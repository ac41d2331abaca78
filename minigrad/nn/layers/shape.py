"""Layers that only reshape, as ``torch.nn``: ``Flatten`` (e.g. images to feature vectors
before a ``Linear``) and ``Unflatten`` (its inverse). Both are reshapes, so their backward
is the reshape op's."""

import math

from minigrad.nn.module import Module
from minigrad.ops import flatten, reshape

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge dims ``start_dim``..``end_dim`` into one: ``(N, C, H, W)`` -> ``(N, C*H*W)``
    with the defaults (the batch dim is kept)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (a tuple or list of ints, one may be -1):
    ``Unflatten(1, (2, 5))`` takes ``(N, 10)`` to ``(N, 2, 5)``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError("unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for position, size in enumerate(unflattened_size):
            if not isinstance(size, int):
                raise TypeError("unflattened_size must be tuple of ints, but found element of "
                                f"type {type(size).__name__} at pos {position}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input):
        shape, sizes = tuple(input.shape), tuple(self.unflattened_size)
        if not -len(shape) <= self.dim < len(shape):
            raise IndexError(f"unflatten: dim {self.dim} is out of range for a tensor of shape "
                             f"{shape} (expected in [{-len(shape)}, {len(shape) - 1}])")
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        axis = self.dim % len(shape)
        known = math.prod(n for n in sizes if n != -1)
        inferred = sizes.count(-1) == 1 and known and shape[axis] % known == 0
        if not (inferred or known == shape[axis] and -1 not in sizes):
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to "
                               f"the size of dim {self.dim} ({shape[axis]}) in the input tensor "
                               f"of shape {shape}")
        return reshape(input, shape[:axis] + sizes + shape[axis + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
