"""Lazy layers and uninitialized parameters against PyTorch's: the placeholders before the
first forward (repr, state dict, errors), the eager layer after it (class, shapes, repr,
initialization bounds), optimizers built before the dry run, conversion before it, and
state dicts loaded into a lazy module (outputs equal torch's)."""

import copy
import math
import pickle

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn.parameter import is_lazy

torch = pytest.importorskip("torch")

LIBS = {"minigrad": mg, "torch": torch}

# name -> (build(nn), input shape of the dry run, the eager class it becomes)
LAYERS = {
    "LazyLinear": (lambda nn: nn.LazyLinear(5), (2, 3, 7), "Linear"),
    "LazyLinear-no_bias": (lambda nn: nn.LazyLinear(4, bias=False), (6,), "Linear"),
    "LazyConv1d": (lambda nn: nn.LazyConv1d(4, 3, stride=2, padding=1), (2, 3, 9), "Conv1d"),
    "LazyConv1d-unbatched": (lambda nn: nn.LazyConv1d(2, 2), (3, 8), "Conv1d"),
    "LazyConv2d-groups": (lambda nn: nn.LazyConv2d(6, 3, groups=2, padding="same"),
                          (2, 4, 5, 5), "Conv2d"),
    "LazyBatchNorm1d": (lambda nn: nn.LazyBatchNorm1d(), (4, 3, 5), "BatchNorm1d"),
    "LazyBatchNorm1d-no_affine": (lambda nn: nn.LazyBatchNorm1d(affine=False, momentum=None),
                                  (6, 2), "BatchNorm1d"),
    "LazyBatchNorm2d-no_bias": (lambda nn: nn.LazyBatchNorm2d(bias=False), (2, 3, 4, 4),
                                "BatchNorm2d"),
}


def build(name, lib):
    return LAYERS[name][0](LIBS[lib].nn)


def ones(lib, shape):
    return LIBS[lib].ones(*shape)


def state_shapes(layer):
    return {k: tuple(v.shape) for k, v in layer.state_dict().items()}


# ----------------------------------------------------------------------------- before the forward
@pytest.mark.parametrize("name", list(LAYERS))
def test_uninitialized_layer_looks_like_torchs(name):
    ours, theirs = build(name, "minigrad"), build(name, "torch")
    assert repr(ours) == repr(theirs)
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    assert [repr(v) for k, v in ours_state.items() if is_lazy(v)] == \
        [repr(v) for k, v in theirs_state.items() if torch.nn.parameter.is_lazy(v)]
    assert [type(p).__name__ for p in ours.parameters()] == \
        [type(p).__name__ for p in theirs.parameters()]


USES = {
    "shape": (lambda p: p.shape, RuntimeError),
    "op": (lambda p: p * 2, ValueError),
    "numel": (lambda p: p.numel(), ValueError),
    "detach": (lambda p: p.detach(), ValueError),
    "comparison": (lambda p: p == 0, ValueError),
}


@pytest.mark.parametrize("use", list(USES))
def test_using_an_uninitialized_parameter_raises_as_in_torch(use):
    action, error = USES[use]
    for lib in (mg, torch):
        with pytest.raises(error):
            action(lib.nn.LazyLinear(3).weight)


def test_uninitialized_parameter_in_a_layer_call_names_the_lazy_module():
    weight = mg.nn.LazyLinear(3).weight
    with pytest.raises(ValueError, match="uninitialized parameter.*LazyModule"):
        mg.nn.functional.linear(mg.ones(2, 4), weight)


def test_placeholders_know_dtype_device_and_requires_grad():
    for lib in (mg, torch):
        param = lib.nn.UninitializedParameter(dtype=lib.float64)
        buffer = lib.nn.parameter.UninitializedBuffer()
        assert (param.requires_grad, buffer.requires_grad) == (True, False)
        assert param.dtype == lib.float64 and buffer.dtype == lib.float32
        assert param.device.type == buffer.device.type == "cpu"
        assert repr(param) == "<UninitializedParameter>"
        assert repr(buffer) == "<UninitializedBuffer>"
        assert isinstance(param, lib.nn.Parameter) and not isinstance(buffer, lib.nn.Parameter)
    assert mg.nn.UninitializedParameter is mg.nn.parameter.UninitializedParameter
    with pytest.raises(TypeError, match="floating point"):
        mg.nn.UninitializedParameter(dtype=mg.int64)


def test_materialize_keeps_the_object_and_gives_it_its_class():
    param, buffer = mg.nn.UninitializedParameter(), mg.nn.UninitializedBuffer()
    param.materialize((2, 3), dtype=mg.float64)
    buffer.materialize((4,))
    assert type(param) is mg.nn.Parameter and type(buffer) is mg.Tensor
    assert param.shape == (2, 3) and param.dtype == mg.float64 and param.requires_grad
    assert buffer.shape == (4,) and not buffer.requires_grad


def test_placeholders_copy_and_pickle_as_placeholders():
    layer = mg.nn.LazyLinear(3).double()
    twin = copy.deepcopy(layer)
    assert twin.weight is not layer.weight and is_lazy(twin.weight)
    assert twin.weight.dtype == mg.float64
    twin(mg.ones(2, 4, dtype=mg.float64))
    assert type(twin) is mg.nn.Linear and type(layer) is mg.nn.LazyLinear
    assert layer.has_uninitialized_params()
    restored = pickle.loads(pickle.dumps(mg.nn.UninitializedBuffer(dtype=mg.float64)))
    assert repr(restored) == "<UninitializedBuffer>" and restored.dtype == mg.float64


# ----------------------------------------------------------------------------- the first forward
@pytest.mark.parametrize("name", list(LAYERS))
def test_first_forward_makes_the_eager_layer_torch_makes(name):
    shape, eager = LAYERS[name][1:]
    ours, theirs = build(name, "minigrad"), build(name, "torch")
    ours(ones("minigrad", shape))
    theirs(ones("torch", shape))
    assert type(ours) is getattr(mg.nn, eager) and type(theirs) is getattr(torch.nn, eager)
    assert repr(ours) == repr(theirs)
    assert state_shapes(ours) == {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert not any(is_lazy(t) for t in (*ours.parameters(), *ours.buffers()))
    assert not hasattr(ours, "has_uninitialized_params")
    assert len(ours._forward_pre_hooks) == 0


@pytest.mark.parametrize("name", ["LazyLinear", "LazyConv1d", "LazyConv2d-groups"])
def test_initialization_has_the_eager_bounds(name):
    """weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as torch initializes them: the
    draws stay inside the bound and fill most of it, in both frameworks."""
    shape = LAYERS[name][1]
    for lib in ("minigrad", "torch"):
        layer = build(name, lib)
        layer(ones(lib, shape))
        weight = np.asarray(layer.weight.detach().numpy(), dtype=np.float64)
        bound = 1 / math.sqrt(math.prod(weight.shape[1:]))
        for values in (weight, np.asarray(layer.bias.detach().numpy(), dtype=np.float64)):
            assert np.abs(values).max() <= bound
            assert np.abs(values).max() > 0.5 * bound, lib
        assert abs(weight.mean()) < 0.5 * bound, lib


def test_batch_norm_starts_as_the_eager_one_and_updates_its_statistics():
    rng = np.random.default_rng(0)
    x = (3 * rng.standard_normal((8, 3, 2)) + 1).astype(np.float32)
    ours, theirs = mg.nn.LazyBatchNorm1d(momentum=0.3), torch.nn.LazyBatchNorm1d(momentum=0.3)
    out, want = ours(mg.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-5)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-5,
                                   err_msg=name)
    np.testing.assert_array_equal(ours.weight.numpy(), np.ones(3, np.float32))


def test_the_first_input_must_fit_the_layer():
    for lib in (mg, torch):
        with pytest.raises(RuntimeError, match="Expected 3D .unbatched. or 4D .batched."):
            lib.nn.LazyConv2d(4, 3)(lib.ones(3, 4))
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            lib.nn.LazyConv1d(4, 3, groups=2)(lib.ones(1, 3, 8))


# ----------------------------------------------------------------------------- around the forward
def test_optimizer_built_before_the_dry_run_trains_the_same_objects():
    """The parameters are materialized in place, as torch's (checked on torch without an
    optimizer: its first optimizer takes seconds to import), so the optimizer trains them."""
    for lib in (mg, torch):
        model = lib.nn.Sequential(lib.nn.LazyLinear(4), lib.nn.ReLU(), lib.nn.LazyLinear(1))
        held = list(model.parameters())
        model(lib.ones(3, 5))
        assert [p is q for p, q in zip(held, model.parameters())] == [True] * 4
    model = mg.nn.Sequential(mg.nn.LazyLinear(4), mg.nn.ReLU(), mg.nn.LazyLinear(1))
    optimizer = mg.optim.Adam(model.parameters(), lr=0.1)
    model(mg.ones(3, 5)).sum().backward()
    held = optimizer.param_groups[0]["params"]
    assert all(p is q for p, q in zip(held, model.parameters()))
    before = [p.numpy().copy() for p in held]
    optimizer.step()
    assert all(not np.array_equal(b, p.numpy()) for b, p in zip(before, held))


def test_conversion_before_the_dry_run_carries_over():
    layer = mg.nn.Sequential(mg.nn.LazyConv1d(2, 3), mg.nn.LazyBatchNorm1d()).double()
    assert layer[0].weight.dtype == mg.float64 and layer[1].running_mean.dtype == mg.float64
    out = layer(mg.ones(2, 3, 6, dtype=mg.float64))
    assert out.dtype == mg.float64 and layer[1].running_var.dtype == mg.float64


def test_conversion_to_another_backend_before_the_dry_run():
    if "numba" not in mg.available_backends():
        pytest.skip("numba backend not usable here: pip install 'minigrad[numba]'")
    layer = mg.nn.LazyLinear(3).to("numba")
    layer(mg.ones(2, 4, backend="numba"))
    assert layer.weight.backend == layer.bias.backend == "numba"


@pytest.mark.parametrize("name", list(LAYERS))
def test_torch_state_dict_loads_into_the_lazy_layer(name):
    """A lazy layer takes a trained layer's state dict before any forward: the weights get
    its shapes, and the outputs equal torch's."""
    shape = LAYERS[name][1]
    theirs = build(name, "torch")
    theirs(torch.ones(*shape))
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-1.0, 1.0)
    ours = build(name, "minigrad")
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert state_shapes(ours) == state_shapes(theirs)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    eager = getattr(mg.nn, LAYERS[name][2])
    assert type(ours) is eager
    # NOTE: the size attribute comes from the loaded weights (torch keeps 0 for some layers)
    assert "(0" not in repr(ours) and "=0," not in repr(ours)


def test_lazy_state_dict_loads_into_a_lazy_layer_and_not_into_an_eager_one():
    for lib in (mg, torch):
        lazy = lib.nn.LazyLinear(3)
        result = lazy.load_state_dict(lib.nn.LazyLinear(3).state_dict())
        assert result.missing_keys == [] and lazy.has_uninitialized_params()
        with pytest.raises(RuntimeError):
            lib.nn.Linear(2, 3).load_state_dict(lib.nn.LazyLinear(3).state_dict())


def test_state_dict_loads_into_lazy_children_of_a_model():
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.BatchNorm1d(4))
    ours = mg.nn.Sequential(mg.nn.LazyLinear(4), mg.nn.LazyBatchNorm1d())
    ours.load_state_dict(theirs.state_dict())
    assert state_shapes(ours) == state_shapes(theirs)
    ours.eval()
    theirs.eval()
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 6)
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert repr(ours) == repr(theirs)
