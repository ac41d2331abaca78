"""The CuPy backend's fused activations: each one CUDA ``ElementwiseKernel`` forward and one
backward, compiled when the backend is first used; and its routines, SGD's momentum update
(an ``ElementwiseKernel``) and the clipping norm's sum of squares (a ``ReductionKernel``).
Batch and layer norm, softmax and cross entropy run the generic ops, whose NumPy-style code
CuPy executes on the GPU as it is. None of this has run on a GPU yet (none is lent here)."""

from minigrad.backends.fused_base import FusedElementwise, FusedExactGelu

# CUDA source of each fused activation: (forward body, backward body), on elements
# x (input), y (output), g (incoming gradient), p and q (the op's parameters, in order).
ELEMENTWISE_SOURCES = {
    "relu": ("y = x <= 0 ? (T)0 : x", "out = y <= 0 ? (T)0 : g"),
    "leaky_relu": ("y = x > 0 ? x : x * (T)p", "out = x > 0 ? g : g * (T)p"),
    "elu": ("y = x > 0 ? x : (T)p * expm1(x)", "out = x > 0 ? g : g * (y + (T)p)"),
    "sigmoid": ("T e = exp(-fabs(x)); y = (x >= 0 ? (T)1 : e) / ((T)1 + e)",
                "out = g * y * ((T)1 - y)"),
    "tanh": ("y = tanh(x)", "out = g * ((T)1 - y * y)"),
    "gelu": ("y = (T)0.5 * x * ((T)1 + erf(x * (T)0.7071067811865476))",
             "out = g * ((T)0.5 * ((T)1 + erf(x * (T)0.7071067811865476))"
             " + x * (T)0.3989422804014327 * exp((T)-0.5 * x * x))"),
    # NOTE: the piecewise ones take PyTorch's sides at the kinks and let NaN through as the
    # generic ops do (minigrad/backends/numba_kernels/piecewise_loops.py says which)
    "hardtanh": ("y = x < (T)p ? (T)p : (x > (T)q ? (T)q : x)",
                 "out = (x <= (T)p || x >= (T)q) ? (T)0 : g"),
    "hardswish": ("T r = x + (T)3; y = x * (r < (T)0 ? (T)0 : (r > (T)6 ? (T)6 : r)) / (T)6",
                  "out = x <= (T)-3 ? (T)0 : (x < (T)3 ? g * (x / (T)3 + (T)0.5) : g)"),
    "hardsigmoid": ("T r = x + (T)3; y = (r < (T)0 ? (T)0 : (r > (T)6 ? (T)6 : r)) / (T)6",
                    "out = (x > (T)-3 && x < (T)3) ? g * (T)0.1666666716337204 : (T)0"),
    "threshold": ("y = x <= (T)p ? (T)q : x", "out = x <= (T)p ? (T)0 : g"),
}


class _CupyElementwise(FusedElementwise):
    """A fused activation whose loops are two compiled CUDA elementwise kernels."""

    name = None

    @classmethod
    def compile(cls, cupy):
        forward, backward = ELEMENTWISE_SOURCES[cls.name]
        cls.forward_kernel = cupy.ElementwiseKernel("T x, float64 p, float64 q", "T y",
                                                    forward, f"minigrad_{cls.name}_forward")
        cls.backward_kernel = cupy.ElementwiseKernel("T x, T y, T g, float64 p, float64 q",
                                                     "T out", backward,
                                                     f"minigrad_{cls.name}_backward")

    @classmethod
    def forward_loop(cls, x, params, y):
        cls.forward_kernel(x, *_two(params), y)

    @classmethod
    def backward_loop(cls, x, y, params, g, out):
        cls.backward_kernel(x, y, g, *_two(params), out)


def _two(params):
    """The op's first two parameters as floats for the kernels' p and q (0.0 if absent)."""
    padded = (*params, 0.0, 0.0)
    return float(padded[0]), float(padded[1])


def _kernel_class(op_name):
    camel = "".join(part.title() for part in op_name.split("_"))
    return type(f"Cupy{camel}", (_CupyElementwise,), {"name": op_name})


class _Gelu(FusedExactGelu, _CupyElementwise):
    """Exact GELU fused; the tanh approximation runs the generic code."""

    name = "gelu"

    @classmethod
    def forward_loop(cls, x, params, y):
        cls.forward_kernel(x, 0.0, 0.0, y)

    @classmethod
    def backward_loop(cls, x, y, params, g, out):
        cls.backward_kernel(x, y, g, 0.0, 0.0, out)


KERNEL_CLASSES = {
    "relu": _kernel_class("relu"),
    "leaky_relu": _kernel_class("leaky_relu"),
    "elu": _kernel_class("elu"),
    "sigmoid": _kernel_class("sigmoid"),
    "tanh": _kernel_class("tanh"),
    "gelu": _Gelu,
    "hardtanh": _kernel_class("hardtanh"),
    "hardswish": _kernel_class("hardswish"),
    "hardsigmoid": _kernel_class("hardsigmoid"),
    "threshold": _kernel_class("threshold"),
}


def routines(cupy):
    """The CuPy versions of the Numba backend's routines (same names, same arguments)."""
    momentum_step = cupy.ElementwiseKernel(
        "T d, T lr, T momentum, T keep, bool nesterov", "T p, B buf",
        "T b = momentum * (T)buf + keep * d; buf = (B)b;"
        " p = p - lr * (nesterov ? d + momentum * b : b)",
        "minigrad_sgd_momentum_step")
    squares = cupy.ReductionKernel("T x", "T total", "x * x", "a + b", "total = a", "0",
                                   "minigrad_sum_of_squares")

    def sgd_momentum_step(p, d, buf, lr, momentum, dampening, nesterov):
        momentum_step(d, lr, momentum, 1 - dampening, nesterov, p, buf)
        return True

    def sum_of_squares(array):
        return float(squares(array))

    return {"sgd_momentum_step": sgd_momentum_step, "sum_of_squares": sum_of_squares}
