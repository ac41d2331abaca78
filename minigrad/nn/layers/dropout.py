"""``Dropout``: inverted dropout in training, the identity in evaluation."""

from minigrad.nn import functional as F
from minigrad.nn.module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability ``p`` in training and scale the rest by 1/(1-p),
    so evaluation needs no rescaling (Srivastava et al., 2014)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        F._check_probability(p)
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
