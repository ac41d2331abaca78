"""Registry entries of clamp, lerp, addcmul, addcdiv and nan_to_num
(``minigrad/ops/pointwise_ternary.py``)."""

import minigrad as mg
from minigrad.ops import pointwise_ternary as ternary
from minigrad.testing.op_db.base import Domain, OpInfo, SampleInput

_LO, _HI = -0.5, 0.7  # the number bounds; inputs keep away from them (clamp's kinks)


def _clamp_samples(make):
    """Number bounds, and tensor bounds near them (within 0.05, so that inputs stay 0.05
    away), broadcast, one-sided, and crossed (lo > hi: hi wins, as PyTorch)."""
    def near(value, *shape):  # NOTE: drawn directly: ``make`` would push them off the bound
        return make.xp.asarray(make.rng.uniform(value - 0.05, value + 0.05, shape))

    return [SampleInput((make(3, 4),), {"min": _LO, "max": _HI}, name="both"),
            SampleInput((make(3, 4),), {"min": _LO}, name="min_only"),
            SampleInput((make(3, 4),), {"max": _HI}, name="max_only"),
            SampleInput((make(),), {"min": _LO, "max": _HI}, name="scalar"),
            SampleInput((make(3, 4), near(_LO, 3, 4), near(_HI, 3, 4)), name="tensor_bounds"),
            SampleInput((make(3, 4), near(_LO, 4), near(_HI, 3, 1)), name="broadcast_bounds"),
            SampleInput((make(4), near(_LO, 2, 4)), name="min_tensor_grows_input"),
            SampleInput((make(3, 4), None, near(_HI, 4)), name="max_tensor_only"),
            SampleInput((make(2, 3), make(2, 3, low=1.0, high=1.5), make(3, low=-0.2, high=0.2)),
                        name="crossed_bounds"),
            SampleInput((make(0, 3), near(_LO, 3), near(_HI, 3)), name="empty")]


def _lerp_samples(make):
    return [SampleInput((make(3, 4), make(3, 4), 0.3), name="number_weight"),
            SampleInput((make(3, 4), make(3, 4), 0.8), name="number_weight_past_half"),
            SampleInput((make(3, 4), make(4), make(3, 1)), name="tensor_weight_broadcast"),
            SampleInput((make(), make(2), make()), name="scalar_tensors"),
            SampleInput((make(0, 2), make(2), make(2)), name="empty")]


def _fused_samples(make, divisor):
    """``input, tensor1, tensor2`` for addcmul (any ``tensor2``) or addcdiv (``divisor``
    keeps it away from 0)."""
    return [SampleInput((make(3, 4), make(3, 4), divisor(3, 4)), name="same_shape"),
            SampleInput((make(3, 4), make(4), divisor(3, 1)), {"value": -0.5}, name="broadcast"),
            SampleInput((make(), make(2, 3), divisor(2, 3)), {"value": 2}, name="scalar_input"),
            SampleInput((make(1), make(1), divisor(1)), name="one_element"),
            SampleInput((make(0, 3), make(3), divisor(3)), name="empty")]


def _addcmul_samples(make):
    return _fused_samples(make, make)


def _addcdiv_samples(make):
    def divisor(*shape):
        return make(*shape, low=0.5, high=2.0) * make.rng.choice([-1.0, 1.0], shape)
    return _fused_samples(make, divisor)


def _nan_to_num_samples(make):
    """Inputs with nan, +inf and -inf; explicit replacements, so that the float32 and float64
    results (whose default replacements differ) are both held to one reference."""
    def with_nonfinite(*shape):
        x = make(*shape)
        flat = x.reshape(-1)
        flat[:3] = [float("nan"), float("inf"), -float("inf")]
        return x
    return [SampleInput((with_nonfinite(3, 4),), {"posinf": 5.0, "neginf": -6.0},
                        name="replaced"),
            SampleInput((with_nonfinite(2, 3),), {"nan": 1.5, "posinf": 2.0, "neginf": -2.0},
                        name="all_replacements"),
            SampleInput((make(2, 3),), name="finite"),
            SampleInput((make(),), name="scalar"),
            SampleInput((make(0, 2),), name="empty")]


def _lerp_ref(xp, input, end, weight):
    return input + weight * (end - input)


OPS = [
    OpInfo("clamp", lambda x, *bounds, **kw: x.clamp(*bounds, **kw), ternary.Clamp,
           lambda xp, x, min=None, max=None: xp.clip(x, min, max), _clamp_samples,
           domain=Domain(away_from=(_LO, _HI)),
           torch_op=lambda torch, x, *bounds, **kw: torch.clamp(x, *bounds, **kw)),
    OpInfo("lerp", mg.lerp, ternary.Lerp, _lerp_ref, _lerp_samples,
           torch_op=lambda torch, *args: torch.lerp(*args)),
    OpInfo("addcmul", mg.addcmul, ternary.Addcmul,
           lambda xp, input, t1, t2, value=1: input + value * t1 * t2, _addcmul_samples,
           torch_op=lambda torch, *args, **kw: torch.addcmul(*args, **kw)),
    OpInfo("addcdiv", mg.addcdiv, ternary.Addcdiv,
           lambda xp, input, t1, t2, value=1: input + value * t1 / t2, _addcdiv_samples,
           torch_op=lambda torch, *args, **kw: torch.addcdiv(*args, **kw)),
    OpInfo("nan_to_num", mg.nan_to_num, ternary.NanToNum,
           lambda xp, x, **kw: xp.nan_to_num(x, **kw), _nan_to_num_samples,
           torch_op=lambda torch, x, **kw: torch.nan_to_num(x, **kw)),
]

MODULES = []  # no layer of its own
