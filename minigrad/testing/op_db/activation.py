"""Registry entries of the activations (``minigrad/ops/activation.py``)."""

import math

from minigrad.ops import activation
from minigrad.testing.op_db.base import (
    AWAY_FROM_ZERO,
    Domain,
    ModuleInfo,
    OpInfo,
    SampleInput,
    log_softmax_ref,
    unary_samples,
)


def softmax_samples(make):
    return [SampleInput((make(3, 5),), {"dim": 1}, name="rows"),
            SampleInput((make(4, 3),), {"dim": 0}, name="columns"),
            SampleInput((make(2, 3, 4),), {"dim": -1}, name="3d"),
            SampleInput((make(1),), {"dim": 0}, name="one_element"),
            SampleInput((make(2, 3, low=-1e4, high=1e4),), {"dim": 1}, name="huge_logits")]


def _gelu_samples(make):
    return [SampleInput((make(3, 4),), name="exact"),
            SampleInput((make(3, 4),), {"approximate": "tanh"}, name="tanh"),
            SampleInput((make(2, 3, low=-8, high=8),), name="tails")]


def _np_erf(xp, x):
    return xp.vectorize(math.erf, otypes=["float64"])(x)  # an oracle independent of ours


def _gelu_ref(xp, x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + xp.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _np_erf(xp, x / math.sqrt(2)))


def _softmax_ref(xp, x, dim):
    e = xp.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _softplus_ref(xp, x, beta=1.0, threshold=20.0):
    return xp.where(beta * x > threshold, x, xp.log(1 + xp.exp(beta * x)) / beta)


OPS = [
    OpInfo("relu", lambda x: x.relu(), activation.ReLU, lambda xp, x: xp.maximum(x, 0),
           unary_samples,
           domain=AWAY_FROM_ZERO, torch_op=lambda torch, x: torch.relu(x)),
    OpInfo("leaky_relu", lambda x, **kw: activation.leaky_relu(x, **kw), activation.LeakyReLU,
           lambda xp, x, negative_slope=0.01: xp.where(x > 0, x, negative_slope * x),
           lambda make: unary_samples(make) + [SampleInput((make(3, 4),), {"negative_slope": 0.2},
                                                    name="slope")],
           domain=AWAY_FROM_ZERO,
           torch_op=lambda torch, x, **kw: torch.nn.functional.leaky_relu(x, **kw)),
    OpInfo("elu", lambda x, **kw: activation.elu(x, **kw), activation.ELU,
           lambda xp, x, alpha=1.0: xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0))),
           lambda make: unary_samples(make) + [SampleInput((make(3, 4),), {"alpha": 0.5},
                                                    name="alpha")],
           domain=AWAY_FROM_ZERO,
           torch_op=lambda torch, x, **kw: torch.nn.functional.elu(x, **kw)),
    OpInfo("sigmoid", lambda x: x.sigmoid(), activation.Sigmoid, lambda xp, x: 1 / (1 + xp.exp(-x)),
           lambda make: unary_samples(make) + [SampleInput((make(2, 3, low=-30, high=30),),
                                                    name="saturated")],
           torch_op=lambda torch, x: torch.sigmoid(x)),
    OpInfo("tanh", lambda x: x.tanh(), activation.Tanh, lambda xp, x: xp.tanh(x), unary_samples,
           torch_op=lambda torch, x: torch.tanh(x)),
    OpInfo("softplus", lambda x, **kw: activation.softplus(x, **kw), activation.Softplus,
           _softplus_ref,
           lambda make: unary_samples(make) + [
               SampleInput((make(3, 4),), {"beta": 2.0, "threshold": 1.0}, name="linear_tail"),
               SampleInput((make(2, 3, low=-40, high=40),), {"beta": 0.5}, name="far_tails")],
           domain=Domain(away_from=(0.5,)),  # beta 2, threshold 1: the tail starts at 0.5
           torch_op=lambda torch, x, **kw: torch.nn.functional.softplus(x, **kw)),
    OpInfo("gelu", lambda x, **kw: activation.gelu(x, **kw), activation.GELU, _gelu_ref,
           _gelu_samples,
           torch_op=lambda torch, x, **kw: torch.nn.functional.gelu(x, **kw)),
    OpInfo("softmax", lambda x, dim: x.softmax(dim), activation.Softmax, _softmax_ref,
           softmax_samples, torch_op=lambda torch, x, dim: torch.softmax(x, dim)),
    OpInfo("log_softmax", lambda x, dim: x.log_softmax(dim), activation.LogSoftmax, log_softmax_ref,
           softmax_samples, torch_op=lambda torch, x, dim: torch.log_softmax(x, dim)),
]

MODULES = [
    ModuleInfo("ReLU", lambda nn: nn.ReLU()),
    ModuleInfo("LeakyReLU", lambda nn: nn.LeakyReLU(0.2)),
    ModuleInfo("ELU", lambda nn: nn.ELU(0.5)),
    ModuleInfo("Sigmoid", lambda nn: nn.Sigmoid()),
    ModuleInfo("Tanh", lambda nn: nn.Tanh()),
    ModuleInfo("Softplus", lambda nn: nn.Softplus()),
    ModuleInfo("Softplus-beta", lambda nn: nn.Softplus(beta=2.0, threshold=5.0)),
    ModuleInfo("GELU", lambda nn: nn.GELU()),
    ModuleInfo("GELU-tanh", lambda nn: nn.GELU(approximate="tanh")),
    ModuleInfo("Softmax", lambda nn: nn.Softmax(dim=1)),
    ModuleInfo("LogSoftmax", lambda nn: nn.LogSoftmax(dim=1)),
    ModuleInfo("Softmin", lambda nn: nn.Softmin(dim=1)),
    # NOTE: PyTorch warns of the implicit dim in every call: its values are checked in
    # tests/test_activation_kinks.py, which expects the warning
    ModuleInfo("Softmin-implicit", lambda nn: nn.Softmin(), input_shapes=()),
]
