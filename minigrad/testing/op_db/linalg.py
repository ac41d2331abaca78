"""Registry entries of matmul, linear and bilinear (``minigrad/ops/linalg.py``)."""

from collections import OrderedDict

from minigrad.nn import functional as F
from minigrad.ops import linalg
from minigrad.testing.op_db.base import ModuleInfo, OpInfo, SampleInput


def _matmul_samples(make):
    return [SampleInput((make(3, 4), make(4, 5)), name="2d"),
            SampleInput((make(4), make(4)), name="dot"),
            SampleInput((make(4), make(4, 3)), name="vector_matrix"),
            SampleInput((make(3, 4), make(4)), name="matrix_vector"),
            SampleInput((make(2, 3, 4), make(4, 2)), name="batched_broadcast"),
            SampleInput((make(2, 1, 3, 4), make(3, 4, 2)), name="batch_broadcast_both"),
            SampleInput((make(4), make(2, 4, 3)), name="vector_batched"),
            SampleInput((make(1, 1), make(1, 1)), name="one_element"),
            SampleInput((make(0, 4), make(4, 2)), name="empty")]


def _linear_samples(make):
    return [SampleInput((make(4, 3), make(2, 3), make(2)), name="batch"),
            SampleInput((make(4, 3), make(2, 3)), name="no_bias"),
            SampleInput((make(3), make(2, 3), make(2)), name="vector"),
            SampleInput((make(2, 5, 3), make(4, 3), make(4)), name="3d")]


def _linear_ref(xp, x, weight, bias=None):
    return x @ weight.T + (0 if bias is None else bias)


def _bilinear_samples(make):
    return [SampleInput((make(4, 3), make(4, 2), make(5, 3, 2), make(5)), name="batch"),
            SampleInput((make(4, 3), make(4, 2), make(5, 3, 2)), name="no_bias"),
            SampleInput((make(3), make(2), make(2, 3, 2), make(2)), name="vector"),
            SampleInput((make(2, 3, 3), make(2, 3, 2), make(4, 3, 2), make(4)), name="3d"),
            SampleInput((make(1, 1), make(1, 1), make(1, 1, 1)), name="one_element"),
            SampleInput((make(0, 3), make(0, 2), make(5, 3, 2), make(5)), name="empty")]


def _bilinear_ref(xp, x1, x2, weight, bias=None):
    return xp.einsum("...i,kij,...j->...k", x1, weight, x2) + (0 if bias is None else bias)


OPS = [
    OpInfo("matmul", lambda a, b: a @ b, linalg.MatMul, lambda xp, a, b: a @ b,
           _matmul_samples, torch_op=lambda torch, a, b: a @ b, forward_rtol32=1e-4),
    OpInfo("linear", F.linear, linalg.Linear, _linear_ref, _linear_samples,
           torch_op=lambda torch, *args: torch.nn.functional.linear(*args),
           forward_rtol32=1e-4),
    OpInfo("bilinear", F.bilinear, linalg.Bilinear, _bilinear_ref, _bilinear_samples,
           torch_op=lambda torch, *args: torch.nn.functional.bilinear(*args),
           forward_rtol32=1e-4),
]

MODULES = [
    ModuleInfo("Linear", lambda nn: nn.Linear(5, 4), input_shapes=((8, 5), (2, 3, 5)), scale=1.0),
    ModuleInfo("Linear-no_bias", lambda nn: nn.Linear(5, 4, bias=False),
               input_shapes=((8, 5), (2, 3, 5)), scale=1.0),
    ModuleInfo("Bilinear", lambda nn: nn.Bilinear(3, 2, 4), input_shapes=()),
    ModuleInfo("Bilinear-no_bias", lambda nn: nn.Bilinear(3, 2, 4, bias=False),
               input_shapes=()),
    ModuleInfo("Identity", lambda nn: nn.Identity()),
    ModuleInfo("Sequential", lambda nn: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)),
               input_shapes=((5, 3), (2, 4, 3)), scale=1.0),
    ModuleInfo("Sequential-named", lambda nn: nn.Sequential(OrderedDict(
        encoder=nn.Linear(3, 4), act=nn.ReLU(), decoder=nn.Linear(4, 2))),
        input_shapes=((5, 3),), scale=1.0),
    ModuleInfo("Sequential-nested_with_flatten", lambda nn: nn.Sequential(
        nn.Flatten(), nn.Sequential(nn.Linear(6, 4), nn.Tanh()), nn.Unflatten(1, (2, 2))),
        input_shapes=((5, 2, 3),), scale=1.0),
    # containers without a forward: state dict keys and repr only
    ModuleInfo("ModuleList", lambda nn: nn.ModuleList(
        [nn.Linear(3, 4), nn.Linear(3, 4), nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)]),
        input_shapes=()),
    ModuleInfo("ModuleList-nested", lambda nn: nn.ModuleList(
        [nn.ModuleList([nn.Linear(2, 2)]), nn.Sequential(nn.Linear(2, 3), nn.ReLU())]),
        input_shapes=()),
    ModuleInfo("ModuleDict", lambda nn: nn.ModuleDict(
        {"head": nn.Linear(3, 2), "act": nn.ReLU(), "blocks": nn.ModuleList([nn.Linear(2, 2)])}),
        input_shapes=()),
]
