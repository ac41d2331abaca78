"""Questions about a tensor asked as top-level functions, as in PyTorch: ``mg.is_tensor(obj)``,
``mg.is_floating_point(t)``, ``mg.numel(t)``; and the check ops use to refuse a non-tensor
argument with PyTorch's TypeError."""

from minigrad.tensor import Tensor

__all__ = ["is_floating_point", "is_tensor", "numel"]


def require_tensor(op, name, value):
    """Raise PyTorch's TypeError unless ``value`` (``op``'s argument ``name``) is a Tensor."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(value).__name__}")


def is_tensor(obj):
    """Whether ``obj`` is a minigrad Tensor (a Parameter is one)."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """Whether ``input``'s dtype is a floating point one (float16, float32, float64)."""
    require_tensor("is_floating_point", "input", input)
    return input.dtype.is_floating_point


def numel(input):
    """The number of elements of ``input``."""
    require_tensor("numel", "input", input)
    return input.numel()
