"""Bitwise ops (``ops/bitwise.py``) and a Tensor's ``&``, ``|``, ``^``, ``~`` against PyTorch
and NumPy: values and result dtypes for bool and integer operands (extreme values included),
Python ints and bools on either side, broadcasting, 0-d and empty tensors; the in-place forms;
the errors PyTorch raises; and ``Tensor.__format__``."""

import numpy as np
import operand_pairs
import pytest
from conftest import USABLE

import minigrad as mg
from minigrad.errors import BackendError, DTypeError, ShapeError

torch = pytest.importorskip("torch")

ARRAYS = {
    "bool": np.array([[True, False, True, False], [False, False, True, True],
                      [True, True, False, False]]),
    "uint8": np.array([[0, 1, 200, 255], [7, 128, 15, 240], [3, 3, 64, 1]], dtype=np.uint8),
    "int8": np.array([[-128, 127, -1, 0], [5, -6, 100, -100], [1, 2, 3, 4]], dtype=np.int8),
    "int16": np.array([[-32768, 32767, -1, 0], [300, -300, 7, 8], [9, 10, 11, 12]],
                      dtype=np.int16),
    "int32": np.array([[2 ** 31 - 1, -2 ** 31, -1, 0], [12345, -54321, 6, 7], [8, 9, 10, 11]],
                      dtype=np.int32),
    "int64": np.array([[2 ** 63 - 1, -2 ** 63, -1, 0], [-3, 0, 2, 7], [1, 1, 0, -1]],
                      dtype=np.int64),
}
# (input, other): dtype names or Python numbers; Python ints out of a dtype's range on purpose
PAIRS = [
    ("bool", "bool"), ("uint8", "uint8"), ("int8", "int8"), ("int32", "int32"),
    ("int64", "int64"), ("bool", "int64"), ("int64", "bool"), ("bool", "uint8"),
    ("int32", "int64"), ("int8", "uint8"), ("uint8", "int16"), ("int16", "int32"),
    ("bool", True), ("bool", False), ("bool", 1), ("bool", 6), ("int64", True),
    ("int64", 5), ("int64", -1), ("int32", 2 ** 40), ("uint8", 256), ("uint8", -1),
    ("int8", 1000), ("int8", -129), ("int64", 2 ** 63), ("int64", 2 ** 64 - 1),
    ("int64", -2 ** 63),
]
BINARY = {"bitwise_and": "__and__", "bitwise_or": "__or__", "bitwise_xor": "__xor__"}
NUMPY = {"bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
         "bitwise_xor": np.bitwise_xor}


def _both(spec, view=slice(None)):
    return operand_pairs.both(ARRAYS, spec, view)


def _operands(pair):
    return operand_pairs.arrangements(ARRAYS, pair)


def assert_same(ours, theirs, label=""):
    """A minigrad result equals PyTorch's exactly: shape, dtype name and every value (no float
    conversion, which would blur int64 extremes)."""
    assert isinstance(ours, mg.Tensor), label
    assert ours.shape == tuple(theirs.shape), label
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), label
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=label, strict=True)


@pytest.mark.parametrize("name", list(BINARY))
def test_functions_methods_and_operators_match_torch(name):
    dunder = BINARY[name]
    checked = 0
    for pair in PAIRS:
        for arrangement, (a, ta), (b, tb) in _operands(pair):
            expected = getattr(torch, name)(ta, tb)
            label = f"{name}{pair} {arrangement}"
            assert_same(getattr(mg, name)(a, b), expected, label)
            assert_same(getattr(a, name)(b), expected, label)
            assert_same(getattr(a, dunder)(b), expected, label)
            checked += 1
    assert checked == 6 * len(PAIRS)


@pytest.mark.parametrize("name", list(BINARY))
def test_a_number_first_matches_torch_as_function_and_reflected_operator(name):
    symbol = {"bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^"}[name]
    for number in [True, False, 3, -1, 255, 2 ** 40]:
        for dtype in ["bool", "uint8", "int32", "int64"]:
            a, ta = _both(dtype)
            label = f"{number} {symbol} {dtype}"
            expected = getattr(torch, name)(number, ta)
            assert_same(getattr(mg, name)(number, a), expected, label)
            assert_same(eval(f"number {symbol} a"), eval(f"number {symbol} ta"), label)


def test_operators_on_masks_as_pytorch_code_writes_them():
    x = mg.tensor([-2.0, -0.5, 0.0, 0.5, 3.0])
    tx = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0])
    mine = [(x > -1) & (x < 1), (x < -1) | (x > 1), (x > 0) ^ (x > -1), ~(x > 0),
            ~((x > 0) & True)]
    theirs = [(tx > -1) & (tx < 1), (tx < -1) | (tx > 1), (tx > 0) ^ (tx > -1), ~(tx > 0),
              ~((tx > 0) & True)]
    for ours, expected in zip(mine, theirs):
        assert_same(ours, expected)
    assert mine[0].tolist() == [False, True, True, True, False]


def test_bitwise_not_matches_torch_and_numpy_on_every_dtype():
    for dtype, array in ARRAYS.items():
        for view in [slice(None), (1, 2), (slice(0, 0),)]:
            a, ta = _both(dtype, view)
            label = f"{dtype} {view}"
            assert_same(mg.bitwise_not(a), torch.bitwise_not(ta), label)
            assert_same(a.bitwise_not(), torch.bitwise_not(ta), label)
            assert_same(~a, ~ta, label)
            np.testing.assert_array_equal((~a).numpy(), np.invert(np.array(array[view])),
                                          strict=True)


def test_signed_not_is_minus_x_minus_one():
    x = mg.tensor(ARRAYS["int64"][1:])
    np.testing.assert_array_equal((~x).numpy(), -ARRAYS["int64"][1:] - 1)


def test_every_backend_gives_numpys_answers(backend):
    for dtype in ["bool", "uint8", "int8", "int32", "int64"]:
        array = ARRAYS[dtype]
        other = array[::-1].copy()
        a, b = mg.tensor(array, backend=backend), mg.tensor(other[:1], backend=backend)
        for name, reference in NUMPY.items():
            out = getattr(mg, name)(a, b)
            assert out.backend == backend
            np.testing.assert_array_equal(out.numpy(), reference(array, other[:1]),
                                          err_msg=f"{name} {dtype}", strict=True)
        np.testing.assert_array_equal((~a).numpy(), np.invert(array), strict=True)
    y = mg.tensor(ARRAYS["int32"], backend=backend)
    np.testing.assert_array_equal((y & 0xFF).numpy(), ARRAYS["int32"] & np.int32(0xFF))


def test_python_ints_wrap_into_the_tensors_dtype_as_in_torch():
    # NOTE: the wrapped operand gives the exact low bits; checked against a NumPy cast too
    bytes_ = mg.tensor(ARRAYS["uint8"])
    for number in [256, -1, 511, -256, 2 ** 63, 2 ** 64 - 1]:
        wrapped = np.array(number % 2 ** 64, dtype=np.uint64).astype(np.uint8)
        for name, reference in NUMPY.items():
            out = getattr(mg, name)(bytes_, number)
            assert out.dtype is mg.uint8
            np.testing.assert_array_equal(out.numpy(), reference(ARRAYS["uint8"], wrapped))


def test_results_carry_no_gradient():
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    for out in [(x > 0) & (x < 2), (x > 0) | True, ~(x > 0), mg.bitwise_xor(x > 0, x < 0)]:
        assert out.dtype is mg.bool and not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("name", [*BINARY, "bitwise_not"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_float_tensors_are_refused_naming_op_and_dtype(name, dtype):
    x = mg.tensor([1.0, 2.0], dtype=getattr(mg, dtype))
    calls = ([lambda: mg.bitwise_not(x), lambda: ~x] if name == "bitwise_not" else
             [lambda: getattr(mg, name)(x, x), lambda: getattr(x, name)(3),
              lambda: getattr(mg, name)(mg.tensor([1, 2]), x), lambda: getattr(x, BINARY[name])(1)])
    for call in calls:
        with pytest.raises(DTypeError, match=f"{name}: not implemented for {dtype}"):
            call()
    tx = torch.tensor([1.0, 2.0], dtype=getattr(torch, dtype))
    with pytest.raises((RuntimeError, TypeError)):
        torch.bitwise_not(tx) if name == "bitwise_not" else getattr(torch, name)(tx, tx)


@pytest.mark.parametrize("name", list(BINARY))
def test_a_python_float_operand_is_refused_as_torch_does(name):
    a = mg.tensor([1, 2])
    for call in [lambda: getattr(mg, name)(a, 1.5), lambda: getattr(a, BINARY[name])(2.0),
                 lambda: getattr(mg, name)(0.5, a)]:
        with pytest.raises(DTypeError, match=f"{name}: not implemented for a Python float"):
            call()
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        getattr(torch, name)(torch.tensor([1, 2]), 1.5)


@pytest.mark.parametrize("call, message", [
    (lambda a: mg.bitwise_and(a, [1, 2]), "bitwise_and.*'other' must be Tensor, not list"),
    (lambda a: mg.bitwise_or([1, 2], a), "bitwise_or.*'input' must be Tensor, not list"),
    (lambda a: mg.bitwise_xor(3, 4), "bitwise_xor.*'input' must be Tensor, not int"),
    (lambda a: mg.bitwise_not(3), "bitwise_not.*'input' must be Tensor, not int"),
    (lambda a: mg.bitwise_and(a, None), "bitwise_and.*'other' must be Tensor, not NoneType"),
    (lambda a: a & [1, 2], r"unsupported operand type\(s\) for &: 'Tensor' and 'list'"),
    (lambda a: "x" | a, r"unsupported operand type\(s\) for \|: 'str' and 'Tensor'"),
    (lambda a: a ^ None, r"unsupported operand type\(s\) for \^"),
])
def test_non_tensor_operands_raise_type_error_as_in_torch(call, message):
    with pytest.raises(TypeError, match=message):
        call(mg.tensor([1, 2]))


def test_operators_take_what_torch_takes_and_refuse_the_rest():
    ta = torch.tensor([1, 2])
    with pytest.raises(TypeError, match="unsupported operand"):
        ta & [1, 2]
    with pytest.raises(TypeError):
        torch.bitwise_xor(3, 4)


@pytest.mark.parametrize("call", [
    lambda a, b: mg.bitwise_and(a, b), lambda a, b: a.bitwise_or(b), lambda a, b: a ^ b,
    lambda a, b: b.__rand__(a), lambda a, b: mg.bitwise_xor(a, b)])
def test_shapes_that_do_not_broadcast_raise_naming_op_and_shapes(call):
    a, b = mg.tensor([[1, 2, 3]]), mg.ones(2, 4, dtype=mg.int64)
    # NOTE: the reflected form names the shapes in its own order
    with pytest.raises(ShapeError, match=r"bitwise_\w+: (?=.*\(1, 3\))(?=.*\(2, 4\))") as info:
        call(a, b)
    assert isinstance(info.value, RuntimeError)  # PyTorch's type for the same mistake
    with pytest.raises(RuntimeError):
        torch.ones(1, 3, dtype=torch.int64) & torch.ones(2, 4, dtype=torch.int64)


@pytest.mark.parametrize("number", [2 ** 64, -2 ** 63 - 1])
def test_ints_beyond_64_bits_overflow_as_in_torch(number):
    with pytest.raises(OverflowError, match="bitwise_and: the Python int"):
        mg.tensor([1, 2]) & number
    with pytest.raises(OverflowError):
        torch.tensor([1, 2]) & number


@pytest.mark.skipif("numba" not in USABLE, reason="needs two CPU backends: pip install numba")
def test_tensors_on_two_backends_are_refused():
    a, b = mg.tensor([1], backend="numpy"), mg.tensor([1], backend="numba")
    for call in [mg.bitwise_and, mg.bitwise_or, mg.bitwise_xor]:
        with pytest.raises(BackendError, match="different backends"):
            call(a, b)


INPLACE = {"bitwise_and": "__iand__", "bitwise_or": "__ior__", "bitwise_xor": "__ixor__"}
INPLACE_CASES = [("int64", "int64"), ("int64", "bool"), ("int32", "int64"), ("uint8", 300),
                 ("bool", "bool"), ("bool", True), ("int8", -1)]


@pytest.mark.parametrize("name", list(INPLACE))
def test_in_place_forms_match_torch_and_bump_the_version_once(name):
    for a_spec, b_spec in INPLACE_CASES:
        for method in [f"{name}_", INPLACE[name]]:
            (a, ta), (b, tb) = _both(a_spec), _both(b_spec, (slice(0, 1), slice(None)))
            alias, version = a, a._version
            out = getattr(a, method)(b)
            expected = getattr(ta, method)(tb)
            label = f"{method} {a_spec} {b_spec}"
            assert out is alias, label
            assert a._version == version + 1, label
            assert_same(a, expected, label)


def test_augmented_assignment_changes_the_tensor_itself():
    mask = mg.tensor([True, True, False])
    same = mask
    mask &= mg.tensor([True, False, False])
    mask |= mg.tensor([False, False, True])
    mask ^= True
    assert same is mask and same.tolist() == [False, True, False]
    n = mg.tensor([5, 6])
    n.bitwise_not_()
    assert n.tolist() == [-6, -7] and n._version == 1


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.__iand__(mg.tensor([1, 0, 1])), DTypeError,
     "bitwise_and_: result type int64 can't be cast to the desired output type bool"),
    (lambda m: m.bitwise_or_(1), DTypeError, "bitwise_or_: result type int64"),
    (lambda m: m.bitwise_xor_(mg.tensor([[True], [False]])), ShapeError,
     r"bitwise_xor_: output with shape \(3,\) doesn't match the broadcast shape \(2, 3\)"),
    (lambda m: m.bitwise_and_(mg.tensor([1.5, 2.0, 3.0])), DTypeError, "not implemented"),
])
def test_in_place_refusals_leave_the_tensor_untouched(call, error, message):
    mask = mg.tensor([True, False, True])
    with pytest.raises(error, match=message):
        call(mask)
    assert mask.tolist() == [True, False, True] and mask._version == 0


def test_torch_refuses_the_same_in_place_writes():
    mask = torch.tensor([True, False, True])
    for call in [lambda: mask.__iand__(torch.tensor([1, 0, 1])), lambda: mask.bitwise_or_(1),
                 lambda: mask.bitwise_xor_(torch.tensor([[True], [False]]))]:
        with pytest.raises(RuntimeError):
            call()


def test_in_place_operators_refuse_unsupported_operands_as_python_does():
    mask = mg.tensor([True, False])
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for &=: 'Tensor' and "
                                        "'list'"):
        mask &= [True, True]
    assert mask._version == 0


# ------------------------------------------------------------------ __format__
ZERO_D = [(1.23456, None, [".4f", ".2e", ">10.3f", "", "g", "+.1%"]),
          (2.5, "float64", [".3f", ""]),
          (5, None, ["04d", "x", "b", "", ">6"]),
          (True, None, ["", ">6", "d"])]


@pytest.mark.parametrize("value, dtype, specs", ZERO_D)
def test_a_0d_tensor_formats_its_item_as_torch_does(value, dtype, specs):
    ours = mg.tensor(value, dtype=None if dtype is None else getattr(mg, dtype))
    theirs = torch.tensor(value, dtype=None if dtype is None else getattr(torch, dtype))
    for spec in specs:
        assert format(ours, spec) == format(theirs, spec) == format(theirs.item(), spec), spec
    assert f"{ours}" == f"{theirs}"


def test_a_0d_tensor_in_a_graph_formats_like_a_loss_line():
    x = mg.tensor([0.5, 1.5], requires_grad=True)
    loss = (x * x).mean()
    assert f"loss {loss:.4f}" == "loss 1.2500"
    assert f"{mg.tensor(1.5, requires_grad=True):.2f}" == "1.50"


def test_format_codes_the_value_refuses_raise_as_for_the_value():
    with pytest.raises(ValueError, match="Unknown format code 'd'"):
        format(mg.tensor(1.5), "d")
    with pytest.raises(ValueError, match="Unknown format code 'd'"):
        format(torch.tensor(1.5), "d")


@pytest.mark.parametrize("data", [[1.5], [[1, 2], [3, 4]], []])
def test_other_tensors_take_only_the_empty_spec(data):
    ours, theirs = mg.tensor(data), torch.tensor(data)
    assert format(ours, "") == f"{ours}" == str(ours)
    for spec in [".2f", "d", ">10"]:
        with pytest.raises(TypeError, match="unsupported format string passed to "
                                            "Tensor.__format__"):
            format(ours, spec)
        with pytest.raises(TypeError, match="unsupported format string passed to "
                                            "Tensor.__format__"):
            format(theirs, spec)


def test_a_0d_parameter_is_formatted_as_an_object_as_in_torch():
    p, tp = mg.nn.Parameter(mg.tensor(1.5)), torch.nn.Parameter(torch.tensor(1.5))
    assert format(p, "") == str(p)
    for param in [p, tp]:
        with pytest.raises(TypeError, match="passed to Parameter.__format__"):
            format(param, ".2f")


def test_format_works_on_every_backend(backend):
    x = mg.tensor([3.25, 1.0], backend=backend)
    assert f"{x.sum():.2f}" == "4.25"
    assert f"{mg.tensor(7, backend=backend):03d}" == "007"


def test_the_family_exports_exactly_torchs_names():
    names = mg.ops.bitwise.__all__
    assert sorted(names) == sorted([*BINARY, "bitwise_not"])
    for n in names:
        assert hasattr(torch, n) and hasattr(torch.Tensor, n) and hasattr(torch.Tensor, n + "_")
        assert getattr(mg, n) is getattr(mg.ops, n)
        assert hasattr(mg.Tensor, n) and hasattr(mg.Tensor, n + "_")
