"""minigrad: a small deep-learning framework whose every op is an explicit, checked
forward/backward pair. ``import minigrad as mg`` and write PyTorch-style code."""

from minigrad.tensor import Tensor  # noqa: I001 - Tensor first: ops build on it
from minigrad import (accelerator, autograd, cuda, data, diagnostics, distributed, nn, onnx, ops,
                      optim)
from minigrad.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.autograd import inference_mode, is_inference_mode_enabled
from minigrad.backends import (available_backends, get_default_backend, get_rng_state,
                               manual_seed, set_default_backend, set_rng_state)
from minigrad.backends import get_default_device, set_default_device
from minigrad.backends.printing import set_printoptions
from minigrad.threads import (are_deterministic_algorithms_enabled, get_num_interop_threads,
                              get_num_threads, is_deterministic_algorithms_warn_only_enabled,
                              set_num_interop_threads, set_num_threads,
                              use_deterministic_algorithms)
from minigrad.devices import device
from minigrad.creation import (arange, as_tensor, empty, empty_like, eye, from_dlpack,
                               from_numpy, full, full_like, linspace, logspace, ones, ones_like,
                               tensor, zeros, zeros_like)
from minigrad.creation_random import (bernoulli, multinomial, normal, rand, rand_like, randint,
                                      randint_like, randn, randn_like, randperm)
from minigrad.data import load, save
from minigrad.dtypes import (bool, double, float, float16, float32, float64, get_default_dtype,
                             half, int, int8, int16, int32, int64, long, set_default_dtype,
                             short, uint8)
from minigrad.tensor_queries import is_floating_point, is_tensor, numel
from minigrad.ops import (abs, argmax, argmin, div, divide, exp, log, matmul, max, maximum,
                          mean, min, minimum, pow, sqrt, sum, var, where)
from minigrad.ops.activation import log_softmax, relu, sigmoid, softmax, tanh
from minigrad.ops.activation_piecewise import prelu, threshold
from minigrad.ops.activation_smooth import celu, selu
from minigrad.ops.pointwise import (acos, asin, atan, cos, cosh, exp2, expm1, log1p, log2,
                                    log10, sin, sinh, tan)
from minigrad.ops.pointwise_rounding import ceil, floor, floor_divide, round, sign, trunc
from minigrad.ops.pointwise_special import (atan2, erf, erfc, fmod, frac, hypot, logaddexp,
                                            reciprocal, remainder, rsqrt, square)
from minigrad.ops.statistics import (all, amax, amin, any, count_nonzero, cumprod, cumsum,
                                     logsumexp, norm, prod, std, std_mean, var_mean)
from minigrad.random import Generator

# NOTE: these families' __all__ are exactly the names torch has at its top level
from minigrad.ops.bitwise import *  # noqa: F403, I001
from minigrad.ops.comparison import *  # noqa: F403, I001
from minigrad.ops.diagonals import *  # noqa: F403, I001
from minigrad.ops.gather_scatter import *  # noqa: F403, I001
from minigrad.ops.pointwise_ternary import *  # noqa: F403, I001
from minigrad.ops.products import *  # noqa: F403, I001
from minigrad.ops.shape import *  # noqa: F403, I001
from minigrad.ops.shape_move import *  # noqa: F403, I001
from minigrad.ops.shape_repeat import *  # noqa: F403, I001
from minigrad.ops.sorting import *  # noqa: F403, I001

__version__ = "0.1.0"

__all__ = [
    "Tensor", "autograd", "data", "diagnostics", "distributed", "nn", "onnx", "ops", "optim",
    "load", "save", "get_rng_state", "set_rng_state",
    "Generator",
    "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled",
    "inference_mode", "is_inference_mode_enabled",
    "cuda", "device", "get_default_device", "set_default_device",
    "accelerator", "set_printoptions", "get_num_threads", "set_num_threads",
    "get_num_interop_threads", "set_num_interop_threads", "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
    "available_backends", "get_default_backend", "manual_seed", "set_default_backend",
    "arange", "as_tensor", "empty", "empty_like", "eye", "from_dlpack", "from_numpy", "full",
    "full_like", "linspace", "logspace", "ones", "ones_like", "tensor", "zeros", "zeros_like",
    "bernoulli", "multinomial", "normal", "rand", "rand_like", "randint", "randint_like",
    "randn", "randn_like", "randperm",
    "bool", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "double", "float", "half", "int", "long", "short", "get_default_dtype", "set_default_dtype",
    "is_floating_point", "is_tensor", "numel",
    "abs", "argmax", "argmin", "exp", "log", "matmul", "max", "maximum", "mean", "min",
    "minimum", "pow", "sqrt", "sum", "var", "where",
    "celu", "log_softmax", "prelu", "relu", "selu", "sigmoid", "softmax", "tanh", "threshold",
    "acos", "asin", "atan", "cos", "cosh", "exp2", "expm1", "log1p", "log2", "log10", "sin",
    "sinh", "tan",
    "atan2", "erf", "erfc", "fmod", "frac", "hypot", "logaddexp", "reciprocal", "remainder",
    "rsqrt", "square",
    "ceil", "floor", "floor_divide", "round", "sign", "trunc", "div", "divide",
    "all", "amax", "amin", "any", "count_nonzero", "cumprod", "cumsum", "logsumexp", "norm",
    "prod", "std", "std_mean", "var_mean",
    *ops.bitwise.__all__,
    *ops.comparison.__all__,
    *ops.diagonals.__all__,
    *ops.gather_scatter.__all__,
    *ops.pointwise_ternary.__all__,
    *ops.products.__all__,
    *ops.shape.__all__,
    *ops.shape_move.__all__,
    *ops.shape_repeat.__all__,
    *ops.sorting.__all__,
]
