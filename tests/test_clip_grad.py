"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (and the two halves
``get_total_norm`` / ``clip_grads_with_norm_``) against PyTorch's, their invariants (the
pre-clip norm is returned, the direction is kept, in place with no graph), non-finite
gradients, and the training loops of the seed examples run step for step beside PyTorch.
"""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn.utils import (
                               clip_grad_norm_,
                               clip_grad_value_,
                               clip_grads_with_norm_,
                               get_total_norm,
)

SHAPES = [(3, 4), (5,), (2, 3, 2), (1,), (4,)]
NO_GRAD = 3  # the parameter left without a gradient: every function must skip it
NORM_TYPES = [1, 2, 3.5, math.inf, 0.5]
DTYPES = ["float32", "float64"]
# float32 matched torch exactly here, float64 to 3e-16; allow ~10 ulp / ~10x that
RTOL = {"float32": 1e-6, "float64": 2e-15}


def _grads(dtype="float32", scale=3.0, seed=0):
    rng = np.random.default_rng(seed)
    return [None if i == NO_GRAD else (scale * rng.standard_normal(shape)).astype(dtype)
            for i, shape in enumerate(SHAPES)]


def _params(lib, grads, dtype="float32"):
    """Parameters of ``SHAPES`` in ``lib`` (torch or minigrad) holding copies of ``grads``."""
    params = []
    for shape, grad in zip(SHAPES, grads):
        p = lib.nn.Parameter(lib.tensor(np.zeros(shape, dtype)))
        if grad is not None:
            p.grad = lib.tensor(grad.copy())
        params.append(p)
    return params


def _grad_arrays(params):
    return [None if p.grad is None else np.asarray(p.grad.numpy()).copy() for p in params]


def _reference_norm(grads, norm_type):
    """The norm of all gradients concatenated, in float64 NumPy."""
    flat = np.concatenate([g.reshape(-1) for g in grads if g is not None]).astype(np.float64)
    if norm_type == math.inf:
        return np.abs(flat).max()
    return (np.abs(flat) ** norm_type).sum() ** (1.0 / norm_type)


def _assert_grads_equal(actual, expected, rtol):
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert (a is None) == (e is None), f"parameter {i}: grad presence differs"
        if a is not None:
            np.testing.assert_allclose(a, e, rtol=rtol, atol=0, err_msg=f"parameter {i}")


# ---------------------------------------------------------------- PyTorch parity
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=str)
@pytest.mark.parametrize("max_norm", [1.0, 1e4], ids=["clips", "keeps"])
def test_clip_grad_norm_matches_torch(norm_type, dtype, max_norm, backend):
    torch = pytest.importorskip("torch")
    grads = _grads(dtype)
    m_params, t_params = _params(mg, grads, dtype), _params(torch, grads, dtype)
    m_norm = clip_grad_norm_(m_params, max_norm, norm_type)
    t_norm = torch.nn.utils.clip_grad_norm_(t_params, max_norm, norm_type)
    assert m_norm.shape == () and m_norm.dtype == getattr(mg, dtype)
    np.testing.assert_allclose(m_norm.numpy(), t_norm.numpy(), rtol=RTOL[dtype])
    assert (float(t_norm) > max_norm) == (max_norm == 1.0)
    _assert_grads_equal(_grad_arrays(m_params), _grad_arrays(t_params), RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=str)
def test_get_total_norm_and_clip_grads_with_norm_match_torch(norm_type, dtype, backend):
    torch = pytest.importorskip("torch")
    grads = _grads(dtype, seed=1)
    m_params, t_params = _params(mg, grads, dtype), _params(torch, grads, dtype)
    m_norm = get_total_norm([p.grad for p in m_params if p.grad is not None], norm_type)
    t_norm = torch.nn.utils.get_total_norm([p.grad for p in t_params if p.grad is not None],
                                           norm_type)
    np.testing.assert_allclose(m_norm.numpy(), t_norm.numpy(), rtol=RTOL[dtype])
    clip_grads_with_norm_(m_params, 0.5, m_norm)
    torch.nn.utils.clip_grads_with_norm_(t_params, 0.5, t_norm)
    _assert_grads_equal(_grad_arrays(m_params), _grad_arrays(t_params), RTOL[dtype])


def test_single_tensor_is_accepted():
    torch = pytest.importorskip("torch")
    grads = _grads()
    m_param, t_param = _params(mg, grads)[0], _params(torch, grads)[0]
    m_norm, t_norm = clip_grad_norm_(m_param, 1.0), torch.nn.utils.clip_grad_norm_(t_param, 1.0)
    np.testing.assert_allclose(float(m_norm), float(t_norm), rtol=1e-6)
    np.testing.assert_allclose(m_param.grad.numpy(), t_param.grad.numpy(), rtol=1e-6)
    clip_grad_value_(m_param, 0.1)
    torch.nn.utils.clip_grad_value_(t_param, 0.1)
    np.testing.assert_array_equal(m_param.grad.numpy(), t_param.grad.numpy())
    np.testing.assert_allclose(float(get_total_norm(m_param.grad, 3.5)),
                               float(torch.nn.utils.get_total_norm(t_param.grad, 3.5)),
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_grad_value_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    grads = _grads(dtype)
    m_params, t_params = _params(mg, grads, dtype), _params(torch, grads, dtype)
    clip_grad_value_(m_params, 1.5)
    torch.nn.utils.clip_grad_value_(t_params, 1.5)
    _assert_grads_equal(_grad_arrays(m_params), _grad_arrays(t_params), rtol=0)


# ---------------------------------------------------------------- invariants, no torch
@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=str)
def test_returns_the_pre_clip_norm_as_a_0d_tensor(norm_type):
    grads = _grads("float64")
    params = _params(mg, grads, "float64")
    norm = clip_grad_norm_(params, 0.1, norm_type)
    assert isinstance(norm, mg.Tensor) and norm.shape == () and norm.grad_fn is None
    assert float(norm) == pytest.approx(_reference_norm(grads, norm_type), rel=1e-12)
    assert float(get_total_norm([p.grad for p in params], norm_type)) == \
        pytest.approx(0.1, rel=1e-5)


def test_no_gradients_gives_zero():
    for params in ([], [mg.nn.Parameter(mg.ones(3))]):
        norm = clip_grad_norm_(params, 1.0)
        assert isinstance(norm, mg.Tensor) and norm.shape == () and float(norm) == 0.0
    assert float(get_total_norm([])) == 0.0
    assert params[0].grad is None


@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=str)
def test_norm_clipping_keeps_the_direction(norm_type):
    grads = _grads()
    before = np.concatenate([g.reshape(-1) for g in grads if g is not None]).astype(np.float64)
    params = _params(mg, grads)
    max_norm = 0.25 * _reference_norm(grads, norm_type)
    clip_grad_norm_(params, max_norm, norm_type)
    after_grads = _grad_arrays(params)
    after = np.concatenate([g.reshape(-1) for g in after_grads if g is not None])
    after = after.astype(np.float64)
    cosine = before @ after / (np.linalg.norm(before) * np.linalg.norm(after))
    assert cosine == pytest.approx(1.0, abs=1e-6)
    assert _reference_norm(after_grads, norm_type) == pytest.approx(max_norm, rel=1e-5)
    assert after_grads[NO_GRAD] is None


def test_norm_below_max_norm_leaves_gradients_unchanged():
    grads = _grads()
    params = _params(mg, grads)
    clip_grad_norm_(params, 1.01 * _reference_norm(grads, 2), 2)
    _assert_grads_equal(_grad_arrays(params), grads, rtol=0)


def test_clip_grad_value_bounds_every_element():
    grads = _grads(scale=3.0)
    params = _params(mg, grads)
    clip_grad_value_(params, 1.0)
    for before, after in zip(grads, _grad_arrays(params)):
        if before is None:
            assert after is None
            continue
        inner = np.abs(before) <= 1.0
        assert inner.any() and not inner.all()
        np.testing.assert_array_equal(after[inner], before[inner])
        np.testing.assert_array_equal(after[~inner], np.sign(before[~inner]))


def test_negative_limits_raise():
    params = _params(mg, _grads())
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm_(params, -1.0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_grads_with_norm_(params, -1.0, get_total_norm([p.grad for p in params
                                                             if p.grad is not None]))
    # NOTE: a minigrad difference: PyTorch would clamp every element to the negative bound
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value_(params, -0.5)
    _assert_grads_equal(_grad_arrays(params), _grads(), rtol=0)


@pytest.mark.parametrize("clip", ["norm", "value"])
def test_clipping_is_in_place_and_builds_no_graph(clip):
    params = _params(mg, _grads())
    grads = [p.grad for p in params]
    versions = [None if g is None else g._version for g in grads]
    result = clip_grad_norm_(params, 0.5) if clip == "norm" else clip_grad_value_(params, 0.5)
    if clip == "norm":
        assert result.grad_fn is None and not result.requires_grad
    for p, g, version in zip(params, grads, versions):
        assert p.grad is g
        if g is not None:
            assert g.grad_fn is None and not g.requires_grad and g._version > version
        assert p.grad_fn is None and p.is_leaf


# ---------------------------------------------------------------- non-finite gradients
NONFINITE = {"nan": {1: [(0, np.nan)]}, "inf": {4: [(2, np.inf)]},
             "inf-and-nan": {0: [(1, 2, -np.inf)], 4: [(0, np.nan)]}}


def _nonfinite_grads(dtype, case):
    grads = _grads(dtype)
    for index, spots in NONFINITE[case].items():
        for *where, value in spots:
            grads[index][tuple(where)] = value
    return grads


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=str)
@pytest.mark.parametrize("case", list(NONFINITE))
def test_nonfinite_gradients_scale_as_in_torch(case, norm_type, dtype):
    torch = pytest.importorskip("torch")
    grads = _nonfinite_grads(dtype, case)
    m_params, t_params = _params(mg, grads, dtype), _params(torch, grads, dtype)
    with np.errstate(invalid="ignore"):
        m_norm = clip_grad_norm_(m_params, 1.0, norm_type)
    t_norm = torch.nn.utils.clip_grad_norm_(t_params, 1.0, norm_type)
    np.testing.assert_array_equal(m_norm.numpy(), t_norm.numpy())
    for i, (a, e) in enumerate(zip(_grad_arrays(m_params), _grad_arrays(t_params))):
        np.testing.assert_array_equal(a, e, err_msg=f"parameter {i}")


@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=str)
@pytest.mark.parametrize("case", list(NONFINITE))
def test_error_if_nonfinite_raises_and_changes_nothing(case, norm_type):
    grads = _nonfinite_grads("float32", case)
    params = _params(mg, grads)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, norm_type, error_if_nonfinite=True)
    for i, (before, after) in enumerate(zip(grads, _grad_arrays(params))):
        if before is not None:
            assert before.tobytes() == after.tobytes(), f"parameter {i} changed"


@pytest.mark.parametrize("case", list(NONFINITE))
def test_error_if_nonfinite_names_the_offending_parameters(case):
    params = _params(mg, _nonfinite_grads("float32", case))
    with pytest.raises(RuntimeError) as info:
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    message = str(info.value)
    for index, shape in enumerate(SHAPES):
        # NOTE: a parameter's index is its position in the list the caller passed, which
        # counts the parameter without a gradient too
        named = f"#{index} (shape {shape})" in message
        assert named == (index in NONFINITE[case]), f"parameter #{index}: {message}"


def test_error_if_nonfinite_is_also_torchs_behaviour():
    torch = pytest.importorskip("torch")
    params = _params(torch, _nonfinite_grads("float32", "nan"))
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


# ---------------------------------------------------------------- the seed loops
def _simple_net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))


def _batchnorm_net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))


SCHEDULERS = {"none": None, "StepLR": dict(step_size=5, gamma=0.5),
              "ExponentialLR": dict(gamma=0.9),
              "CyclicLR": dict(base_lr=0.001, max_lr=0.1, step_size_up=5)}


def _train(lib, model, clip, steps, scheduler="none", momentum=0.0):
    """The seeds' loop: MSE on batches scaled by 10 so that clipping triggers; returns one
    record per step (loss, the clip's measure before clipping, lrs, momentum, weights)."""
    rng = np.random.default_rng(7)
    lr = 0.01 if scheduler == "none" else 0.1
    opt = lib.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    sched = None if scheduler == "none" else \
        getattr(lib.optim.lr_scheduler, scheduler)(opt, **SCHEDULERS[scheduler])
    records = []
    for _ in range(steps):
        x = lib.tensor((10 * rng.standard_normal((32, 10))).astype(np.float32))
        y = lib.tensor(rng.standard_normal((32, 2)).astype(np.float32))
        opt.zero_grad()
        loss = lib.nn.functional.mse_loss(model(x), y)
        loss.backward()
        if clip == "norm":
            measure = float(lib.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0))
        else:
            measure = max(float(p.grad.abs().max()) for p in model.parameters())
            lib.nn.utils.clip_grad_value_(model.parameters(), 0.5)
        opt.step()
        if sched is not None:
            sched.step()
        records.append(dict(loss=loss.item(), measure=measure, lr=list(sched.get_last_lr())
                            if sched else [lr], momentum=opt.param_groups[0]["momentum"],
                            state={k: np.asarray(v.numpy() if hasattr(v, "numpy") else v,
                                                 dtype=np.float64).copy()
                                   for k, v in model.state_dict().items()}))
    return records


def _compare_loops(make_model, clip, steps, scheduler="none", momentum=0.0):
    """Both libraries' runs of ``_train`` from the same weights, compared after every step.
    The worst deviations seen were 2.2e-7 (losses, relative), 5.5e-7 (pre-clip norms) and
    2e-7 (weights and running statistics, as rtol = atol); the tolerances are ~10x those."""
    tol, norm_tol = 2e-6, 5e-6
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t_model, m_model = make_model(torch), make_model(mg)
    m_model.load_state_dict({k: v.numpy() for k, v in t_model.state_dict().items()})
    t_records = _train(torch, t_model, clip, steps, scheduler, momentum)
    m_records = _train(mg, m_model, clip, steps, scheduler, momentum)
    for step, (m, t) in enumerate(zip(m_records, t_records), start=1):
        assert m["loss"] == pytest.approx(t["loss"], rel=tol), f"loss at step {step}"
        assert m["measure"] == pytest.approx(t["measure"], rel=norm_tol), f"norm at step {step}"
        np.testing.assert_allclose(m["lr"], t["lr"], rtol=1e-12, err_msg=f"lr at {step}")
        assert m["momentum"] == pytest.approx(t["momentum"], rel=1e-12)
        for key in t["state"]:
            np.testing.assert_allclose(m["state"][key], t["state"][key], rtol=tol, atol=tol,
                                       err_msg=f"{key} after step {step}")
    threshold = 1.0 if clip == "norm" else 0.5
    clipped = sum(record["measure"] > threshold for record in m_records)
    assert clipped >= steps // 2, f"clipping triggered on only {clipped} of {steps} steps"
    return m_records


@pytest.mark.parametrize("clip", ["norm", "value"])
def test_seed_loop_simple_net(clip):
    _compare_loops(_simple_net, clip, 20)


def test_seed_loop_batchnorm_net():
    records = _compare_loops(_batchnorm_net, "norm", 20)
    assert records[-1]["state"]["1.num_batches_tracked"] == 20


@pytest.mark.parametrize("scheduler", ["StepLR", "ExponentialLR", "CyclicLR"])
def test_seed_loop_with_scheduler(scheduler):
    records = _compare_loops(_simple_net, "norm", 30, scheduler, momentum=0.9)
    assert len({tuple(r["lr"]) for r in records}) > 3
    if scheduler == "CyclicLR":
        assert {round(r["momentum"], 12) for r in records} >= {0.8, 0.9}


def _params_with(lib, grads):
    params = [lib.nn.Parameter(lib.tensor(np.zeros_like(g))) for g in grads]
    for p, g in zip(params, grads):
        p.grad = lib.tensor(g.copy())
    return params


def test_error_if_nonfinite_says_when_only_the_total_overflows():
    params = _params_with(mg, [np.full(1, 3e38, np.float32), np.full(1, 3e38, np.float32)])
    with pytest.raises(RuntimeError, match="together they overflow float32"), \
            np.errstate(over="ignore"):
        clip_grad_norm_(params, 1.0, norm_type=1, error_if_nonfinite=True)


def test_float32_squares_overflow_as_in_torch(backend):
    """A gradient whose float32 2-norm overflows gives inf, on every backend."""
    torch = pytest.importorskip("torch")
    grads = [np.full(4, 1e20, np.float32)]
    with np.errstate(over="ignore"):
        m_norm = clip_grad_norm_(_params_with(mg, grads), 1.0)
    t_norm = torch.nn.utils.clip_grad_norm_(_params_with(torch, grads), 1.0)
    assert np.isinf(m_norm.numpy()) and np.isinf(t_norm.numpy())
