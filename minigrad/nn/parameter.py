"""``Parameter``: a tensor that a Module registers as one of its learnable weights."""

from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and registers itself when set on a Module.

    ``Parameter(t)`` shares ``t``'s data, as ``torch.nn.Parameter`` does.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        source = data if isinstance(data, Tensor) else Tensor([] if data is None else data)
        super().__init__(source, requires_grad=requires_grad)
        self.data = source.data  # share, not copy

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

