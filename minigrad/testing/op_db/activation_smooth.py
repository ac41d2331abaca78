"""Registry entries of the smooth activations (``minigrad/ops/activation_smooth.py``) and
their layers. The references take the logistic function as exp(-logaddexp(0, -x)), a
form independent of the ops' own and finite for the huge samples."""

from minigrad.ops import activation, activation_smooth
from minigrad.testing.op_db.activation import softmax_samples
from minigrad.testing.op_db.base import (
    AWAY_FROM_ZERO,
    ModuleInfo,
    OpInfo,
    SampleInput,
    unary_samples,
)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _with_tails(make):
    """The unary samples, plus tails where a naive exp overflows (float32 beyond ~88,
    float64 beyond ~709): the results must stay finite and exact."""
    return unary_samples(make) + [SampleInput((make(2, 3, low=-40, high=40),), name="tails"),
                                  SampleInput((make(2, 3, low=-1e4, high=1e4),), name="huge")]


def _sigmoid_ref(xp, x):
    return xp.exp(-xp.logaddexp(0, -x))


def _elu_ref(xp, x, alpha, input_scale=1.0):
    return xp.where(x > 0, x, alpha * (xp.exp(xp.minimum(x, 0) * input_scale) - 1))


def _softmin_ref(xp, x, dim):
    e = xp.exp(x.min(axis=dim, keepdims=True) - x)
    return e / e.sum(axis=dim, keepdims=True)


def _glu_ref(xp, x, dim=-1):
    a, b = xp.split(x, 2, axis=dim)
    return a * _sigmoid_ref(xp, b)


def _glu_samples(make):
    return [SampleInput((make(3, 4),), name="last_dim"),
            SampleInput((make(4, 3),), {"dim": 0}, name="first_dim"),
            SampleInput((make(2, 6, 2),), {"dim": 1}, name="middle_dim"),
            SampleInput((make(2),), name="one_pair"),
            SampleInput((make(0, 4),), name="empty"),
            SampleInput((make(2, 4, low=-40, high=40),), name="tails")]


OPS = [
    OpInfo("silu", activation_smooth.silu, activation_smooth.SiLU,
           lambda xp, x: x * _sigmoid_ref(xp, x), _with_tails,
           torch_op=lambda torch, x: torch.nn.functional.silu(x)),
    OpInfo("mish", activation_smooth.mish, activation_smooth.Mish,
           lambda xp, x: x * xp.tanh(xp.logaddexp(0, x)), _with_tails,
           torch_op=lambda torch, x: torch.nn.functional.mish(x)),
    OpInfo("selu", activation_smooth.selu, activation_smooth.SELU,
           lambda xp, x: _SELU_SCALE * _elu_ref(xp, x, _SELU_ALPHA), unary_samples,
           domain=AWAY_FROM_ZERO, torch_op=lambda torch, x: torch.nn.functional.selu(x)),
    OpInfo("celu", lambda x, **kw: activation_smooth.celu(x, **kw), activation_smooth.CELU,
           lambda xp, x, alpha=1.0: _elu_ref(xp, x, alpha, 1 / alpha),
           lambda make: unary_samples(make) + [SampleInput((make(3, 4),), {"alpha": 0.5},
                                                    name="alpha")],
           torch_op=lambda torch, x, **kw: torch.nn.functional.celu(x, **kw)),
    OpInfo("logsigmoid", activation_smooth.logsigmoid, activation_smooth.LogSigmoid,
           lambda xp, x: -xp.logaddexp(0, -x), _with_tails,
           torch_op=lambda torch, x: torch.nn.functional.logsigmoid(x)),
    OpInfo("softsign", activation_smooth.softsign, activation_smooth.Softsign,
           lambda xp, x: x / (1 + xp.abs(x)),
           lambda make: unary_samples(make) + [SampleInput((make(2, 3, low=-1e4, high=1e4),),
                                                    name="huge")],
           torch_op=lambda torch, x: torch.nn.functional.softsign(x)),
    # NOTE: softmin is softmax(-x), in PyTorch and here: Softmax's backward is checked
    OpInfo("softmin", lambda x, dim: activation_smooth.softmin(x, dim), activation.Softmax,
           _softmin_ref, softmax_samples,
           torch_op=lambda torch, x, dim: torch.nn.functional.softmin(x, dim)),
    OpInfo("glu", lambda x, **kw: activation_smooth.glu(x, **kw), activation_smooth.GLU,
           _glu_ref, _glu_samples,
           torch_op=lambda torch, x, **kw: torch.nn.functional.glu(x, **kw)),
]

MODULES = [
    ModuleInfo("SiLU", lambda nn: nn.SiLU()),
    ModuleInfo("SiLU-inplace", lambda nn: nn.SiLU(inplace=True), input_shapes=()),
    ModuleInfo("Mish", lambda nn: nn.Mish()),
    ModuleInfo("SELU", lambda nn: nn.SELU()),
    ModuleInfo("CELU", lambda nn: nn.CELU()),
    ModuleInfo("CELU-alpha", lambda nn: nn.CELU(0.5)),
    ModuleInfo("CELU-inplace", lambda nn: nn.CELU(2.0, inplace=True), input_shapes=()),
    ModuleInfo("LogSigmoid", lambda nn: nn.LogSigmoid(), scale=20.0),
    ModuleInfo("Softsign", lambda nn: nn.Softsign()),
    ModuleInfo("GLU", lambda nn: nn.GLU(), input_shapes=((6, 8), (2, 3, 4))),
    ModuleInfo("GLU-dim", lambda nn: nn.GLU(dim=1), input_shapes=((6, 8), (2, 4, 3))),
]
