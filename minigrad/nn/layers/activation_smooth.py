"""Smooth activation modules: thin wrappers over ``minigrad.ops.activation_smooth``, with
PyTorch's constructor arguments and reprs (``Softmin`` sits with ``Softmax`` in
``activation.py``).

``inplace=`` is accepted so PyTorch code ports unchanged, but the result is always a new
tensor: minigrad does not differentiate through in-place changes.
"""

from minigrad.nn.layers.activation import ElementwiseActivation
from minigrad.nn.module import Module
from minigrad.ops import activation_smooth as smooth

__all__ = ["SiLU", "Mish", "SELU", "CELU", "LogSigmoid", "Softsign", "GLU"]


class SiLU(ElementwiseActivation):
    """x * sigmoid(x) (also called swish)."""

    function = staticmethod(smooth.silu)


class Mish(ElementwiseActivation):
    """x * tanh(softplus(x))."""

    function = staticmethod(smooth.mish)


class SELU(ElementwiseActivation):
    """scale * ELU(x, alpha) with the self-normalizing constants."""

    function = staticmethod(smooth.selu)


class CELU(Module):
    """x where x > 0, else alpha * (exp(x / alpha) - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return smooth.celu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class LogSigmoid(Module):
    """log(sigmoid(x)), without overflow."""

    def forward(self, input):
        return smooth.logsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input):
        return smooth.softsign(input)


class GLU(Module):
    """The first half of the input along ``dim`` times the sigmoid of the second."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return smooth.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
