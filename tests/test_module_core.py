"""``nn.Module`` machinery: registration order, shared and tied members, setattr and del,
buffers, train/eval, zero_grad, state dicts, dtype conversion, whole-model gradchecks and
repr. Number-for-number agreement with PyTorch lives in test_nn_parity.py; nothing here
needs torch."""

from collections import OrderedDict

import numpy as np
import pytest
from nn_helpers import names

import minigrad as mg
from minigrad import nn


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
