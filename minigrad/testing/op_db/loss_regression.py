"""Registry entries of the regression losses (``minigrad/ops/loss_regression.py``)."""

import math

from minigrad.nn import functional as F
from minigrad.ops import loss_regression
from minigrad.testing.op_db.base import Domain, ModuleInfo, OpInfo, SampleInput
from minigrad.testing.op_db.loss import _reduce_ref

# NOTE: differences input - target are drawn here, times delta (beta): off the kinks at
# |z| = delta, and off 0, the kink of beta = 0 (plain L1)
KINKS = Domain(away_from=(-1.0, 0.0, 1.0))


def _around(make, *shape, delta=1.0, target_shape=None):
    """(input, target) with input - target = delta times a draw from the domain."""
    target = make(*(shape if target_shape is None else target_shape))
    return make.xp.asarray(target + delta * make(*shape)), target


def _huber_samples(make, parameter):
    return [SampleInput(_around(make, 4, 3), name="mean"),
            SampleInput(_around(make, 4, 3, delta=0.5), {parameter: 0.5, "reduction": "sum"},
                        name="sum"),
            SampleInput(_around(make, 5, delta=2.0), {parameter: 2.0, "reduction": "none"},
                        name="none"),
            SampleInput(_around(make, 4, 3, target_shape=(3,)), name="broadcast"),
            SampleInput(_around(make), name="scalar"),
            SampleInput(_around(make, 1), name="one_element"),
            SampleInput(_around(make, 0, 3), {"reduction": "sum"}, name="empty")]


def _huber_ref(xp, x, t, w=None, delta=1.0, reduction="mean", per_delta=False):
    size = xp.abs(x - t)
    losses = xp.where(size < delta, 0.5 * size ** 2, delta * (size - 0.5 * delta))
    losses = losses / delta if per_delta else losses
    return _reduce_ref(losses * (1 if w is None else w), reduction)


def _smooth_l1_ref(xp, x, t, beta=1.0, reduction="mean"):
    if beta == 0:
        return _reduce_ref(xp.abs(x - t), reduction)
    return _huber_ref(xp, x, t, None, beta, reduction, per_delta=True)


def _kl_samples(make):
    def p(*shape):
        return make(*shape, low=0.05, high=1.0)
    return [SampleInput((make(4, 3), p(4, 3)), {"reduction": "batchmean"}, name="batchmean"),
            SampleInput((make(4, 3), p(4, 3)), {"reduction": "sum"}, name="sum"),
            SampleInput((make(5), p(5)), {"reduction": "none"}, name="none"),
            SampleInput((make(4, 3), p(4, 3)), name="mean"),
            SampleInput((make(4, 3), make(4, 3)), {"reduction": "batchmean", "log_target": True},
                        name="log_target"),
            SampleInput((make(4, 3), make(3)), {"reduction": "none", "log_target": True},
                        name="log_target_broadcast"),
            SampleInput((make(), p()), {"reduction": "batchmean"}, name="scalar"),
            SampleInput((make(0, 3), p(0, 3)), {"reduction": "sum"}, name="empty")]


def _kl_ref(xp, x, t, reduction="mean", log_target=False):
    losses = xp.exp(t) * (t - x) if log_target else t * (xp.log(t) - x)
    if reduction == "batchmean":
        return losses.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce_ref(losses, reduction)


def _gaussian_samples(make):
    def var(*shape):
        return make(*shape, low=0.2, high=2.0)
    return [SampleInput((make(4, 3), make(4, 3), var(4, 3)), name="mean"),
            SampleInput((make(4, 3), make(4, 3), var(4)), {"reduction": "sum"},
                        name="var_per_row"),
            SampleInput((make(4, 3), make(4, 3), var(4, 1)), {"reduction": "none", "full": True},
                        name="var_size_one_dim"),
            SampleInput((make(4, 3), make(4, 3), 0.7), {"full": True}, name="var_number"),
            SampleInput((make(4, 3), make(3), var(4, 3)), name="broadcast_target"),
            SampleInput((make(), make(), var()), name="scalar"),
            SampleInput((make(0, 3), make(0, 3), var(0, 3)), {"reduction": "sum"},
                        name="empty")]


def _gaussian_ref(xp, x, t, var, full=False, eps=1e-6, reduction="mean"):
    var = xp.asarray(var)
    if var.ndim and var.shape == x.shape[:-1]:  # one variance per row
        var = var[..., None]
    var = xp.maximum(var, eps)
    losses = 0.5 * (xp.log(var) + (x - t) ** 2 / var) + (0.5 * math.log(2 * math.pi) * full)
    return _reduce_ref(losses, reduction)


def _poisson_samples(make):
    def counts(*shape):
        return make(*shape, low=0.0, high=4.0)  # drawn away from 1, the Stirling term's jump
    rates = make(4, 3, low=0.2, high=3.0)
    return [SampleInput((make(4, 3), counts(4, 3)), name="mean"),
            SampleInput((make(4, 3), counts(4, 3)), {"reduction": "sum", "full": True},
                        name="full"),
            SampleInput((rates, counts(4, 3)), {"log_input": False}, name="rate"),
            SampleInput((rates, counts(4, 3)), {"log_input": False, "full": True,
                                                "reduction": "none"}, name="rate_full"),
            SampleInput((make(4, 3), counts(3)), {"reduction": "none"}, name="broadcast"),
            # NOTE: not full: PyTorch takes the log of integer counts in float32
            SampleInput((make(4, 3), make.xp.asarray(make.index(5, 4, 3))), name="integer_counts"),
            SampleInput((make(), counts()), name="scalar"),
            SampleInput((make(0, 3), counts(0, 3)), {"reduction": "sum"}, name="empty")]


def _poisson_ref(xp, x, t, log_input=True, full=False, eps=1e-8, reduction="mean"):
    losses = xp.exp(x) - t * x if log_input else x - t * xp.log(x + eps)
    if full:
        safe = xp.where(t > 1, t, 1)
        stirling = safe * xp.log(safe) - safe + 0.5 * xp.log(2 * math.pi * safe)
        losses = losses + xp.where(t > 1, stirling, 0)
    return _reduce_ref(losses, reduction)


OPS = [
    OpInfo("huber_loss", lambda x, t, w=None, **kw: F.huber_loss(x, t, weight=w, **kw),
           loss_regression.HuberLoss, _huber_ref,
           lambda make: _huber_samples(make, "delta") + [
               SampleInput((*_around(make, 4, 3), make(4, 3, low=0.5, high=2.0)),
                           {"reduction": "none"}, name="weight")],
           domain=KINKS,
           torch_op=lambda torch, x, t, w=None, **kw: torch.nn.functional.huber_loss(
               x, t, weight=w, **kw)),
    OpInfo("smooth_l1_loss", lambda x, t, **kw: F.smooth_l1_loss(x, t, **kw),
           loss_regression.SmoothL1Loss, _smooth_l1_ref,
           lambda make: _huber_samples(make, "beta") + [
               SampleInput(_around(make, 4, 3), {"beta": 0.0}, name="l1")],
           domain=KINKS,
           torch_op=lambda torch, x, t, **kw: torch.nn.functional.smooth_l1_loss(x, t, **kw)),
    OpInfo("kl_div", lambda x, t, **kw: F.kl_div(x, t, **kw), loss_regression.KLDivLoss,
           _kl_ref, _kl_samples,
           torch_op=lambda torch, x, t, **kw: torch.nn.functional.kl_div(x, t, **kw)),
    OpInfo("gaussian_nll_loss", lambda x, t, v, **kw: F.gaussian_nll_loss(x, t, v, **kw),
           loss_regression.GaussianNLLLoss, _gaussian_ref, _gaussian_samples,
           torch_op=lambda torch, x, t, v, **kw: torch.nn.functional.gaussian_nll_loss(
               x, t, v, **kw)),
    OpInfo("poisson_nll_loss", lambda x, t, **kw: F.poisson_nll_loss(x, t, **kw),
           loss_regression.PoissonNLLLoss, _poisson_ref, _poisson_samples,
           domain=Domain(away_from=(1.0,)),
           torch_op=lambda torch, x, t, **kw: torch.nn.functional.poisson_nll_loss(x, t, **kw)),
]

# NOTE: as the other losses (op_db/loss.py), swept for state dict and repr only
MODULES = [
    ModuleInfo("HuberLoss", lambda nn: nn.HuberLoss(delta=0.5), input_shapes=()),
    ModuleInfo("SmoothL1Loss", lambda nn: nn.SmoothL1Loss(beta=2.0), input_shapes=()),
    ModuleInfo("KLDivLoss", lambda nn: nn.KLDivLoss(reduction="batchmean", log_target=True),
               input_shapes=()),
    ModuleInfo("GaussianNLLLoss", lambda nn: nn.GaussianNLLLoss(full=True), input_shapes=()),
    ModuleInfo("PoissonNLLLoss", lambda nn: nn.PoissonNLLLoss(log_input=False),
               input_shapes=()),
]
