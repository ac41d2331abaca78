"""Piecewise-linear activation modules: thin wrappers over
``minigrad.ops.activation_piecewise``, with PyTorch's constructor arguments and reprs.

``inplace=`` is accepted so PyTorch code ports unchanged, but the result is always a new
tensor: minigrad does not differentiate through in-place changes.
"""

import warnings

from minigrad import creation
from minigrad.nn.init import constant_
from minigrad.nn.layers.activation import ElementwiseActivation
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops import activation_piecewise as piecewise

__all__ = ["Hardtanh", "ReLU6", "Hardswish", "Hardsigmoid", "Threshold", "PReLU"]


def _inplace_note(inplace):
    return ", inplace=True" if inplace else ""


class Hardtanh(Module):
    """Clamp to ``[min_val, max_val]``. ``min_value`` and ``max_value`` are PyTorch's
    deprecated spellings, accepted with its FutureWarning."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None,
                 max_value=None):
        super().__init__()
        for old, new, value in (("min_value", "min_val", min_value),
                                ("max_value", "max_val", max_value)):
            if value is not None:
                warnings.warn(f"keyword argument `{old}` is deprecated and renamed to `{new}`",
                              FutureWarning, stacklevel=2)
        min_val = min_val if min_value is None else min_value
        max_val = max_val if max_value is None else max_value
        if max_val <= min_val:
            raise AssertionError(f"Hardtanh: max_val ({max_val}) must be greater than min_val "
                                 f"({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return piecewise.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_note(self.inplace)


class ReLU6(Hardtanh):
    """min(max(x, 0), 6): ``Hardtanh(0, 6)``, as in PyTorch."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Hardswish(ElementwiseActivation):
    """x * relu6(x + 3) / 6. PyTorch's repr never shows ``inplace``, and neither does this."""

    function = staticmethod(piecewise.hardswish)
    shows_inplace = False


class Hardsigmoid(ElementwiseActivation):
    """relu6(x + 3) / 6. PyTorch's repr never shows ``inplace``, and neither does this."""

    function = staticmethod(piecewise.hardsigmoid)
    shows_inplace = False


class Threshold(Module):
    """``value`` wherever the input is not above ``threshold``."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return piecewise.threshold(input, self.threshold, self.value)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + _inplace_note(self.inplace)


class PReLU(Module):
    """x where x > 0, else weight * x, with a learned ``weight`` of ``num_parameters``
    values (1, or one per channel: dim 1 of the input), all ``init`` at first. ``device``
    takes a device (``"cpu"``) or a backend name."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(creation.zeros(num_parameters, dtype=dtype, backend=device))
        self.reset_parameters()

    def reset_parameters(self):
        constant_(self.weight, self.init)

    def forward(self, input):
        return piecewise.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"
