"""Registry entries of the piecewise-linear activations
(``minigrad/ops/activation_piecewise.py``) and their layers. Samples keep ``margin`` away
from every kink; tests/test_activation_kinks.py holds the gradients at the kinks against
PyTorch's."""

from minigrad.ops import activation_piecewise as piecewise
from minigrad.testing.op_db.base import (
    AWAY_FROM_ZERO,
    Domain,
    ModuleInfo,
    OpInfo,
    SampleInput,
    unary_samples,
)


def _hardtanh_ref(xp, x, min_val=-1.0, max_val=1.0):
    return xp.where(x < min_val, min_val, xp.where(x > max_val, max_val, x))


def _hardswish_ref(xp, x):
    return xp.where(x <= -3, 0.0, xp.where(x >= 3, x, x * (x + 3) / 6))


def _hardsigmoid_ref(xp, x):
    return xp.where(x <= -3, 0.0, xp.where(x >= 3, 1.0, x / 6 + 0.5))


def _threshold_samples(make):
    return [SampleInput((make(3, 4),), {"threshold": 0.5, "value": -2.0}, name="matrix"),
            SampleInput((make(2, 3, 2),), {"threshold": -1.0, "value": 3.0}, name="3d"),
            SampleInput((make(),), {"threshold": 0.5, "value": 0.0}, name="scalar"),
            SampleInput((make(1),), {"threshold": -1.0, "value": 1.0}, name="one_element"),
            SampleInput((make(0, 3),), {"threshold": 0.5, "value": -2.0}, name="empty")]


def _prelu_ref(xp, x, weight):
    shape = [1] * x.ndim
    if x.ndim >= 2:
        shape[1] = weight.size
    return xp.where(x > 0, x, weight.reshape(shape) * x)


def _prelu_samples(make):
    return [SampleInput((make(3, 4), make(4)), name="per_channel"),
            SampleInput((make(2, 3, 4), make(3)), name="per_channel_3d"),
            SampleInput((make(2, 3, 4), make(1)), name="shared"),
            SampleInput((make(5), make()), name="1d_with_0d_weight"),
            SampleInput((make(), make(1)), name="scalar"),
            SampleInput((make(1, 1), make(1)), name="one_element"),
            SampleInput((make(0, 3), make(3)), name="empty")]


OPS = [
    OpInfo("hardtanh", lambda x, **kw: piecewise.hardtanh(x, **kw), piecewise.Hardtanh,
           _hardtanh_ref,
           lambda make: unary_samples(make) + [
               SampleInput((make(3, 4),), {"min_val": -0.5, "max_val": 1.5}, name="bounds")],
           domain=Domain(away_from=(-1.0, 1.0, -0.5, 1.5)),
           torch_op=lambda torch, x, **kw: torch.nn.functional.hardtanh(x, **kw)),
    # NOTE: relu6 is hardtanh(x, 0, 6), in PyTorch and here: Hardtanh's backward is checked
    OpInfo("relu6", piecewise.relu6, piecewise.Hardtanh, lambda xp, x: _hardtanh_ref(xp, x, 0, 6),
           unary_samples, domain=Domain(low=-2.0, high=8.0, away_from=(0.0, 6.0)),
           torch_op=lambda torch, x: torch.nn.functional.relu6(x)),
    OpInfo("hardswish", piecewise.hardswish, piecewise.Hardswish, _hardswish_ref, unary_samples,
           domain=Domain(low=-5.0, high=5.0, away_from=(-3.0, 3.0)),
           torch_op=lambda torch, x: torch.nn.functional.hardswish(x)),
    OpInfo("hardsigmoid", piecewise.hardsigmoid, piecewise.Hardsigmoid, _hardsigmoid_ref,
           unary_samples, domain=Domain(low=-5.0, high=5.0, away_from=(-3.0, 3.0)),
           torch_op=lambda torch, x: torch.nn.functional.hardsigmoid(x)),
    OpInfo("threshold", lambda x, **kw: piecewise.threshold(x, **kw), piecewise.Threshold,
           lambda xp, x, threshold, value: xp.where(x > threshold, x, value),
           _threshold_samples, domain=Domain(away_from=(0.5, -1.0)),
           torch_op=lambda torch, x, **kw: torch.nn.functional.threshold(x, **kw)),
    OpInfo("prelu", piecewise.prelu, piecewise.PReLU, _prelu_ref, _prelu_samples,
           domain=AWAY_FROM_ZERO,
           torch_op=lambda torch, x, weight: torch.nn.functional.prelu(x, weight)),
]

MODULES = [
    ModuleInfo("Hardtanh", lambda nn: nn.Hardtanh()),
    ModuleInfo("Hardtanh-bounds", lambda nn: nn.Hardtanh(-2.0, 2.5)),
    # NOTE: PyTorch's in-place forms refuse leaf inputs that require grad: the inplace=True
    # entries check the constructor and repr only
    ModuleInfo("Hardtanh-inplace", lambda nn: nn.Hardtanh(-2.0, 3, inplace=True),
               input_shapes=()),
    ModuleInfo("ReLU6", lambda nn: nn.ReLU6(), scale=4.0, shift=2.0),  # both kinks in range
    ModuleInfo("ReLU6-inplace", lambda nn: nn.ReLU6(inplace=True), input_shapes=()),
    ModuleInfo("Hardswish", lambda nn: nn.Hardswish()),
    ModuleInfo("Hardsigmoid", lambda nn: nn.Hardsigmoid()),
    ModuleInfo("Hardsigmoid-inplace", lambda nn: nn.Hardsigmoid(inplace=True), input_shapes=()),
    ModuleInfo("Threshold", lambda nn: nn.Threshold(0.1, 20.0)),
    ModuleInfo("Threshold-int", lambda nn: nn.Threshold(-1, 2, inplace=True), input_shapes=()),
    ModuleInfo("PReLU", lambda nn: nn.PReLU()),
    ModuleInfo("PReLU-channels", lambda nn: nn.PReLU(3, init=0.1),
               input_shapes=((4, 3), (2, 3, 5))),
]
