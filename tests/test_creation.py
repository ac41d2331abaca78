"""Tensors of given values as PyTorch makes them: ``empty``, ``eye``, ``linspace``,
``logspace``, the ``*_like`` forms, ``from_numpy`` and ``as_tensor`` (memory shared where
PyTorch shares it), and the ``new_*`` methods, against ``torch`` for values, shapes, dtypes
and errors, on every backend."""

import inspect
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import dtypes

torch = pytest.importorskip("torch")


def assert_like_torch(ours, theirs, values=True):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    if values:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


# (name, call) with ``m`` standing for minigrad or torch: one recipe checks both
VALUE_CASES = [
    ("eye", lambda m: m.eye(3)),
    ("eye_rect", lambda m: m.eye(2, 3)),
    ("eye_wide_int", lambda m: m.eye(3, 1, dtype=m.int64)),
    ("eye_empty", lambda m: m.eye(0)),
    ("linspace", lambda m: m.linspace(0, 1, 5)),
    ("linspace_down", lambda m: m.linspace(1, 0, 5, dtype=m.float64)),
    ("linspace_long", lambda m: m.linspace(-3.3, 17.1, 101, dtype=m.float64)),
    ("linspace_one", lambda m: m.linspace(2, 7, 1)),
    ("linspace_none", lambda m: m.linspace(0, 1, 0)),
    ("linspace_int_truncates", lambda m: m.linspace(-10, 0, 4, dtype=m.int64)),
    ("linspace_int", lambda m: m.linspace(0, 10, 5, dtype=m.int64)),
    ("linspace_0d_ends", lambda m: m.linspace(m.tensor(0.5), m.tensor(2.0), 4)),
    ("logspace", lambda m: m.logspace(0, 2, 3)),
    ("logspace_base2", lambda m: m.logspace(0, 1, 5, base=2, dtype=m.float64)),
    ("logspace_negative_base", lambda m: m.logspace(0.0, 3.0, 4, base=-2)),
    ("logspace_int", lambda m: m.logspace(0, 2, 3, dtype=m.int64)),
    ("full_like_casts", lambda m: m.full_like(m.zeros(2, dtype=m.int64), 2.7)),
    ("full_like_float", lambda m: m.full_like(m.zeros(2, 2), 2)),
    ("full_like_dtype", lambda m: m.full_like(m.zeros(3), 1, dtype=m.int32)),
    ("zeros_like_dtype", lambda m: m.zeros_like(m.ones(2), dtype=m.float64)),
    ("ones_like_int", lambda m: m.ones_like(m.zeros(2, 1, dtype=m.int64))),
]


@pytest.mark.parametrize("name, make", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_values_shape_and_dtype_match_torch(backend, name, make):
    ours = make(mg)
    assert ours.backend == backend
    assert_like_torch(ours, make(torch))


@pytest.mark.parametrize("make", [lambda m: m.empty(2, 3), lambda m: m.empty((2, 3)),
                                  lambda m: m.empty([4], dtype=m.int64),
                                  lambda m: m.empty_like(m.ones(2, dtype=m.int32)),
                                  lambda m: m.empty_like(m.ones(3), dtype=m.float64)])
def test_empty_has_torchs_shape_and_dtype_and_zeros_inside(backend, make):
    ours = make(mg)
    assert_like_torch(ours, make(torch), values=False)
    assert ours.backend == backend and not ours.numpy().any()


def test_linspace_ends_are_exact_and_values_symmetric():
    x = mg.linspace(-1.7, 3.1, 9, dtype=mg.float64).numpy()
    assert x[0] == -1.7 and x[-1] == 3.1
    assert (np.diff(x) > 0).all()
    np.testing.assert_allclose(x + x[::-1], 1.4, rtol=1e-15)


def test_the_default_float_dtype_is_read_when_a_tensor_is_made(monkeypatch):
    monkeypatch.setattr(dtypes, "default_float", mg.float64)
    for made in (mg.eye(2), mg.linspace(0, 1, 3), mg.logspace(0, 1, 3), mg.empty(2),
                 mg.zeros(1), mg.as_tensor([0.5])):
        assert made.dtype == mg.float64
    assert mg.full_like(mg.zeros(1, dtype=mg.float32), 1).dtype == mg.float32


def test_requires_grad_and_device_keywords():
    for made in (mg.eye(2, requires_grad=True), mg.linspace(0, 1, 3, requires_grad=True),
                 mg.logspace(0, 1, 2, requires_grad=True), mg.empty(2, requires_grad=True),
                 mg.full_like(mg.ones(2), 3.0, requires_grad=True)):
        assert made.requires_grad and made.is_leaf
    assert mg.eye(2, device="cpu").device == mg.device("cpu")
    with pytest.raises(ValueError, match="backend= or device=, not both"):
        mg.linspace(0, 1, 3, backend="numpy", device="cpu")


def test_like_forms_keep_the_backend_of_their_input(backend):
    x = mg.ones(2, 3, dtype=mg.float64)
    mg.set_default_backend("numpy")
    for made in (mg.full_like(x, 2.0), mg.empty_like(x), mg.zeros_like(x), mg.ones_like(x)):
        assert made.backend == backend and made.dtype == mg.float64 and made.shape == (2, 3)
    assert mg.empty_like(x, backend="numpy").backend == "numpy"


@pytest.mark.parametrize("fn", ["eye", "linspace", "logspace", "full_like", "empty_like",
                                "zeros_like", "ones_like", "as_tensor"])
def test_dtype_and_device_are_keyword_only_as_in_torch(fn):
    parameters = inspect.signature(getattr(mg, fn)).parameters
    for name in ("dtype", "device"):
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY


ERROR_CASES = [
    ("eye_negative_n", lambda m: m.eye(-1), RuntimeError, "n must be greater or equal to 0"),
    ("eye_negative_m", lambda m: m.eye(2, -1), RuntimeError, "m must be greater or equal"),
    ("eye_float", lambda m: m.eye(2.5), TypeError, "argument 'n' must be int"),
    ("linspace_negative", lambda m: m.linspace(0, 1, -1), RuntimeError, "must be non-negative"),
    ("linspace_float_steps", lambda m: m.linspace(0, 1, 2.5), TypeError, "'steps' must be int"),
    ("logspace_negative", lambda m: m.logspace(0, 1, -2), RuntimeError, "non-negative"),
    ("empty_negative", lambda m: m.empty(2, -1), RuntimeError, "negative dimension -1"),
    ("as_tensor_positional_dtype", lambda m: m.as_tensor([1], m.float32), TypeError,
     "positional"),
    ("from_numpy_list", lambda m: m.from_numpy([1.0]), TypeError, "expected np.ndarray"),
    ("from_numpy_strings", lambda m: m.from_numpy(np.array(["a"])), TypeError, "convert"),
    ("from_numpy_scalar", lambda m: m.from_numpy(np.float64(1)), TypeError, "np.ndarray"),
]


@pytest.mark.parametrize("name, call, error, match", ERROR_CASES,
                         ids=[c[0] for c in ERROR_CASES])
def test_errors_are_torchs(name, call, error, match):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=match):
        call(mg)


# ----------------------------------------------------------------- from_numpy, as_tensor
def test_from_numpy_shares_memory_both_ways_and_keeps_the_dtype(backend):
    """The default CPU backend is NumPy or Numba; both hold NumPy arrays, so both share."""
    for dtype in (np.float64, np.float32, np.int32, np.int64, np.bool_, np.uint8):
        array = np.zeros((2, 3), dtype=dtype)
        t = mg.from_numpy(array)
        assert t.dtype.name == torch.from_numpy(array).dtype.__str__().removeprefix("torch.")
        assert t.backend == ("numba" if backend == "numba" else "numpy")
        array[1, 2] = 1
        assert t.numpy()[1, 2] == 1
        t.fill_(True)
        assert array.all()


def test_from_numpy_shares_a_view_of_its_array():
    base = np.arange(12.0).reshape(3, 4)
    t = mg.from_numpy(base[:, 1])
    base[2, 1] = -1.0
    assert t.tolist() == [1.0, 5.0, -1.0]


def test_as_tensor_returns_a_tensor_itself_when_nothing_changes():
    x = mg.ones(3, requires_grad=True)
    theirs = torch.ones(3)
    assert mg.as_tensor(x) is x and torch.as_tensor(theirs) is theirs
    assert mg.as_tensor(x, dtype=mg.float32, device="cpu") is x
    converted = mg.as_tensor(x, dtype=mg.float64)
    assert converted is not x and converted.dtype == mg.float64
    converted.sum().backward()  # a conversion stays in the graph, as .to() does
    np.testing.assert_array_equal(x.grad.numpy(), 1.0)


def test_as_tensor_shares_a_numpy_array_and_copies_only_to_convert():
    array = np.arange(3.0)
    shared = mg.as_tensor(array)
    array[0] = 9.0
    assert shared.dtype == mg.float64 and shared.tolist()[0] == 9.0
    assert torch.as_tensor(array).dtype == torch.float64
    copied = mg.as_tensor(array, dtype=mg.float32)
    array[0] = 1.0
    assert copied.dtype == mg.float32 and copied.tolist()[0] == 9.0


@pytest.mark.parametrize("data", [[1, 2], [1.5, 2.5], [[True], [False]], 3.0,
                                  np.float64(2.0)])
def test_as_tensor_of_other_data_is_a_new_tensor_as_torchs(data):
    assert_like_torch(mg.as_tensor(data), torch.as_tensor(data))


def test_as_tensor_moves_between_backends_when_asked(backend):
    array = np.ones(2, dtype=np.float32)
    assert mg.as_tensor(array).backend == backend
    mg.set_default_backend("numpy")
    assert mg.as_tensor(mg.as_tensor(array), backend=backend).backend == backend


# -------------------------------------------------------------------------- new_* methods
NEW_CASES = [
    ("new_zeros_varargs", lambda x: x.new_zeros(2, 3)),
    ("new_zeros_tuple", lambda x: x.new_zeros((2, 3))),
    ("new_zeros_list", lambda x: x.new_zeros([4])),
    ("new_zeros_0d", lambda x: x.new_zeros(())),
    ("new_ones", lambda x: x.new_ones(3, 1)),
    ("new_ones_dtype", lambda x: x.new_ones(2, dtype=torch.int32 if _is_torch(x) else mg.int32)),
    ("new_full", lambda x: x.new_full((2, 2), 3)),
    ("new_full_float_value", lambda x: x.new_full((3,), 3.7)),
    ("new_empty", lambda x: x.new_empty(2, 2)),
    ("new_tensor_ints", lambda x: x.new_tensor([1, 2])),
    ("new_tensor_floats", lambda x: x.new_tensor([1.5, -2.7])),
    ("new_tensor_nested", lambda x: x.new_tensor([[0.5], [2.0]])),
]


def _is_torch(x):
    return isinstance(x, torch.Tensor)


@pytest.mark.parametrize("source", ["float64", "int64", "float32"])
@pytest.mark.parametrize("name, make", NEW_CASES, ids=[c[0] for c in NEW_CASES])
def test_new_methods_take_the_dtype_of_self_as_torch(backend, source, name, make):
    ours = make(mg.zeros(1, dtype=getattr(mg, source)))
    theirs = make(torch.zeros(1, dtype=getattr(torch, source)))
    assert ours.backend == backend and not ours.requires_grad
    assert_like_torch(ours, theirs, values=name != "new_empty")


def test_new_methods_keep_the_backend_of_self_and_honour_keywords(backend):
    x = mg.zeros(2, dtype=mg.float64)
    mg.set_default_backend("numpy")
    made = [x.new_zeros(1), x.new_ones(1), x.new_full((1,), 2.0), x.new_empty(1),
            x.new_tensor([1.0])]
    assert {t.backend for t in made} == {backend}
    assert x.new_ones(2, backend="numpy").backend == "numpy"
    grad = x.new_zeros(2, requires_grad=True)
    assert grad.requires_grad and grad.is_leaf and grad.dtype == mg.float64
    assert x.new_tensor([1, 2], dtype=mg.int64).dtype == mg.int64


def test_new_full_wants_a_size_tuple_as_torch():
    with pytest.raises(TypeError):
        torch.zeros(1).new_full(2, 3.0)
    with pytest.raises(TypeError, match="new_full: argument 'size' must be tuple"):
        mg.zeros(1).new_full(2, 3.0)


def test_new_tensor_of_a_tensor_warns_and_copies_without_the_graph():
    source = mg.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="detach\\(\\).clone\\(\\)"):
        copy = mg.zeros(1, dtype=mg.float64).new_tensor(source)
    assert copy.dtype == mg.float64 and copy.is_leaf and not copy.requires_grad
    with mg.no_grad():
        source.fill_(5.0)
    assert copy.tolist() == [1.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mg.zeros(1).new_tensor([1.0])  # no warning for plain data
