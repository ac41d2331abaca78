"""The convolution layers against ``torch.nn`` beyond the module sweep: constructor errors,
PyTorch's initialization bounds, ``ConvTranspose2d(output_size=...)``, and a small LeNet
whose state dict goes from torch to minigrad and back."""

import math

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("args, kwargs", [
    ((4, 6, 3), {"groups": 0}),
    ((4, 6, 3), {"groups": 3}),  # in_channels
    ((6, 4, 3), {"groups": 3}),  # out_channels
    ((3, 4, 3), {"padding": "full"}),
    ((3, 4, 3), {"padding": "same", "stride": 2}),
    ((3, 4, 3), {"padding_mode": "mirror"}),
], ids=["groups", "in_channels", "out_channels", "padding_string", "same_strided",
        "padding_mode"])
def test_conv2d_constructor_errors_are_torchs(args, kwargs):
    with pytest.raises(ValueError) as expected:
        torch.nn.Conv2d(*args, **kwargs)
    with pytest.raises(ValueError) as error:
        mg.nn.Conv2d(*args, **kwargs)
    assert str(error.value).split(",")[0] == str(expected.value).split(",")[0]


def test_conv_transpose2d_takes_only_zeros_padding():
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        torch.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for '
                                         "ConvTranspose2d"):
        mg.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")


@pytest.mark.parametrize("make, fan_in", [
    (lambda nn: nn.Conv2d(6, 8, (3, 5), groups=2), 3 * 3 * 5),
    (lambda nn: nn.Conv1d(4, 16, 7), 4 * 7),
    (lambda nn: nn.ConvTranspose2d(6, 8, 3, groups=2), 4 * 3 * 3),  # weight (6, 4, 3, 3)
])
def test_initialization_is_uniform_within_one_over_sqrt_fan_in(make, fan_in):
    """kaiming_uniform(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and so is the bias;
    fan_in counts the weight's dim 1 (in/groups, or out/groups when transposed)."""
    mg.manual_seed(0)
    layer = make(mg.nn)
    assert layer.weight.shape == tuple(make(torch.nn).weight.shape)
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        values = p.numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.5 * bound  # spread over the range, not shrunk
    spread = layer.weight.numpy().std()
    assert abs(spread - bound / math.sqrt(3)) < 0.25 * bound  # a uniform's std


@pytest.mark.parametrize("output_size", [(9, 11), (10, 12), (2, 4, 10, 11)])
def test_conv_transpose2d_output_size_picks_the_output_padding(output_size):
    torch_layer = torch.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, dilation=1).double()
    mg_layer = mg.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1).double()
    mg_layer.load_state_dict(torch_layer.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 6))
    out = mg_layer(mg.tensor(x), output_size=output_size)
    expected = torch_layer(torch.tensor(x), output_size=output_size)
    assert out.shape == tuple(expected.shape) == (2, 3, *output_size[-2:])
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("output_size", [(8, 11), (9, 13), (2, 10, 11)])
def test_conv_transpose2d_rejects_output_sizes_out_of_reach(output_size):
    x = torch.zeros(2, 4, 5, 6)
    with pytest.raises(ValueError) as expected:
        torch.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1)(x, output_size=output_size)
    with pytest.raises(ValueError) as error:
        mg.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1)(mg.zeros(2, 4, 5, 6),
                                                             output_size=output_size)
    assert str(error.value).replace("(5, 6)", "torch.Size([5, 6])") == str(expected.value)


def lenet(nn):
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.Conv2d(6, 16, 5),
                         nn.Tanh(), nn.Flatten(), nn.Linear(16 * 8 * 8, 10))


def _outputs_and_grads(model, x, tensor):
    out = model(tensor(x))
    out.sum().backward()
    return [out.detach().numpy()] + [p.grad.numpy() for p in model.parameters()]


@pytest.mark.parametrize("direction", ["torch_to_minigrad", "minigrad_to_torch"])
def test_lenet_state_dict_loads_both_ways(direction):
    torch.manual_seed(0)
    mg.manual_seed(0)
    mg_model, torch_model = lenet(mg.nn), lenet(torch.nn)
    assert list(mg_model.state_dict()) == list(torch_model.state_dict())
    if direction == "torch_to_minigrad":
        mg_model.load_state_dict(torch_model.state_dict())
    else:
        torch_model.load_state_dict({k: torch.tensor(v)
                                     for k, v in mg_model.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((3, 1, 12, 12)).astype(np.float32)
    got = _outputs_and_grads(mg_model, x, mg.tensor)
    expected = _outputs_and_grads(torch_model, x, torch.tensor)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
