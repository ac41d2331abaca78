"""Parameters as one flat vector and back, as ``torch.nn.utils``: what second-order methods,
line searches and weight-space plots work on."""

from minigrad.ops import cat, reshape
from minigrad.tensor import Tensor


def _common_backend(parameters):
    """The parameters as a list, checked to live on one backend (PyTorch: one device)."""
    parameters = list(parameters)
    if len({p.backend for p in parameters}) > 1:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return parameters


def parameters_to_vector(parameters):
    """All ``parameters`` flattened and joined into one 1-D tensor, in order. It is computed
    by reshape and cat, so gradients flow back to the parameters."""
    return cat([reshape(p, (-1,)) for p in _common_backend(parameters)])


def vector_to_parameters(vec, parameters):
    """Give each of ``parameters`` the next ``numel`` entries of the 1-D tensor ``vec``,
    reshaped to its shape. As in PyTorch, ``param.data`` becomes a view of ``vec``'s data
    (so writing into one shows in the other, and a parameter takes ``vec``'s dtype); entries
    left over at the end are ignored."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected minigrad.Tensor, but got: {type(vec).__name__}")
    parameters = _common_backend(parameters)
    if parameters and parameters[0].backend != vec.backend:
        raise TypeError(f"vector_to_parameters: vec is on backend {vec.backend!r}, the "
                        f"parameters on {parameters[0].backend!r}")
    pointer = 0
    for param in parameters:
        size = param.numel()
        if pointer + size > vec.shape[0]:
            raise RuntimeError(f"vector_to_parameters: vec of shape {tuple(vec.shape)} is too "
                               f"short: the parameters need at least {pointer + size} entries")
        param.data = vec.data[pointer:pointer + size].reshape(param.shape)
        pointer += size
