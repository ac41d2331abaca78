"""``mg.nn`` on its own: registration, modes, state dicts, dtype conversion, repr, hooks, init,
and the rules of Linear, BatchNorm1d, LayerNorm, Dropout and the losses. Number-for-number
agreement with PyTorch lives in test_nn_parity.py; nothing here needs torch."""

import math
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.nn import init


class Net(nn.Module):
    """Every kind of member: own parameter, buffers (persistent, not, None), nested children."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(mg.ones(4))
        self.register_buffer("step", mg.zeros(()))
        self.register_buffer("cache", mg.zeros(2), persistent=False)
        self.register_buffer("empty", None)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))

    def forward(self, x):
        return self.head(self.bn(self.fc(x)) * self.scale)


# PyTorch's order: per module its parameters, then its buffers, then each child in turn
NET_STATE_KEYS = ["scale", "step", "fc.weight", "fc.bias", "bn.weight", "bn.bias",
                  "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                  "head.1.weight", "head.1.bias"]


def names(named):
    return [name for name, _ in named]


# ----------------------------------------------------------------------------- registration
def test_members_register_recursively_in_pytorch_order():
    net = Net()
    assert names(net.named_parameters()) == ["scale", "fc.weight", "fc.bias", "bn.weight",
                                             "bn.bias", "head.1.weight", "head.1.bias"]
    assert names(net.named_buffers()) == ["step", "cache", "bn.running_mean", "bn.running_var",
                                          "bn.num_batches_tracked"]
    assert names(net.named_modules()) == ["", "fc", "bn", "head", "head.0", "head.1"]
    assert list(net.modules())[0] is net
    assert list(net.children()) == [net.fc, net.bn, net.head]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert net.empty is None  # a None buffer is an attribute but not a buffer
    assert len(list(net.buffers())) == 5


def test_sequential_names_parameters_by_index():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, bias=False))
    assert names(model.named_parameters()) == ["0.weight", "0.bias", "2.weight"]
    assert model[2] is list(model.children())[2]
    assert len(model) == 3


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert names(model.named_parameters()) == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3

    tied = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    tied[1].weight = tied[0].weight
    assert names(tied.named_parameters()) == ["0.weight", "0.bias", "1.bias"]


def test_state_dict_keeps_both_names_of_a_tied_parameter():
    tied = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    tied[1].weight = tied[0].weight
    state = tied.state_dict()
    assert sorted(state) == ["0.bias", "0.weight", "1.bias", "1.weight"]
    np.testing.assert_array_equal(state["1.weight"], state["0.weight"])


def test_reassigning_a_parameter_keeps_its_place_in_the_order():
    # PyTorch replaces the entry in place: Linear's keys stay weight, bias
    layer = nn.Linear(2, 2)
    layer.weight = nn.Parameter(mg.zeros(2, 2))
    assert names(layer.named_parameters()) == ["weight", "bias"]
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_state_dict_keeps_every_name_of_a_shared_submodule():
    # PyTorch: nn.Sequential(l, l).state_dict() has 0.weight, 0.bias, 1.weight, 1.bias, so a
    # PyTorch checkpoint of a model with a reused layer loads strictly.
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, shared)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_assigning_a_plain_tensor_to_a_parameter_name_raises():
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="weight"):
        layer.weight = mg.zeros(2, 3)
    with pytest.raises(TypeError):
        layer.register_parameter("extra", mg.zeros(2))
    new = nn.Parameter(mg.zeros(2, 3))
    layer.weight = new  # a Parameter replaces it
    assert layer.weight is new
    layer.bias = None  # so does None
    assert names(layer.named_parameters()) == ["weight"]


def test_assigning_a_tensor_to_a_buffer_name_keeps_it_a_buffer():
    net = Net()
    net.step = mg.ones(())
    assert "step" in dict(net.named_buffers())
    assert net.state_dict()["step"] == 1


def test_del_unregisters_parameters_buffers_and_modules():
    net = Net()
    del net.scale
    del net.step
    del net.head
    assert "scale" not in names(net.named_parameters())
    assert "step" not in names(net.named_buffers())
    assert names(net.named_children()) == ["fc", "bn"]
    assert not any(k.startswith(("scale", "step", "head")) for k in net.state_dict())
    with pytest.raises(AttributeError):
        net.scale  # noqa: B018


def test_non_persistent_and_none_buffers_stay_out_of_the_state_dict():
    net = Net()
    assert list(net.state_dict()) == NET_STATE_KEYS
    assert "cache" in names(net.named_buffers())


# ----------------------------------------------------------------------------- modes and grads
def test_train_and_eval_propagate_and_return_self():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    assert net.train() is net
    assert all(m.training for m in net.modules())
    assert net.train(False) is net
    assert not net.head[1].training


def _backprop(net):
    net(mg.randn(5, 3)).sum().backward()


def test_zero_grad_sets_grads_to_none():
    net = Net()
    _backprop(net)
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_zero_grad_without_set_to_none_zeros_in_place():
    net = Net()
    _backprop(net)
    grads = [p.grad for p in net.parameters()]
    net.zero_grad(set_to_none=False)
    for p, g in zip(net.parameters(), grads):
        assert p.grad is g
        assert not np.any(g.numpy())


# ----------------------------------------------------------------------------- state dicts
def test_state_dict_is_an_ordered_dict_of_numpy_copies():
    net = Net()
    state = net.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == NET_STATE_KEYS
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert state["fc.weight"].dtype == np.float32
    assert state["bn.num_batches_tracked"].dtype == np.int64
    before = net.fc.weight.numpy().copy()
    state["fc.weight"][...] = 7.0
    state["bn.running_mean"] += 1.0
    np.testing.assert_array_equal(net.fc.weight.numpy(), before)
    np.testing.assert_array_equal(net.bn.running_mean.numpy(), np.zeros(4, np.float32))


def test_load_state_dict_round_trip_gives_identical_outputs():
    source, target = Net(), Net()
    for _ in range(3):  # move the running statistics off their defaults
        source(mg.randn(8, 3))
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert int(target.bn.num_batches_tracked.item()) == 3
    x = mg.randn(6, 3)
    for mode in (True, False):
        source.train(mode)
        target.train(mode)
        np.testing.assert_array_equal(target(x).numpy(), source(x).numpy())


def test_load_state_dict_keeps_parameter_objects_so_optimizer_references_stay_valid():
    net = Net()
    held = list(net.parameters())  # what an optimizer keeps
    state = {k: np.full_like(v, 0.5) for k, v in Net().state_dict().items()}
    net.load_state_dict(state)
    assert all(a is b for a, b in zip(held, net.parameters()))
    assert all(np.all(p.numpy() == 0.5) for p in held)
    _backprop(net)
    with mg.no_grad():
        for p in held:
            p.sub_(0.1 * p.grad)
    np.testing.assert_array_equal(net.fc.weight.numpy(), held[1].numpy())
    assert not np.all(net.fc.weight.numpy() == 0.5)


def test_load_state_dict_casts_values_to_each_tensors_dtype():
    layer = nn.Linear(2, 2)
    layer.load_state_dict({"weight": [[1.0, 2.0], [3.0, 4.0]], "bias": np.zeros(2)})
    assert layer.weight.dtype == mg.float32 and layer.bias.dtype == mg.float32
    np.testing.assert_array_equal(layer.weight.numpy(), [[1, 2], [3, 4]])


def test_load_state_dict_missing_key_is_named():
    state = Net().state_dict()
    del state["bn.running_var"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\).*"bn.running_var"'):
        Net().load_state_dict(state)


def test_load_state_dict_unexpected_key_is_named():
    state = Net().state_dict()
    state["head.2.weight"] = np.zeros(3)
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\).*"head.2.weight"'):
        Net().load_state_dict(state)


def test_load_state_dict_size_mismatch_names_key_and_both_shapes():
    state = Net().state_dict()
    state["fc.weight"] = np.zeros((5, 3), np.float32)
    with pytest.raises(RuntimeError) as info:
        Net().load_state_dict(state)
    message = str(info.value)
    assert "size mismatch for fc.weight" in message
    assert "(5, 3)" in message and "(4, 3)" in message
    with pytest.raises(RuntimeError, match="size mismatch"):  # strict=False still checks shapes
        Net().load_state_dict(state, strict=False)


def test_load_state_dict_not_strict_reports_missing_and_unexpected():
    net = Net()
    state = Net().state_dict()
    weight = state.pop("fc.weight")
    state["extra"] = np.zeros(1)
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert missing == ["fc.weight"]
    assert unexpected == ["extra"]
    np.testing.assert_array_equal(net.fc.bias.numpy(), state["fc.bias"])
    assert not np.array_equal(net.fc.weight.numpy(), weight)


# ----------------------------------------------------------------------------- dtypes
def test_to_dtype_converts_floating_parameters_and_buffers_in_place():
    net = Net()
    held = list(net.parameters()) + list(net.buffers())
    assert net.to(mg.float64) is net
    assert all(a is b for a, b in zip(held, list(net.parameters()) + list(net.buffers())))
    assert all(p.dtype == mg.float64 for p in net.parameters())
    assert net.bn.running_mean.dtype == mg.float64 and net.step.dtype == mg.float64
    assert net.bn.num_batches_tracked.dtype == mg.int64
    assert net.state_dict()["fc.weight"].dtype == np.float64
    net(mg.randn(4, 3, dtype=mg.float64))
    assert net.float() is net
    assert all(p.dtype == mg.float32 for p in net.parameters())
    assert net.bn.num_batches_tracked.dtype == mg.int64
    assert net.double() is net
    assert net.bn.running_var.dtype == mg.float64


def _gradcheck_model(model):
    model.double()
    x = mg.randn(4, 3, dtype=mg.float64, requires_grad=True)
    params = list(model.parameters())
    assert mg.autograd.gradcheck(lambda x, *_: model(x), (x, *params))


def test_whole_mlp_passes_gradcheck_in_float64():
    _gradcheck_model(nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)))


def test_layer_norm_model_passes_gradcheck_in_float64():
    _gradcheck_model(nn.Sequential(nn.Linear(3, 6), nn.LayerNorm(6), nn.GELU(),
                                   nn.Linear(6, 2)))


def test_batch_norm_model_passes_gradcheck_in_float64():
    _gradcheck_model(nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.Tanh(),
                                   nn.Linear(5, 2)))


# ----------------------------------------------------------------------------- repr
# Produced by PyTorch 2.13.0 (torch.nn with the same arguments).
SEQUENTIAL_REPR = """Sequential(
  (0): Linear(in_features=3, out_features=4, bias=True)
  (1): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
  (2): ReLU()
  (3): Dropout(p=0.2, inplace=False)
  (4): LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
  (5): LeakyReLU(negative_slope=0.01)
  (6): GELU(approximate='none')
  (7): Softmax(dim=1)
)"""


def test_repr_matches_pytorch():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.2),
                          nn.LayerNorm(4), nn.LeakyReLU(), nn.GELU(), nn.Softmax(dim=1))
    assert repr(model) == SEQUENTIAL_REPR


@pytest.mark.parametrize("make, expected", [
    (lambda: nn.Linear(3, 4, bias=False), "Linear(in_features=3, out_features=4, bias=False)"),
    (lambda: nn.ELU(0.5), "ELU(alpha=0.5)"),
    (lambda: nn.GELU("tanh"), "GELU(approximate='tanh')"),
    (lambda: nn.LogSoftmax(dim=1), "LogSoftmax(dim=1)"),
    (lambda: nn.Tanh(), "Tanh()"),
    (lambda: nn.BatchNorm1d(4, momentum=None, affine=False),
     "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, bias=False, "
     "track_running_stats=True)"),
    (lambda: nn.LayerNorm((2, 3), bias=False),
     "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True, bias=False)"),
    (lambda: nn.LayerNorm(4, elementwise_affine=False),
     "LayerNorm((4,), eps=1e-05, elementwise_affine=False, bias=False)"),
], ids=["linear", "elu", "gelu", "log_softmax", "tanh", "batch_norm", "layer_norm_no_bias",
        "layer_norm_no_affine"])
def test_layer_repr_matches_pytorch(make, expected):
    assert repr(make()) == expected


# ----------------------------------------------------------------------------- hooks
def test_forward_hook_sees_inputs_and_output_and_can_replace_it():
    layer = nn.Linear(3, 2)
    calls = []
    handle = layer.register_forward_hook(lambda m, inputs, out: calls.append((m, inputs, out)))
    x = mg.randn(4, 3)
    out = layer(x)
    ((module, inputs, seen),) = calls
    assert module is layer and inputs[0] is x and seen is out
    handle.remove()
    layer(x)
    assert len(calls) == 1

    replace = layer.register_forward_hook(lambda m, inputs, out: out * 0)
    assert not np.any(layer(x).numpy())
    replace.remove()
    np.testing.assert_array_equal(layer(x).numpy(), out.numpy())


def test_forward_pre_hook_can_replace_the_inputs():
    layer = nn.Identity()
    seen = []
    handle = layer.register_forward_pre_hook(lambda m, inputs: seen.append(inputs))
    x = mg.randn(2)
    layer(x)
    assert seen[0][0] is x
    handle.remove()
    layer.register_forward_pre_hook(lambda m, inputs: (inputs[0] * 2,))
    np.testing.assert_array_equal(layer(x).numpy(), 2 * x.numpy())


def _hooked_mlp():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    calls = {}
    for index in (0, 2):
        model[index].register_full_backward_hook(
            lambda m, grad_input, grad_output, index=index: calls.setdefault(
                index, (grad_input, grad_output)))
    return model, calls


def test_full_backward_hook_receives_output_and_input_gradients():
    model, calls = _hooked_mlp()
    x = mg.randn(5, 3, requires_grad=True)
    cotangent = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    (model(x) * mg.tensor(cotangent)).sum().backward()

    w0, b0, w2 = (model[0].weight.numpy(), model[0].bias.numpy(), model[2].weight.numpy())
    pre = x.numpy() @ w0.T + b0
    g_hidden = cotangent @ w2  # dL/d(input of layer 2) = dL/d(output of tanh)
    g_pre = g_hidden * (1 - np.tanh(pre) ** 2)  # dL/d(output of layer 0)

    (g_in2,), (g_out2,) = calls[2]
    np.testing.assert_allclose(np.asarray(g_out2), cotangent, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(g_in2), g_hidden, rtol=1e-5, atol=1e-6)
    (g_in0,), (g_out0,) = calls[0]
    np.testing.assert_allclose(np.asarray(g_out0), g_pre, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(g_in0), x.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(g_in0), g_pre @ w0, rtol=1e-5, atol=1e-6)


def test_full_backward_hook_matches_autograd_grad():
    model, calls = _hooked_mlp()
    x = mg.randn(5, 3)
    hidden = model[1](model[0](x))
    out = model[2](hidden)
    (g_hidden,) = mg.autograd.grad(out.sum(), [hidden], retain_graph=True)
    out.sum().backward()
    np.testing.assert_allclose(np.asarray(calls[2][0][0]), g_hidden.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(calls[2][1][0]), np.ones((5, 2), np.float32))


def test_full_backward_hook_gets_none_for_an_input_without_grad():
    model, calls = _hooked_mlp()
    model(mg.randn(5, 3)).sum().backward()
    grad_input, grad_output = calls[0]
    assert grad_input == (None,)
    assert np.asarray(grad_output[0]).shape == (5, 4)


def test_full_backward_hook_gradients_are_tensors():
    # as in PyTorch, hooks get Tensors, so torch-style hook code (g.abs().max()) ports unchanged
    model, calls = _hooked_mlp()
    model(mg.randn(5, 3, requires_grad=True)).sum().backward()
    (g_in,), (g_out,) = calls[2]
    assert isinstance(g_in, mg.Tensor) and isinstance(g_out, mg.Tensor)


def test_removed_backward_hook_is_not_called():
    layer = nn.Linear(3, 2)
    calls = []
    handle = layer.register_full_backward_hook(lambda *args: calls.append(args))
    handle.remove()
    layer(mg.randn(4, 3, requires_grad=True)).sum().backward()
    assert calls == []


# ----------------------------------------------------------------------------- Linear
def test_linear_default_init_and_shapes():
    layer = nn.Linear(50, 30)
    bound = 1 / math.sqrt(50)
    assert layer.weight.shape == (30, 50) and layer.bias.shape == (30,)
    for p in (layer.weight, layer.bias):
        values = p.numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.9 * bound  # spread over the interval, not tiny
    assert layer(mg.randn(2, 7, 50)).shape == (2, 7, 30)


def test_linear_without_bias():
    layer = nn.Linear(4, 3, bias=False)
    assert layer.bias is None
    assert names(layer.named_parameters()) == ["weight"]
    assert list(layer.state_dict()) == ["weight"]
    x = mg.randn(2, 4)
    np.testing.assert_allclose(layer(x).numpy(), x.numpy() @ layer.weight.numpy().T, rtol=1e-6)


def test_linear_wrong_in_features_names_both_shapes():
    with pytest.raises(RuntimeError) as info:
        nn.Linear(10, 5)(mg.randn(32, 7))
    assert "(32, 7)" in str(info.value) and "(5, 10)" in str(info.value)


# ----------------------------------------------------------------------------- init
@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / (1 + 0.2 ** 2))), ("leaky_relu", 1, 1.0),
    ("selu", None, 0.75),
])
def test_calculate_gain(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-12)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="softsign"):
        init.calculate_gain("softsign")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", "0.2")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", True)


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(mg.zeros(4, 5)) == (5, 4)
    assert init._calculate_fan_in_and_fan_out(mg.zeros(4, 5, 3)) == (15, 12)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(mg.zeros(4))


def _assert_uniform_within(tensor, bound):
    values = np.abs(tensor.numpy())
    assert values.max() <= bound * (1 + 1e-6)
    assert values.max() > 0.99 * bound


def test_xavier_uniform_bounds():
    w = mg.zeros(200, 300)
    assert init.xavier_uniform_(w, gain=2.0) is w
    _assert_uniform_within(w, 2.0 * math.sqrt(6 / 500))


@pytest.mark.parametrize("mode, fan", [("fan_in", 400), ("fan_out", 100)])
def test_kaiming_uniform_bounds(mode, fan):
    w = mg.zeros(100, 400)
    init.kaiming_uniform_(w, mode=mode, nonlinearity="relu")
    _assert_uniform_within(w, math.sqrt(2) * math.sqrt(3 / fan))
    init.kaiming_uniform_(w, a=math.sqrt(5), mode=mode)  # Linear's default: 1/sqrt(fan)
    _assert_uniform_within(w, 1 / math.sqrt(fan))


def test_kaiming_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="fan_avg"):
        init.kaiming_uniform_(mg.zeros(3, 3), mode="fan_avg")


@pytest.mark.parametrize("fill, std", [
    (lambda w: init.normal_(w, 0.0, 2.0), 2.0),
    (lambda w: init.xavier_normal_(w), math.sqrt(2 / (500 + 2000))),
    (lambda w: init.xavier_normal_(w, gain=3.0), 3 * math.sqrt(2 / (500 + 2000))),
    (lambda w: init.kaiming_normal_(w, nonlinearity="relu"), math.sqrt(2) / math.sqrt(2000)),
    (lambda w: init.kaiming_normal_(w, mode="fan_out"), math.sqrt(2) / math.sqrt(500)),
], ids=["normal", "xavier", "xavier_gain", "kaiming_fan_in", "kaiming_fan_out"])
def test_normal_inits_have_the_formula_std(fill, std):
    w = mg.zeros(500, 2000)
    assert fill(w) is w
    values = w.numpy()
    assert values.std() == pytest.approx(std, rel=0.02)
    assert abs(values.mean()) < 0.01 * std


def test_constant_inits_and_uniform_range():
    p = nn.Parameter(mg.zeros(3, 4))
    assert init.constant_(p, 0.25) is p and np.all(p.numpy() == 0.25)
    assert np.all(init.ones_(p).numpy() == 1) and not np.any(init.zeros_(p).numpy())
    init.uniform_(p, -3.0, -2.0)
    assert p.numpy().min() >= -3 and p.numpy().max() <= -2
    assert p.is_leaf and p.requires_grad and p.dtype == mg.float32


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


# ----------------------------------------------------------------------------- ReLU
def test_relu_sends_no_gradient_to_dead_units_even_a_nan_one(backend):
    """As PyTorch: the gradient at a unit with input <= 0 is 0, whatever arrives there."""
    x = mg.tensor([[-1.0, 2.0, 0.0, 3.0]], requires_grad=True)
    nn.ReLU()(x).backward(mg.tensor([[np.nan, 5.0, np.inf, -np.inf]]))
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 5.0, 0.0, -np.inf]])


def test_relu_keeps_a_nan_input_and_passes_its_gradient(backend):
    """As PyTorch: relu(NaN) is NaN, so detect_anomaly sees it, and its gradient flows."""
    x = mg.tensor([np.nan, -1.0, 2.0], requires_grad=True)
    y = nn.ReLU()(x)
    np.testing.assert_array_equal(y.numpy(), [np.nan, 0.0, 2.0])
    y.backward(mg.tensor([3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 5.0])


# ----------------------------------------------------------------------------- Dropout
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_probability_outside_unit_interval_raises(p):
    with pytest.raises(ValueError, match=str(p)):
        nn.Dropout(p)
    with pytest.raises(ValueError):
        F.dropout(mg.ones(3), p)


def test_dropout_is_the_identity_in_eval_and_for_p_zero():
    x = mg.randn(20, 30)
    np.testing.assert_array_equal(nn.Dropout(0.5).eval()(x).numpy(), x.numpy())
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).numpy(), x.numpy())


def test_dropout_with_p_one_gives_zeros_and_zero_gradients(backend):
    x = mg.randn(10, 10, requires_grad=True)
    y = nn.Dropout(1.0)(x)
    assert not np.any(y.numpy()) and np.all(np.isfinite(y.numpy()))
    y.sum().backward()
    assert not np.any(x.grad.numpy()) and np.all(np.isfinite(x.grad.numpy()))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_statistics(p, backend):
    """On every backend: Numba draws its masks with its own compiled generator."""
    y = nn.Dropout(p)(mg.ones(1000, 1000)).numpy()
    assert abs(np.mean(y == 0) - p) < 0.005
    assert abs(y.mean() - 1.0) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)


def test_dropout_mask_repeats_with_the_seed(backend):
    x = mg.ones(50, 50)
    mg.manual_seed(123)
    first = F.dropout(x, 0.5).numpy()
    second = F.dropout(x, 0.5).numpy()
    mg.manual_seed(123)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), first)
    assert not np.array_equal(first, second)


def test_dropout_gradient_is_the_scaled_mask(backend):
    p = 0.3
    x = mg.ones(40, 50, requires_grad=True)
    y = nn.Dropout(p)(x)
    cotangent = np.random.default_rng(1).standard_normal((40, 50)).astype(np.float32)
    (y * mg.tensor(cotangent)).sum().backward()
    mask = y.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), cotangent * mask / (1 - p), rtol=1e-6)


# ----------------------------------------------------------------------------- losses
@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_class_losses_of_an_unbatched_input_are_0d(loss, reduction):
    """As PyTorch: a (C,) input with a 0-d target gives a 0-d loss, for every reduction."""
    out = loss(mg.tensor([0.1, 0.5, -0.2]), mg.tensor(1), reduction=reduction)
    assert out.shape == ()


@pytest.mark.parametrize("loss", [nn.MSELoss, nn.L1Loss, nn.CrossEntropyLoss, nn.NLLLoss,
                                  nn.BCEWithLogitsLoss])
def test_loss_reduction_names_are_validated(loss):
    with pytest.raises(ValueError, match="average"):
        loss(reduction="average")


def test_functional_loss_reduction_names_are_validated():
    x = mg.randn(4, 3)
    with pytest.raises(ValueError, match="batchmean"):
        F.mse_loss(x, x, reduction="batchmean")
    with pytest.raises(ValueError):
        F.cross_entropy(x, mg.tensor([0, 1, 2, 0]), reduction="avg")


@pytest.mark.parametrize("bad", [5, -1])
def test_cross_entropy_out_of_range_target_raises_index_error(bad):
    with pytest.raises(IndexError, match=str(bad)):
        F.cross_entropy(mg.randn(2, 3), mg.tensor([0, bad]))
    with pytest.raises(IndexError, match=str(bad)):
        nn.NLLLoss()(mg.randn(2, 3), mg.tensor([bad, 1]))


def test_cross_entropy_float_target_raises_type_error():
    with pytest.raises(TypeError):
        F.cross_entropy(mg.randn(2, 3), mg.tensor([0.0, 1.0]))


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.2},
                                    {"weight": [1.0, 2.0, 0.5]}], ids=["plain", "smooth",
                                                                       "weight"])
def test_ignore_index_samples_contribute_nothing(kwargs):
    if "weight" in kwargs:
        kwargs = {"weight": mg.tensor(kwargs["weight"])}
    logits = mg.randn(5, 3, requires_grad=True)
    target = mg.tensor([0, -100, 2, 1, -100])
    loss = F.cross_entropy(logits, target, **kwargs)
    loss.backward()
    kept = [0, 2, 3]
    reference = F.cross_entropy(mg.tensor(logits.numpy()[kept]), mg.tensor([0, 2, 1]),
                                **kwargs)
    assert loss.item() == pytest.approx(reference.item(), rel=1e-6)
    assert not np.any(logits.grad.numpy()[[1, 4]])
    per_sample = F.cross_entropy(logits, target, reduction="none", **kwargs).numpy()
    assert per_sample.shape == (5,) and not np.any(per_sample[[1, 4]])


def test_nll_loss_custom_ignore_index():
    log_p = F.log_softmax(mg.randn(4, 3), 1)
    loss = F.nll_loss(log_p, mg.tensor([1, 2, 2, 0]), ignore_index=2)
    expected = -(log_p.numpy()[0, 1] + log_p.numpy()[3, 0]) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)
