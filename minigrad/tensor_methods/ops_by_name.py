"""The math and shape methods that forward to an op: ``x.exp()``, ``x.sum(dim)``,
``x.reshape(...)`` call ``minigrad.ops`` (where the math lives)."""

import minigrad
from minigrad.tensor_methods._forwarding import pointwise_method as _pointwise_method
from minigrad.tensor_methods._forwarding import shape_args


class OpsByName:
    """The first methods minigrad had: elementwise math, reductions and reshapes."""

    __slots__ = ()

    # ----------------------------------------------------------------- ops by name
    def exp(self):
        return minigrad.ops.exp(self)

    def log(self):
        return minigrad.ops.log(self)

    def sqrt(self):
        return minigrad.ops.sqrt(self)

    def abs(self):
        return minigrad.ops.abs(self)

    def clamp(self, min=None, max=None):
        return minigrad.ops.clamp(self, min, max)

    clip = clamp

    def relu(self):
        return minigrad.ops.relu(self)

    def sigmoid(self):
        return minigrad.ops.sigmoid(self)

    def prelu(self, weight):
        return minigrad.ops.prelu(self, weight)

    def tanh(self):
        return minigrad.ops.tanh(self)

    def softmax(self, dim):
        return minigrad.ops.softmax(self, dim)

    def log_softmax(self, dim):
        return minigrad.ops.log_softmax(self, dim)

    def matmul(self, other):
        return minigrad.ops.matmul(self, other)

    def pow(self, exponent):
        return minigrad.ops.pow(self, exponent)

    # NOTE: the pointwise ops take the tensor and, for the binary ones, ``other``
    sin, cos, tan = (_pointwise_method(n) for n in ("sin", "cos", "tan"))
    asin, acos, atan = (_pointwise_method(n) for n in ("asin", "acos", "atan"))
    sinh, cosh = _pointwise_method("sinh"), _pointwise_method("cosh")
    log1p, expm1 = _pointwise_method("log1p"), _pointwise_method("expm1")
    log2, log10, exp2 = (_pointwise_method(n) for n in ("log2", "log10", "exp2"))
    square, rsqrt = _pointwise_method("square"), _pointwise_method("rsqrt")
    reciprocal, frac = _pointwise_method("reciprocal"), _pointwise_method("frac")
    erf, erfc = _pointwise_method("erf"), _pointwise_method("erfc")
    atan2, hypot = _pointwise_method("atan2"), _pointwise_method("hypot")
    logaddexp = _pointwise_method("logaddexp")
    fmod, remainder = _pointwise_method("fmod"), _pointwise_method("remainder")
    sign, floor, ceil = (_pointwise_method(n) for n in ("sign", "floor", "ceil"))
    trunc = _pointwise_method("trunc")

    # NOTE: ``//`` and ``%`` as in PyTorch: floor division and Python's remainder
    def __floordiv__(self, other):
        return minigrad.ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return minigrad.ops.floor_divide(other, self)

    def __mod__(self, other):
        return minigrad.ops.remainder(self, other)

    def __rmod__(self, other):
        return minigrad.ops.remainder(other, self)

    def floor_divide(self, other):
        return minigrad.ops.floor_divide(self, other)

    def div(self, other, *, rounding_mode=None):
        return minigrad.ops.div(self, other, rounding_mode=rounding_mode)

    divide = div

    def round(self, *, decimals=0):
        return minigrad.ops.round(self, decimals=decimals)

    def sum(self, dim=None, keepdim=False):
        return minigrad.ops.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return minigrad.ops.mean(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return minigrad.ops.var(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False, *, other=None):
        return minigrad.ops.max(self, dim, keepdim, other=other)

    def min(self, dim=None, keepdim=False, *, other=None):
        return minigrad.ops.min(self, dim, keepdim, other=other)

    def argmax(self, dim=None, keepdim=False):
        return minigrad.ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return minigrad.ops.argmin(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return minigrad.ops.any(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return minigrad.ops.all(self, dim, keepdim)

    def prod(self, dim=None, keepdim=False):
        return minigrad.ops.prod(self, dim, keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return minigrad.ops.std(self, dim, unbiased, keepdim, correction=correction)

    def logsumexp(self, dim, keepdim=False):
        return minigrad.ops.logsumexp(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return minigrad.ops.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return minigrad.ops.amin(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False):
        return minigrad.ops.norm(self, p, dim, keepdim)

    def cumsum(self, dim):
        return minigrad.ops.cumsum(self, dim)

    def cumprod(self, dim):
        return minigrad.ops.cumprod(self, dim)

    def count_nonzero(self, dim=None):
        return minigrad.ops.count_nonzero(self, dim)

    def reshape(self, *shape):
        return minigrad.ops.reshape(self, shape_args(shape))

    def view(self, *shape):
        return minigrad.ops.reshape(self, shape_args(shape))

    def transpose(self, dim0, dim1):
        return minigrad.ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return minigrad.ops.permute(self, shape_args(dims))

    def squeeze(self, dim=None):
        return minigrad.ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return minigrad.ops.unsqueeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return minigrad.ops.flatten(self, start_dim, end_dim)
