"""Comparisons and logic (``ops/comparison.py``) against PyTorch: values and result dtypes for
float, integer and bool operands, Python numbers, broadcasting, 0-d and empty tensors, NaN and
infinities; the errors PyTorch raises; and the same answers on every backend."""

import numpy as np
import operand_pairs
import pytest
from conftest import USABLE

import minigrad as mg
from minigrad.errors import BackendError, DTypeError, ShapeError

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")
FLOATS = [[-1.5, 0.0, 2.0, NAN], [INF, -INF, 2.0, 1e-9], [0.5, 0.5, -0.0, 3.0]]
ARRAYS = {
    "float32": np.array(FLOATS, dtype=np.float32),
    "float64": np.array(FLOATS, dtype=np.float64)[::-1].copy(),
    "float16": np.array(FLOATS, dtype=np.float16),
    "int64": np.array([[-3, 0, 2, 7], [1, 1, 0, -1], [2, 5, 2, 0]], dtype=np.int64),
    "int32": np.array([[2, 0, -2, 7]], dtype=np.int32),
    "uint8": np.array([[0, 1, 2, 255]], dtype=np.uint8),
    "bool": np.array([[True, False, True, False], [False, False, True, True],
                      [True, True, False, False]]),
}
# (input, other): dtype names or Python numbers, with slices that broadcast
PAIRS = [
    ("float32", "float32"), ("float64", "float64"), ("int64", "int64"), ("bool", "bool"),
    ("float32", "float64"), ("int64", "float32"), ("float64", "int64"), ("bool", "int64"),
    ("int32", "int64"), ("uint8", "int64"), ("float16", "float16"),
    ("float32", 2.0), ("float32", 2), ("int64", 2), ("int64", 1.5), ("int64", True),
    ("bool", 1), ("bool", 0.5), ("float64", NAN), ("float32", INF),
]
COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
               "less_equal", "not_equal"]


def _both(spec, view=slice(None)):
    return operand_pairs.both(ARRAYS, spec, view)


def _operands(pair):
    return operand_pairs.arrangements(ARRAYS, pair)


def assert_same(ours, theirs, label=""):
    """A minigrad result equals PyTorch's: values and dtype, or the same Python bool."""
    if isinstance(theirs, bool):
        assert type(ours) is bool and ours == theirs, label
        return
    assert isinstance(ours, mg.Tensor), label
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), label
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=label)


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_match_torch_as_functions_and_methods(name):
    for pair in PAIRS:
        for arrangement, (a, ta), (b, tb) in _operands(pair):
            expected = getattr(torch, name)(ta, tb)
            label = f"{name}{pair} {arrangement}"
            assert_same(getattr(mg, name)(a, b), expected, label)
            assert_same(getattr(a, name)(b), expected, label)


def test_operators_and_functions_agree():
    a, b = mg.tensor(ARRAYS["float32"]), mg.tensor(ARRAYS["float32"][:, ::-1].copy())
    for name, result in [("eq", a == b), ("ne", a != b), ("lt", a < b), ("le", a <= b),
                         ("gt", a > b), ("ge", a >= b)]:
        np.testing.assert_array_equal(getattr(mg, name)(a, b).numpy(), result.numpy())


def test_large_integers_compare_with_a_float_in_the_default_float_dtype():
    # NOTE: 2**24 + 1 rounds to 2**24 in float32, so PyTorch finds it equal to 2.0**24
    big = np.array([2 ** 24 + 1, 2 ** 24], dtype=np.int64)
    assert_same(mg.eq(mg.tensor(big), 2.0 ** 24), torch.eq(torch.from_numpy(big), 2.0 ** 24))


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf"])
def test_classifications_match_torch_on_every_dtype(name):
    for dtype, array in ARRAYS.items():
        for view in [slice(None), (0, 3), (slice(0, 0),)]:
            a, ta = mg.tensor(array[view]), torch.from_numpy(np.array(array[view]))
            label = f"{name} {dtype} {view}"
            assert_same(getattr(mg, name)(a), getattr(torch, name)(ta), label)
            assert_same(getattr(a, name)(), getattr(torch, name)(ta), label)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_binary_logic_matches_torch(name):
    for pair in PAIRS:
        if not all(isinstance(p, str) for p in pair):
            continue  # PyTorch's logical ops take tensors only
        for arrangement, (a, ta), (b, tb) in _operands(pair):
            label = f"{name}{pair} {arrangement}"
            assert_same(getattr(mg, name)(a, b), getattr(torch, name)(ta, tb), label)
            assert_same(getattr(a, name)(b), getattr(torch, name)(ta, tb), label)


def test_logical_not_matches_torch():
    for dtype, array in ARRAYS.items():
        a, ta = mg.tensor(array), torch.from_numpy(array.copy())
        assert_same(mg.logical_not(a), torch.logical_not(ta), dtype)
        assert_same(a.logical_not(), torch.logical_not(ta), dtype)


CLOSE_A = [1.0, 1.0, 1.0, 0.0, 0.0, INF, INF, -INF, NAN, NAN, 1e10, 100.0]
CLOSE_B = [1.0, 1.0 + 2e-5, 1.0 + 5e-6, 1e-8, 2e-8, INF, -INF, -INF, NAN, 1.0, 1.0001e10, 101.0]


KWARGS = [{}, {"equal_nan": True}, {"rtol": 0.0, "atol": 0.0}, {"rtol": 1e-3, "atol": 0.5},
          {"rtol": 0.0, "atol": 1.0}]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_isclose_matches_torch(dtype):
    a, b = np.array(CLOSE_A, dtype), np.array(CLOSE_B, dtype)
    pairs = [(a, b), (a.reshape(3, 4), b[:4]), (np.array(a[0]), b), (a[:0], b[:1])]
    for kwargs in KWARGS:
        for x, y in pairs:
            expected = torch.isclose(torch.from_numpy(x), torch.from_numpy(y), **kwargs)
            label = f"{x.shape} {y.shape} {kwargs}"
            assert_same(mg.isclose(mg.tensor(x), mg.tensor(y), **kwargs), expected, label)
            assert_same(mg.tensor(x).isclose(mg.tensor(y), **kwargs), expected, label)


def test_allclose_matches_torch():
    a = np.array(CLOSE_A, np.float32)
    pairs = [(a, a), (a[:3], a[:3] + 1e-6), (a[:3], a[:3] + 1e-3), (a[:1], a[:3]),
             (a[:0], a[:0]), (np.float32(2.0), np.array([2.0, 2.0], np.float32))]
    for kwargs in KWARGS:
        for x, y in pairs:
            x, y = np.asarray(x), np.asarray(y)
            expected = torch.allclose(torch.from_numpy(x), torch.from_numpy(y), **kwargs)
            label = f"{x.shape} {y.shape} {kwargs}"
            assert_same(mg.allclose(mg.tensor(x), mg.tensor(y), **kwargs), expected, label)
            assert_same(mg.tensor(x).allclose(mg.tensor(y), **kwargs), expected, label)


def test_isclose_on_integer_and_bool_tensors_matches_torch():
    ints = [(np.array([1, 2, 10, 100, -5]), np.array([1, 3, 11, 104, 5]))]
    bools = [(ARRAYS["bool"][0], ARRAYS["bool"][1])]
    for a, b in ints + bools:
        for kwargs in [{}, {"atol": 1}, {"rtol": 0.05, "atol": 0}, {"rtol": 0.1, "atol": 1}]:
            expected = torch.isclose(torch.from_numpy(a), torch.from_numpy(b), **kwargs)
            assert_same(mg.isclose(mg.tensor(a), mg.tensor(b), **kwargs), expected,
                        f"{a.dtype} {kwargs}")


def test_isclose_takes_torchs_keywords():
    a = mg.tensor([1.0, NAN])
    out = mg.isclose(input=a, other=a, rtol=0.0, atol=0.0, equal_nan=True)
    assert out.tolist() == [True, True]


def test_equal_matches_torch():
    x = ARRAYS["float32"]
    cases = [(x, x.copy()), (x, x[:, ::-1].copy()), (x[:1], x), (x[0], x[:1]),
             (ARRAYS["int64"], ARRAYS["int64"].astype(np.float32)),
             (x[2], x[2].astype(np.float64)), (x[:0], x[:0]), (np.array(2.0), np.array(2.0)),
             (ARRAYS["bool"], ARRAYS["bool"].astype(np.int64))]
    for a, b in cases:
        expected = torch.equal(torch.from_numpy(a.copy()), torch.from_numpy(b.copy()))
        assert_same(mg.equal(mg.tensor(a), mg.tensor(b)), expected, f"{a.shape} {b.shape}")
        assert_same(mg.tensor(a).equal(mg.tensor(b)), expected)
    assert mg.equal(mg.tensor([NAN]), mg.tensor([NAN])) is False


def test_results_carry_no_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    for out in [x > 1, mg.eq(x, 1.0), mg.isclose(x, x), mg.isnan(x), mg.logical_not(x),
                mg.logical_and(x, x)]:
        assert out.dtype is mg.bool and not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("call", [
    lambda a, b: mg.eq(a, b), lambda a, b: a.lt(b), lambda a, b: mg.greater_equal(a, b),
    lambda a, b: mg.isclose(a, b), lambda a, b: mg.allclose(a, b),
    lambda a, b: mg.logical_or(a, b)])
def test_shapes_that_do_not_broadcast_raise_torchs_error_type(call):
    a, b = mg.tensor([[1.0, 2.0, 3.0]]), mg.ones(2, 4)
    with pytest.raises(RuntimeError, match=r"\(1, 3\).*\(2, 4\)") as info:
        call(a, b)
    assert isinstance(info.value, ShapeError)
    with pytest.raises(RuntimeError):
        torch.eq(torch.ones(1, 3), torch.ones(2, 4))


@pytest.mark.parametrize("call, message", [
    (lambda a: mg.eq(1.0, a), "eq.*'input' must be Tensor, not float"),
    (lambda a: mg.lt(a, [1.0, 2.0]), "lt.*'other' must be Tensor, not list"),
    (lambda a: mg.isclose(a, 1.0), "isclose.*'other' must be Tensor, not float"),
    (lambda a: mg.logical_and(a, True), "logical_and.*'other' must be Tensor, not bool"),
    (lambda a: mg.isnan(1.0), "isnan.*'input' must be Tensor"),
    (lambda a: mg.equal(a, [1.0, 2.0]), "equal.*'other' must be Tensor"),
])
def test_non_tensor_operands_raise_type_error_as_in_torch(call, message):
    with pytest.raises(TypeError, match=message):
        call(mg.tensor([1.0, 2.0]))


def test_isclose_refuses_mixed_dtypes_and_negative_tolerances_as_torch_does():
    a = mg.tensor([1.0, 2.0])
    for other in [a.double(), a.long()]:
        with pytest.raises(RuntimeError, match="isclose.*one dtype.*float32") as info:
            mg.isclose(a, other)
        assert isinstance(info.value, DTypeError)
    for name in ["rtol", "atol"]:
        with pytest.raises(RuntimeError, match=f"{name} must be greater than or equal to zero"):
            mg.isclose(a, a, **{name: -1.0})
        with pytest.raises(RuntimeError, match=f"{name} must be greater than or equal to zero"):
            torch.isclose(torch.ones(1), torch.ones(1), **{name: -1.0})


@pytest.mark.skipif("numba" not in USABLE, reason="needs two CPU backends: pip install numba")
def test_tensors_on_two_backends_are_refused():
    a, b = mg.tensor([1.0], backend="numpy"), mg.tensor([1.0], backend="numba")
    for call in [mg.eq, mg.isclose, mg.logical_and]:
        with pytest.raises(BackendError, match="different backends"):
            call(a, b)


def test_every_backend_gives_the_numpy_answers(backend):
    a = mg.tensor(ARRAYS["float32"], backend=backend)
    b = mg.tensor(ARRAYS["float32"][:, ::-1].copy(), backend=backend)
    ref_a, ref_b = mg.tensor(ARRAYS["float32"]), mg.tensor(ARRAYS["float32"][:, ::-1].copy())
    for name in ["eq", "lt", "isclose", "logical_xor"]:
        out = getattr(mg, name)(a, b)
        assert out.backend == backend
        np.testing.assert_array_equal(out.numpy(), getattr(mg, name)(ref_a, ref_b).numpy())
    for name in ["isnan", "isposinf", "logical_not"]:
        np.testing.assert_array_equal(getattr(mg, name)(a).numpy(),
                                      getattr(mg, name)(ref_a).numpy())
    assert mg.allclose(a, a, equal_nan=True) and not mg.equal(a, a)


def test_the_family_exports_exactly_torchs_names():
    names = mg.ops.comparison.__all__
    assert sorted(names) == sorted(COMPARISONS + [
        "isclose", "allclose", "equal", "isnan", "isinf", "isfinite", "isposinf", "isneginf",
        "logical_and", "logical_or", "logical_not", "logical_xor"])
    assert [n for n in names if not (hasattr(torch, n) and hasattr(torch.Tensor, n))] == []
    assert [n for n in names if not (hasattr(mg, n) and hasattr(mg.Tensor, n))] == []
