"""Activation modules: thin wrappers over ``minigrad.ops.activation``.

``inplace=`` is accepted so PyTorch code ports unchanged, but the result is always a new
tensor: minigrad does not differentiate through in-place changes.
"""

from minigrad.nn.module import Module
from minigrad.ops import activation, activation_smooth
from minigrad.ops.activation_smooth import implicit_dim

__all__ = ["ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softplus", "GELU", "Softmax",
           "LogSoftmax", "Softmin"]


class ElementwiseActivation(Module):
    """A module applying ``function(input)`` whose one argument is PyTorch's ``inplace``:
    kept and shown in the repr (unless ``shows_inplace`` is False, as for PyTorch's
    Hardswish), but the result is always a new tensor. The base of the activation families'
    argument-free layers; not exported."""

    function = None
    shows_inplace = True

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return self.function(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace and self.shows_inplace else ""


class ReLU(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return activation.relu(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return activation.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class ELU(Module):
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return activation.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    def forward(self, x):
        return activation.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return activation.tanh(x)


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return activation.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return activation.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class _AlongDim(Module):
    """A module applying ``function(x, dim)`` (softmax, log-softmax and softmin), ``dim``
    chosen by PyTorch's legacy rule when not given."""

    function = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return self.function(x, implicit_dim(x.ndim) if self.dim is None else self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    function = staticmethod(activation.softmax)


class LogSoftmax(_AlongDim):
    function = staticmethod(activation.log_softmax)


class Softmin(_AlongDim):
    function = staticmethod(activation_smooth.softmin)
