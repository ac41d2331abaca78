"""Helpers the method mixins share to forward a method to its op."""

import minigrad


def shape_args(shape):
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def pointwise_method(name):
    """``x.<name>(*args)`` as ``minigrad.ops.<name>(x, *args)``, for the pointwise ops."""
    def method(self, *args):
        return getattr(minigrad.ops, name)(self, *args)
    method.__name__ = method.__qualname__ = name
    return method
