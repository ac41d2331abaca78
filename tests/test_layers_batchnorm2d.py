"""Batch norm over images and volumes (``nn.BatchNorm2d``, ``nn.BatchNorm3d``,
``F.batch_norm`` on 2-D to 5-D input) and instance norm (``F.instance_norm``,
``nn.InstanceNorm1d/2d/3d``) against PyTorch: running statistics over several steps, eval,
unbatched input, and PyTorch's errors, on every backend (the Numba one runs its fused
per-channel kernel)."""

import warnings

import numpy as np
import pytest
from test_nn_parity import F32, F64, check, check_running_stats, compare_pass, paired, randn

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _on_every_backend(backend):
    """Every test here runs once per backend (the ``backend`` fixture of conftest)."""


# ----------------------------------------------------------------------------- BatchNorm2d/3d
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("layer, shape", [("BatchNorm2d", (4, 3, 5, 2)),
                                          ("BatchNorm3d", (2, 3, 2, 3, 2))], ids=["2d", "3d"])
def test_batch_norm_training_steps_then_eval(layer, shape, momentum, dtype):
    rng = np.random.default_rng(1)
    mg_bn, torch_bn = paired(lambda nn: getattr(nn, layer)(3, momentum=momentum), dtype)
    for step in range(4):
        x = randn(rng, *shape, dtype=dtype, scale=step + 1) + step
        compare_pass(f"{layer} step {step}", mg_bn, torch_bn, x, rng)
        check_running_stats(f"{layer} step {step}", mg_bn, torch_bn, dtype)
    mg_bn.eval()
    torch_bn.eval()
    compare_pass(f"{layer} eval", mg_bn, torch_bn, randn(rng, *shape, dtype=dtype), rng)
    check_running_stats(f"{layer} after eval", mg_bn, torch_bn, dtype)


@pytest.mark.parametrize("options", [{"affine": False}, {"track_running_stats": False}],
                         ids=["no_affine", "no_running_stats"])
def test_batch_norm_2d_options_in_training_and_eval(options):
    rng = np.random.default_rng(2)
    mg_bn, torch_bn = paired(lambda nn: nn.BatchNorm2d(3, **options))
    assert list(mg_bn.state_dict()) == list(torch_bn.state_dict())
    compare_pass("BatchNorm2d train", mg_bn, torch_bn, randn(rng, 3, 3, 2, 4) + 3, rng)
    mg_bn.eval()
    torch_bn.eval()
    compare_pass("BatchNorm2d eval", mg_bn, torch_bn, randn(rng, 3, 3, 2, 4) * 2, rng)


def test_batch_norm_2d_of_a_channels_last_view_and_a_large_offset():
    """A permuted (not contiguous) float32 input offset by 1e4: output and input gradient
    match PyTorch's float64 result on the same values to float32 rounding."""
    rng = np.random.default_rng(3)
    data = (randn(rng, 4, 5, 6, 3) + 1e4).astype(F64)  # (N, H, W, C), float32 values
    cotangent = randn(rng, 4, 3, 5, 6, dtype=F64)
    mg_bn, torch_bn = paired(lambda nn: nn.BatchNorm2d(3))
    x = mg.tensor(data.astype(F32), requires_grad=True)
    y = mg_bn(x.permute(0, 3, 1, 2))
    y.backward(mg.tensor(cotangent.astype(F32)))
    x_torch = torch.tensor(data, requires_grad=True)
    y_torch = torch_bn.double()(x_torch.permute(0, 3, 1, 2))
    y_torch.backward(torch.tensor(cotangent))
    np.testing.assert_allclose(y.numpy(), y_torch.detach().numpy(), atol=1e-4)
    np.testing.assert_allclose(x.grad.numpy(), x_torch.grad.numpy(), atol=1e-4)
    check("running_mean", mg_bn.running_mean, torch_bn.running_mean.float(), F32)


@pytest.mark.parametrize("ndim", [2, 3, 4, 5])
def test_functional_batch_norm_takes_2d_to_5d_input(ndim):
    rng = np.random.default_rng(ndim)
    x = randn(rng, *(3, 4, 3, 2, 2)[:ndim], dtype=F64)
    weight, bias = randn(rng, 4, dtype=F64), randn(rng, 4, dtype=F64)
    mg_stats = [mg.zeros(4, dtype=mg.float64), mg.ones(4, dtype=mg.float64)]
    torch_stats = [torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)]
    for training in (True, False):
        got = F.batch_norm(mg.tensor(x), *mg_stats, mg.tensor(weight), mg.tensor(bias),
                           training, 0.3)
        want = torch.nn.functional.batch_norm(torch.tensor(x), *torch_stats,
                                              torch.tensor(weight), torch.tensor(bias),
                                              training, 0.3)
        check(f"{ndim}-D training={training}", got, want, F64)
        for mine, theirs in zip(mg_stats, torch_stats):
            check(f"{ndim}-D running statistics", mine, theirs, F64)


@pytest.mark.parametrize("layer, shape, message", [
    ("BatchNorm2d", (2, 3, 4), "expected 4D input \\(got 3D input"),
    ("BatchNorm2d", (2, 3, 4, 4, 4), "expected 4D input \\(got 5D input"),
    ("BatchNorm3d", (2, 3, 4, 4), "expected 5D input \\(got 4D input"),
    ("BatchNorm1d", (2, 3, 4, 4), "expected 2D or 3D input \\(got 4D input")])
def test_batch_norm_modules_check_the_input_rank(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        getattr(nn, layer)(3)(mg.randn(*shape))
    with pytest.raises(ValueError, match=message):
        getattr(torch.nn, layer)(3)(torch.randn(*shape))


def test_batch_norm_2d_needs_more_than_one_value_per_channel_in_training():
    bn = nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        bn(mg.randn(1, 3, 1, 1))
    assert bn(mg.randn(2, 3, 1, 1)).shape == (2, 3, 1, 1)
    assert bn.eval()(mg.randn(1, 3, 1, 1)).shape == (1, 3, 1, 1)


def test_functional_batch_norm_errors_are_pytorchs():
    x, stats = mg.randn(2, 3, 2, 2), (mg.zeros(3), mg.ones(3))
    with pytest.raises(ValueError, match="eps must be positive during training"):
        F.batch_norm(x, *stats, training=True, eps=0.0)
    with pytest.raises(ValueError, match="eps must be non-negative"):
        F.batch_norm(x, *stats, training=False, eps=-1e-5)
    with pytest.raises(ValueError, match="both be None or neither"):
        F.batch_norm(x, stats[0], None, training=True)
    with pytest.raises(RuntimeError, match="running_mean"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match="at least 2 dims"):
        F.batch_norm(mg.randn(3), None, None, training=True)
    with pytest.raises(RuntimeError, match=r"weight has shape \(4,\).*\(2, 3, 2, 2\)"):
        F.batch_norm(x, None, None, mg.ones(4), training=True)


def test_batch_norm_2d_of_an_empty_batch_leaves_the_running_statistics():
    bn = nn.BatchNorm2d(3)
    x = mg.randn(0, 3, 2, 2, requires_grad=True)
    y = bn(x)
    y.sum().backward()
    assert y.shape == (0, 3, 2, 2) and x.grad.shape == (0, 3, 2, 2)
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))


def test_batch_norm_2d_refuses_to_mix_float32_and_float64():
    with pytest.raises(mg.errors.DTypeError):
        nn.BatchNorm2d(3)(mg.randn(2, 3, 2, 2, dtype=mg.float64))


# ----------------------------------------------------------------------------- instance norm
@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 3, 2, 4), (2, 3, 2, 2, 3)],
                         ids=["1d", "2d", "3d"])
def test_functional_instance_norm_moves_running_statistics_as_pytorch(shape):
    rng = np.random.default_rng(5)
    weight, bias = randn(rng, 3, dtype=F64), randn(rng, 3, dtype=F64)
    mg_stats, torch_stats = (mg.zeros(3, dtype=mg.float64), mg.ones(3, dtype=mg.float64)), \
        (torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64))
    for step in range(3):
        x = randn(rng, *shape, dtype=F64, scale=step + 1) + step
        got = F.instance_norm(mg.tensor(x), *mg_stats, mg.tensor(weight), mg.tensor(bias),
                              momentum=0.2)
        want = torch.nn.functional.instance_norm(torch.tensor(x), *torch_stats,
                                                 torch.tensor(weight), torch.tensor(bias),
                                                 momentum=0.2)
        check(f"step {step}", got, want, F64)
        for mine, theirs in zip(mg_stats, torch_stats):
            check(f"step {step} running statistics", mine, theirs, F64)
    x = randn(rng, *shape, dtype=F64)
    check("use_input_stats=False", F.instance_norm(mg.tensor(x), *mg_stats,
                                                   use_input_stats=False),
          torch.nn.functional.instance_norm(torch.tensor(x), *torch_stats,
                                            use_input_stats=False), F64)


@pytest.mark.parametrize("layer, shape", [("InstanceNorm1d", (2, 3, 6)),
                                          ("InstanceNorm1d", (3, 6)),
                                          ("InstanceNorm2d", (2, 3, 3, 4)),
                                          ("InstanceNorm2d", (3, 3, 4)),
                                          ("InstanceNorm3d", (3, 2, 2, 3))],
                         ids=["1d", "1d_unbatched", "2d", "2d_unbatched", "3d_unbatched"])
def test_instance_norm_tracking_running_statistics_then_eval(layer, shape):
    rng = np.random.default_rng(6)
    mg_in, torch_in = paired(lambda nn: getattr(nn, layer)(3, affine=True,
                                                           track_running_stats=True))
    for step in range(3):
        compare_pass(f"{layer} step {step}", mg_in, torch_in,
                     randn(rng, *shape, scale=step + 1) - step, rng)
        check_running_stats(f"{layer} step {step}", mg_in, torch_in, F32)
    assert int(mg_in.num_batches_tracked.item()) == 0  # PyTorch never counts them here
    mg_in.eval()
    torch_in.eval()
    compare_pass(f"{layer} eval", mg_in, torch_in, randn(rng, *shape), rng)


def test_instance_norm_defaults_keep_no_state_and_momentum_none_freezes_the_stats():
    default = nn.InstanceNorm2d(3)
    assert list(default.state_dict()) == [] and list(default.parameters()) == []
    frozen = nn.InstanceNorm1d(3, track_running_stats=True, momentum=None)
    frozen(mg.randn(4, 3, 5) + 2)
    np.testing.assert_array_equal(frozen.running_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(frozen.running_var.numpy(), np.ones(3))


def test_instance_norm_errors_and_warnings_are_pytorchs():
    with pytest.raises(ValueError, match="expected 3D or 4D input \\(got 2D input"):
        nn.InstanceNorm2d(3)(mg.randn(3, 4))
    with pytest.raises(ValueError, match="to match num_features \\(4\\), but got: 3"):
        nn.InstanceNorm1d(4, affine=True)(mg.randn(2, 3, 5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert nn.InstanceNorm1d(4)(mg.randn(2, 3, 5)).shape == (2, 3, 5)
    assert any("does not match num_features" in str(w.message) for w in caught)
    with pytest.raises(ValueError, match="Expected more than 1 spatial element"):
        nn.InstanceNorm1d(3)(mg.randn(2, 3, 1))
    with pytest.raises(RuntimeError, match="use_input_stats is false"):
        F.instance_norm(mg.randn(2, 3, 4), use_input_stats=False)
    with pytest.raises(ValueError, match="both be None or neither"):
        F.instance_norm(mg.randn(2, 3, 4), mg.zeros(3))
