"""The rules of ``nn.BatchNorm1d`` (batch-size and rank checks, running statistics and
momentum, eval, affine and track_running_stats off) and ``nn.LayerNorm`` (float32
stability, several normalized dims, no bias or affine, shape errors)."""

import numpy as np
import pytest
from nn_helpers import names

import minigrad as mg
from minigrad import nn


# ----------------------------------------------------------------------------- BatchNorm1d
@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1)])
def test_batch_norm_needs_more_than_one_value_per_channel_in_training(shape):
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(mg.randn(*shape))
    assert bn.eval()(mg.randn(*shape)).shape == shape  # running statistics need no batch


def test_batch_norm_rejects_4d_input():
    with pytest.raises(ValueError, match="4D"):
        nn.BatchNorm1d(3)(mg.randn(2, 3, 4, 5))


def test_batch_norm_updates_running_statistics_with_momentum():
    bn = nn.BatchNorm1d(3)
    x = mg.randn(16, 3, 5) * 2 + 1
    y = bn(x).numpy()
    data = x.numpy().astype(np.float64)
    mean, var = data.mean(axis=(0, 2)), data.var(axis=(0, 2))
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * var * 80 / 79, rtol=1e-5)
    expected = (data - mean[:, None]) / np.sqrt(var[:, None] + 1e-5)
    np.testing.assert_allclose(y, expected, atol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 1


def test_batch_norm_counts_batches_only_in_training():
    bn = nn.BatchNorm1d(3)
    for _ in range(3):
        bn(mg.randn(4, 3))
    bn.eval()(mg.randn(4, 3))
    assert int(bn.num_batches_tracked.item()) == 3
    assert bn.num_batches_tracked.dtype == mg.int64


def test_batch_norm_momentum_none_is_the_cumulative_average():
    bn = nn.BatchNorm1d(3, momentum=None)
    batches = [(mg.randn(10, 3) * (i + 1) + i).numpy() for i in range(4)]
    for batch in batches:
        bn(mg.tensor(batch))
    np.testing.assert_allclose(bn.running_mean.numpy(),
                               np.mean([b.mean(axis=0) for b in batches], axis=0), atol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(),
                               np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0),
                               rtol=1e-5)


def test_batch_norm_eval_uses_running_statistics():
    bn = nn.BatchNorm1d(2)
    with mg.no_grad():
        bn.running_mean.copy_(mg.tensor([1.0, -2.0]))
        bn.running_var.copy_(mg.tensor([4.0, 0.25]))
        bn.weight.copy_(mg.tensor([2.0, 1.0]))
        bn.bias.copy_(mg.tensor([0.5, 0.0]))
    x = mg.randn(5, 2)
    expected = (x.numpy() - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [2, 1] \
        + [0.5, 0]
    np.testing.assert_allclose(bn.eval()(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_batch_norm_without_affine_has_no_parameters():
    bn = nn.BatchNorm1d(3, affine=False)
    assert list(bn.parameters()) == []
    assert bn.weight is None and bn.bias is None
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    y = bn(mg.randn(8, 3) * 3 + 2).numpy()
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)


def test_batch_norm_without_running_stats_uses_batch_statistics_in_eval():
    bn = nn.BatchNorm1d(3, track_running_stats=False)
    assert bn.running_mean is None and bn.running_var is None
    assert bn.num_batches_tracked is None
    assert list(bn.buffers()) == []
    assert list(bn.state_dict()) == ["weight", "bias"]
    x = mg.randn(8, 3) * 3 + 2
    train_out = bn(x).numpy()
    eval_out = bn.eval()(x).numpy()
    np.testing.assert_array_equal(eval_out, train_out)
    np.testing.assert_allclose(eval_out.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(eval_out.var(axis=0), 1, rtol=1e-3)


# ----------------------------------------------------------------------------- LayerNorm
def test_layer_norm_is_stable_for_a_large_offset_in_float32():
    x = mg.randn(8, 64) + 1e4
    assert x.dtype == mg.float32
    y = nn.LayerNorm(64)(x).numpy().astype(np.float64)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-3)
    np.testing.assert_allclose(y.var(axis=-1), 1, atol=1e-3)


def test_layer_norm_over_two_trailing_dims():
    x = mg.randn(4, 3, 5) * 5 - 3
    y = nn.LayerNorm((3, 5))(x).numpy()
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1, rtol=1e-3)


def test_layer_norm_without_bias_or_affine():
    no_bias = nn.LayerNorm(4, bias=False)
    assert no_bias.bias is None and names(no_bias.named_parameters()) == ["weight"]
    assert list(no_bias.state_dict()) == ["weight"]
    no_affine = nn.LayerNorm(4, elementwise_affine=False)
    assert list(no_affine.parameters()) == [] and list(no_affine.state_dict()) == []
    x = mg.randn(3, 4)
    np.testing.assert_allclose(no_bias(x).numpy(), no_affine(x).numpy(), rtol=1e-6)


def test_layer_norm_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError) as info:
        nn.LayerNorm(5)(mg.randn(3, 4))
    assert "(5,)" in str(info.value) and "(3, 4)" in str(info.value)
