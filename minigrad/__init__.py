"""minigrad: a small deep-learning framework whose every op is an explicit, checked
forward/backward pair. ``import minigrad as mg`` and write PyTorch-style code."""

from minigrad.tensor import Tensor  # noqa: I001 - Tensor first: ops build on it
from minigrad import autograd, cuda, data, diagnostics, nn, ops, optim
from minigrad.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.autograd import inference_mode, is_inference_mode_enabled
from minigrad.backends import (available_backends, get_default_backend, get_rng_state,
                               manual_seed, set_default_backend, set_rng_state)
from minigrad.backends import get_default_device, set_default_device
from minigrad.devices import device
from minigrad.creation import (arange, from_dlpack, full, ones, ones_like, rand, randn, tensor,
                               zeros, zeros_like)
from minigrad.data import load, save
from minigrad.dtypes import bool, float16, float32, float64, int8, int16, int32, int64, uint8
from minigrad.ops import (abs, cat, clamp, exp, log, matmul, maximum, mean, minimum, sqrt,
                          stack, sum, unbind, where)
from minigrad.ops.activation import log_softmax, relu, sigmoid, softmax, tanh
from minigrad.ops.activation_piecewise import prelu, threshold
from minigrad.ops.activation_smooth import celu, selu
from minigrad.ops.pointwise import (acos, asin, atan, cos, cosh, exp2, expm1, log1p, log2,
                                    log10, sin, sinh, tan)
from minigrad.ops.pointwise_rounding import ceil, floor, round, sign, trunc
from minigrad.ops.pointwise_special import (atan2, erf, erfc, fmod, frac, hypot, logaddexp,
                                            reciprocal, remainder, rsqrt, square)
from minigrad.ops.statistics import (all, amax, amin, any, count_nonzero, cumprod, cumsum,
                                     logsumexp, norm, prod, std, std_mean, var_mean)
from minigrad.random import Generator
# NOTE: these families' __all__ are exactly the names torch has at its top level
from minigrad.ops.comparison import *  # noqa: F403, I001
from minigrad.ops.diagonal import *  # noqa: F403, I001
from minigrad.ops.gather_scatter import *  # noqa: F403, I001
from minigrad.ops.pointwise_ternary import *  # noqa: F403, I001
from minigrad.ops.products import *  # noqa: F403, I001
from minigrad.ops.shape_move import *  # noqa: F403, I001
from minigrad.ops.shape_repeat import *  # noqa: F403, I001
from minigrad.ops.sorting import *  # noqa: F403, I001

__version__ = "0.1.0"

__all__ = [
    "Tensor", "autograd", "data", "diagnostics", "nn", "ops", "optim",
    "load", "save", "get_rng_state", "set_rng_state",
    "Generator",
    "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled",
    "inference_mode", "is_inference_mode_enabled",
    "cuda", "device", "get_default_device", "set_default_device",
    "available_backends", "get_default_backend", "manual_seed", "set_default_backend",
    "arange", "from_dlpack", "full", "ones", "ones_like", "rand", "randn", "tensor", "zeros",
    "zeros_like",
    "bool", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "abs", "cat", "clamp", "exp", "log", "matmul", "maximum", "mean", "minimum", "sqrt",
    "stack", "sum", "unbind", "where",
    "celu", "log_softmax", "prelu", "relu", "selu", "sigmoid", "softmax", "tanh", "threshold",
    "acos", "asin", "atan", "cos", "cosh", "exp2", "expm1", "log1p", "log2", "log10", "sin",
    "sinh", "tan",
    "atan2", "erf", "erfc", "fmod", "frac", "hypot", "logaddexp", "reciprocal", "remainder",
    "rsqrt", "square",
    "ceil", "floor", "round", "sign", "trunc",
    "all", "amax", "amin", "any", "count_nonzero", "cumprod", "cumsum", "logsumexp", "norm",
    "prod", "std", "std_mean", "var_mean",
    *ops.comparison.__all__,
    *ops.diagonal.__all__,
    *ops.gather_scatter.__all__,
    *ops.pointwise_ternary.__all__,
    *ops.products.__all__,
    *ops.shape_move.__all__,
    *ops.shape_repeat.__all__,
    *ops.sorting.__all__,
]
