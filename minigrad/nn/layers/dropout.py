"""``Dropout`` and the channel dropouts ``Dropout1d/2d/3d``: inverted dropout in training,
the identity in evaluation."""

from minigrad.nn import functional as F
from minigrad.nn.module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]


class _DropoutNd(Module):
    """The probability ``p`` (checked to lie in [0, 1]) and PyTorch's ``inplace`` flag, which
    is accepted but never modifies the input (the functional forms return a new tensor)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        F._check_probability(p)
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training and scale the rest by 1/(1-p),
    so evaluation needs no rescaling (Srivastava et al., 2014)."""

    def forward(self, x):
        return F.dropout(x, self.p, self.training)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p`` in training,
    scaling the rest by 1/(1-p): neighbouring values along L are correlated, so dropping
    single elements would regularize little (Tompson et al., 2015)."""

    def forward(self, x):
        return F.dropout1d(x, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zero whole channels (feature maps) of (N, C, H, W) input with probability ``p`` in
    training, scaling the rest by 1/(1-p). A 3-D input is taken as (N, C, L), with
    PyTorch's warning."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``
    in training, scaling the rest by 1/(1-p)."""

    def forward(self, x):
        return F.dropout3d(x, self.p, self.training)
