"""Gradient clipping: by total norm (``clip_grad_norm_``) and by value (``clip_grad_value_``).

The total norm is the norm of all gradients taken together, computed in one pass over each
gradient array with no autograd graph; clipping scales every gradient in place by
``max_norm / (total_norm + 1e-6)`` when that factor is below 1, so the direction of the
whole update is kept (Pascanu, Mikolov and Bengio, 2013).

Every order ``torch.linalg.vector_norm`` takes is accepted, computed as PyTorch does: the
norm of each gradient, then the same norm of those norms. For p > 0 and +-inf that is the
norm of all entries together; for p = 0 it counts the gradients that have a non-zero entry.
``foreach=`` is accepted for PyTorch code and selects nothing: minigrad has one
implementation.
"""

import math
import types
import warnings

from minigrad.tensor import Tensor


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _array_norm(xp, g, norm_type):
    """The ``norm_type`` vector norm of one array, as a 0-d array in its dtype, as
    ``torch.linalg.vector_norm``: 0 counts the non-zero entries, inf and -inf take the
    largest and the smallest magnitude, and a negative p is 0 where any entry is 0."""
    magnitude = xp.abs(g)
    if norm_type == math.inf:
        return magnitude.max()
    if norm_type == -math.inf:
        return magnitude.min()
    if norm_type == 0:
        return xp.asarray(xp.count_nonzero(g), dtype=g.dtype)
    if norm_type == 1:
        return magnitude.sum()
    if norm_type < 0:
        # NOTE: 0 ** p is inf for p < 0 (and inf ** (1 / p) is 0); written out so that NumPy
        # raises no divide-by-zero warning for what is the norm's definition
        zero = magnitude == 0
        powered = xp.where(zero, math.inf, xp.where(zero, 1, magnitude) ** norm_type)
        return powered.sum() ** (1.0 / norm_type)
    return (magnitude ** norm_type).sum() ** (1.0 / norm_type)


def _check_defined(indexed, norm_type):
    """inf, -inf and negative orders have no identity, so no norm of an empty gradient."""
    if norm_type >= 0 and norm_type != math.inf:
        return
    for i, t in indexed:
        if t.data.size == 0:
            raise RuntimeError(f"get_total_norm: cannot compute the {norm_type} norm of the "
                               f"empty gradient of parameter #{i} (shape {tuple(t.shape)}): "
                               "the operation has no identity")


def _sum_of_squares(tensor):
    """The sum of the squares of one gradient's elements, a Python float: the backend's
    compiled routine where it has one, else a dot product (BLAS's, in the dtype)."""
    routine = tensor._backend.routines.get("sum_of_squares")
    total = None if routine is None else routine(tensor.data)
    if total is not None:
        return total
    flat = tensor.data.reshape(-1)
    return float(flat @ flat)


def _combine(xp, norms, norm_type, dtype):
    if not norms:
        return xp.zeros((), dtype=dtype)
    return _array_norm(xp, xp.stack(norms), norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type`` norm of all ``tensors`` together, as a 0-d Tensor (0 for none): the
    norm of their norms (``foreach`` selects nothing)."""
    indexed = [(i, t) for i, t in enumerate(_as_list(tensors)) if t is not None]
    return _total_norm(indexed, norm_type, error_if_nonfinite)


def _total_norm(indexed, norm_type, error_if_nonfinite):
    """The total norm of ``(position, tensor)`` pairs; an error names the positions."""
    norm_type = float(norm_type)
    tensors = [t for _, t in indexed]
    _check_defined(indexed, norm_type)
    from minigrad.backends import get_backend

    backend = tensors[0]._backend if tensors else get_backend()
    dtype = tensors[0].data.dtype if tensors else "float32"
    if norm_type == 2:
        # NOTE: the square root of the summed squares (each in the gradients' dtype, added
        # up in float64) rather than the norm of per-tensor norms: no array per tensor, no
        # stack
        parts = [_sum_of_squares(t) for t in tensors]
        total = backend.xp.asarray(math.sqrt(sum(parts)), dtype=dtype)
    else:
        parts = [_array_norm(t._backend.xp, t.data, norm_type) for t in tensors]
        total = _combine(backend.xp, parts, norm_type, dtype)
    if error_if_nonfinite and not backend.all_finite(total):
        culprits = [f"#{i} (shape {tuple(t.shape)})" for (i, t), part in zip(indexed, parts)
                    if not math.isfinite(float(part))]
        cause = (f"non-finite gradients of parameters {', '.join(culprits)}" if culprits else
                 f"every gradient's norm is finite, but together they overflow {dtype}")
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           f"`parameters` is non-finite, so it cannot be clipped; {cause}. To "
                           "disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    return Tensor._make(backend.ensure_array(total), backend)


# Functions called as ``observer(parameters, max_norm, total_norm)`` by every
# ``clip_grad_norm_`` before it scales: how ``mg.diagnostics`` sees pre-clip norms.
observers = []


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of ``parameters`` in place by ``max_norm / (total_norm + 1e-6)``
    when that is below 1 (``total_norm`` as computed by ``get_total_norm``; ``foreach``
    selects nothing)."""
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be non-negative, got {max_norm}")
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    total = float(total_norm)
    coefficient = max_norm / (total + 1e-6)
    # NOTE: written so that a NaN coefficient also scales (NaN fails `>= 1`), as PyTorch's
    # clamped multiply does; a factor of exactly 1 is skipped since it changes nothing
    if coefficient >= 1.0:
        return
    for g in grads:
        g.data *= coefficient
        g._version += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Rescale gradients so their total ``norm_type`` norm is at most ``max_norm``.

    ``parameters`` is a tensor or an iterable of them; those without a gradient are skipped.
    An empty generator (one already used up, say) warns, as in PyTorch: nothing is clipped.
    Returns the total norm *before* clipping, a 0-d Tensor. With ``error_if_nonfinite`` a
    NaN or infinite total norm raises, naming the offending gradients, and changes nothing.
    ``foreach`` selects nothing (one implementation).

    >>> loss.backward()
    >>> norm = mg.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be non-negative, got {max_norm} "
                         "(PyTorch would flip the gradients' sign)")
    exhaustible = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)
    if exhaustible and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=2)
    indexed = [(i, p.grad) for i, p in enumerate(parameters) if p.grad is not None]
    total = _total_norm(indexed, norm_type, error_if_nonfinite)
    for observer in observers:
        observer(parameters, max_norm, total)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place.

    Unlike norm clipping this can change the gradient's direction. ``foreach`` selects
    nothing (one implementation).
    """
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be non-negative, got {clip_value}")
    for p in _as_list(parameters):
        if p.grad is not None:
            p._backend.xp.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)
            p.grad._version += 1
