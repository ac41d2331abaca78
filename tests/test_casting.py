"""Casts and dtype facts against PyTorch: ``.long()`` and friends, ``.type()``, ``type_as``,
``clone``, ``element_size``, the dtype aliases (``mg.float`` is ``mg.float32``) and the default
float dtype, which every maker of float tensors and every layer's parameters follow."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing.op_db import MODULE_DB

torch = pytest.importorskip("torch")

SOURCES = {
    "float32": np.array([[-2.7, 0.0, 1.5], [3.0, 250.9, -0.4]], dtype=np.float32),
    "float64": np.array([0.25, -7.5, 1e3], dtype=np.float64),
    "int64": np.array([-3, 0, 2, 300], dtype=np.int64),
    "bool": np.array([True, False]),
}
CASTS = ["float", "double", "half", "long", "int", "short", "char", "byte", "bool"]
DTYPES = [mg.float16, mg.float32, mg.float64, mg.uint8, mg.int8, mg.int16, mg.int32, mg.int64,
          mg.bool]


def _torch_dtype(dtype):
    return getattr(torch, dtype.name)


def assert_same(ours, theirs):
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("method", CASTS)
def test_cast_methods_match_torch(method):
    for name, array in SOURCES.items():
        if method in ("byte", "char") and name.startswith("float"):
            array = np.abs(array) % 100  # NOTE: C leaves out-of-range float to int undefined
        ours, theirs = mg.tensor(array), torch.from_numpy(array.copy())
        assert_same(getattr(ours, method)(), getattr(theirs, method)())
        already = getattr(ours, method)()
        assert getattr(already, method)() is already  # no copy when nothing changes


def test_float_casts_are_differentiable_and_casts_to_integers_are_not():
    x = mg.tensor([1.5, -2.0], requires_grad=True)
    (x.double() * mg.tensor([3.0, 4.0], dtype=mg.float64)).sum().backward()
    assert x.grad.dtype is mg.float32 and x.grad.tolist() == [3.0, 4.0]
    assert x.long().grad_fn is None and not x.long().requires_grad


def test_clone_is_a_differentiable_copy_like_torchs():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert y is not x and y.grad_fn is not None and y.dtype is x.dtype
    (y * y).sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    (tx.clone() * tx.clone()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    plain = mg.tensor([1, 2])
    copy = plain.clone()
    copy.data[0] = 7  # its own memory
    assert plain.tolist() == [1, 2] and copy.dtype is mg.int64 and copy.grad_fn is None


def test_type_names_match_torch():
    for dtype in DTYPES:
        ours = mg.zeros(2, dtype=dtype)
        theirs = torch.zeros(2, dtype=_torch_dtype(dtype))
        assert ours.type() == theirs.type()
        assert ours.element_size() == theirs.element_size()
        assert ours.is_floating_point() is theirs.is_floating_point()
        assert mg.is_floating_point(ours) is torch.is_floating_point(theirs)


def test_type_casts_to_a_dtype_or_a_type_name():
    array = SOURCES["float32"]
    x, tx = mg.tensor(array), torch.from_numpy(array.copy())
    for target in ["torch.IntTensor", "torch.DoubleTensor", "torch.BoolTensor"]:
        assert_same(x.type(target), tx.type(target))
    assert_same(x.type(mg.int16), tx.type(torch.int16))
    assert_same(x.type(dtype=mg.float64, non_blocking=True), tx.type(torch.float64))
    assert x.type(mg.float32) is x and x.type("torch.FloatTensor") is x
    with pytest.raises(ValueError, match="invalid type: 'torch.Nonsense'"):
        x.type("torch.Nonsense")


def test_type_as_takes_the_other_tensors_type():
    x, tx = mg.tensor(SOURCES["float64"]), torch.from_numpy(SOURCES["float64"].copy())
    for dtype in [mg.int32, mg.float32, mg.float64]:
        other, t_other = mg.zeros(1, dtype=dtype), torch.zeros(1, dtype=_torch_dtype(dtype))
        assert_same(x.type_as(other), tx.type_as(t_other))
    assert x.type_as(x) is x


def test_tensor_level_helpers():
    x = mg.tensor([[1.0, 2.0, 3.0]])
    assert x.contiguous() is x
    assert mg.numel(x) == torch.numel(torch.ones(1, 3)) == 3 and mg.numel(x[:0]) == 0
    assert mg.is_tensor(x) and mg.is_tensor(mg.nn.Parameter(x))
    assert not any(mg.is_tensor(v) for v in ([1.0], np.ones(2), 1.0, None))
    for call in [mg.numel, mg.is_floating_point]:
        with pytest.raises(TypeError, match="'input' must be Tensor, not list"):
            call([1.0])


def test_dtype_aliases_are_torchs():
    for alias in ["float", "double", "half", "long", "int", "short"]:
        ours, theirs = getattr(mg, alias), getattr(torch, alias)
        assert ours is getattr(mg, str(theirs).removeprefix("torch."))
    assert mg.float == "float32" and mg.long == np.int64 and mg.int != mg.long
    assert mg.tensor([1.5], dtype=mg.double).dtype is mg.float64
    assert mg.tensor([1.5], dtype=float).dtype is mg.float64  # Python's float, as in torch


@pytest.fixture
def float64_default():
    """Both libraries make float64 tensors by default for the test, then go back."""
    ours, theirs = mg.get_default_dtype(), torch.get_default_dtype()
    mg.set_default_dtype(mg.float64)
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        mg.set_default_dtype(ours)
        torch.set_default_dtype(theirs)


# each makes a tensor with either library
MADE = {
    "tensor(list)": lambda lib: lib.tensor([1.5, 2.0]),
    "tensor(float)": lambda lib: lib.tensor(1.5),
    "tensor(ints)": lambda lib: lib.tensor([1, 2]),
    "zeros": lambda lib: lib.zeros(2, 3),
    "ones": lambda lib: lib.ones(2),
    "full": lambda lib: lib.full((2,), 1.5),
    "randn": lambda lib: lib.randn(2),
    "rand": lambda lib: lib.rand(2),
    "arange(float)": lambda lib: lib.arange(0.0, 1.0, 0.25),
    "arange(int)": lambda lib: lib.arange(3),
    "linspace": lambda lib: lib.linspace(0, 1, 5),
    "int / int": lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 2]),
    "int * float": lambda lib: lib.tensor([1, 2]) * 0.5,
    "float32 kept": lambda lib: lib.ones(2, dtype=lib.float32) * 2.0,
}


def test_the_default_dtype_starts_as_float32():
    assert mg.get_default_dtype() is mg.float32
    assert mg.tensor([1.5]).dtype is mg.float32


def test_set_default_dtype_reaches_every_float_maker(float64_default):
    assert mg.get_default_dtype() is mg.float64
    for name, make in MADE.items():
        ours, theirs = make(mg), make(torch)
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), name


def test_set_default_dtype_reaches_every_layers_parameters(float64_default):
    for info in MODULE_DB:
        ours, theirs = info.make(mg.nn).state_dict(), info.make(torch.nn).state_dict()
        assert {k: str(v.dtype) for k, v in ours.items()} == {
            k: str(v.dtype).removeprefix("torch.") for k, v in theirs.items()}, info.name


def test_set_default_dtype_takes_floating_dtypes_only_as_torch():
    for bad, torch_bad in [(mg.int64, torch.int64), (mg.bool, torch.bool), (float, float)]:
        with pytest.raises(TypeError, match="only floating-point types"):
            mg.set_default_dtype(bad)
        with pytest.raises(TypeError, match="only floating-point types"):
            torch.set_default_dtype(torch_bad)
    assert mg.get_default_dtype() is mg.float32
    previous = torch.get_default_dtype()
    try:  # float16 is a floating dtype: PyTorch accepts it too
        mg.set_default_dtype(mg.float16)
        torch.set_default_dtype(torch.float16)
        assert mg.zeros(1).dtype is mg.float16 and torch.zeros(1).dtype == torch.float16
    finally:
        mg.set_default_dtype(mg.float32)
        torch.set_default_dtype(previous)
