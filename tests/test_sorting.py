"""sort, argsort, topk, unique, nonzero and bincount against PyTorch, beyond the registry
sweeps of sort's and topk's values: indices, ties under stable=True, NaN, integer and bool
dtypes, the non-differentiable results and PyTorch's errors."""

import numpy as np
import pytest
from torch_pairs import assert_same, both

import minigrad as mg

torch = pytest.importorskip("torch")

TIED = np.array([[3, 1, 2, 1, 3, 0], [2, 2, 2, 5, 5, -1], [0, 0, 0, 0, 0, 0]])
DTYPES = ["int64", "int32", "float32", "float64"]


# ---------------------------------------------------------------- sort and argsort
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [-1, 0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_stable_sort_orders_ties_as_torch(dtype, dim, descending, backend):
    x, tx = both(TIED.astype(dtype))
    values, indices = x.sort(dim, descending, stable=True)
    expected = torch.sort(tx, dim=dim, descending=descending, stable=True)
    assert_same(values, expected.values)
    assert_same(indices, expected.indices)
    assert_same(x.argsort(dim, descending, stable=True),
          torch.argsort(tx, dim=dim, descending=descending, stable=True))


def test_the_default_sort_is_stable_too():
    x, tx = both(TIED)
    assert_same(mg.sort(x).indices, torch.sort(tx, stable=True).indices)
    assert_same(mg.argsort(x, descending=True), torch.argsort(tx, descending=True, stable=True))


def test_sort_of_bool_keeps_bool():
    mask, t_mask = both(TIED > 1)
    result, expected = mg.sort(mask, stable=True), torch.sort(t_mask, stable=True)
    assert_same(result.values, expected.values)
    assert_same(result.indices, expected.indices)


@pytest.mark.parametrize("descending", [False, True])
def test_nan_sorts_as_the_largest_value(descending):
    x, tx = both(np.array([1.0, np.nan, -2.0, np.inf, np.nan, 0.0]))
    result = x.sort(descending=descending, stable=True)
    expected = tx.sort(descending=descending, stable=True)
    assert_same(result.values, expected.values)
    assert_same(result.indices, expected.indices)


def test_sort_returns_a_named_tuple_and_a_0d_tensor_sorts_as_one_element():
    result = mg.tensor([2.0, 1.0]).sort()
    assert result.values is result[0] and result.indices is result[1]
    values, indices = mg.tensor(4.0).sort()
    assert values.shape == indices.shape == () and indices.dtype == mg.int64
    assert values.item() == 4.0 and indices.item() == 0
    assert mg.argsort(mg.tensor(4.0)).shape == ()


def test_sort_gradient_with_ties_follows_the_stable_indices():
    x, tx = both(TIED.astype(float), requires_grad=True)
    g = np.random.default_rng(0).standard_normal(TIED.shape)
    x.sort(dim=1, descending=True, stable=True).values.backward(mg.tensor(g))
    torch.sort(tx, dim=1, descending=True, stable=True).values.backward(torch.tensor(g))
    assert_same(x.grad, tx.grad)


def test_sort_indices_carry_no_gradient():
    x = mg.tensor([3.0, 1.0], requires_grad=True)
    values, indices = x.sort()
    assert values.requires_grad and not indices.requires_grad


# ---------------------------------------------------------------- topk
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_topk_matches_torch(dtype, largest, backend):
    values = np.random.default_rng(1).permutation(20).reshape(4, 5) - 7  # distinct
    x, tx = both(values.astype(dtype))
    for k, dim in [(2, -1), (3, 0), (0, 1), (5, 1)]:
        result = x.topk(k, dim, largest)
        expected = tx.topk(k, dim, largest)
        assert_same(result.values, expected.values)
        assert_same(result.indices, expected.indices)


def test_topk_k_out_of_range_is_a_runtime_error():
    x, tx = both(np.arange(4.0))
    for k in (5, -1):
        with pytest.raises(RuntimeError):
            tx.topk(k)
        with pytest.raises(RuntimeError, match=f"topk: k={k} is out of range for dim -1 of "
                                               r"size 4 \(input \(4,\)\)"):
            x.topk(k)


# ---------------------------------------------------------------- unique
UNIQUE_CASES = {
    "flat": {},
    "inverse": {"return_inverse": True},
    "counts": {"return_counts": True},
    "both": {"return_inverse": True, "return_counts": True},
    "rows": {"dim": 0, "return_inverse": True, "return_counts": True},
    "columns": {"dim": 1, "return_inverse": True},
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(UNIQUE_CASES))
def test_unique_matches_torch(case, dtype, backend):
    rows = np.array([[2, 1, 2], [0, 5, 0], [2, 1, 2]], dtype=dtype)
    x, tx = both(rows)
    result = x.unique(**UNIQUE_CASES[case])
    expected = torch.unique(tx, **UNIQUE_CASES[case])
    if isinstance(expected, tuple):
        assert isinstance(result, tuple) and len(result) == len(expected)
        for mine, theirs in zip(result, expected):
            assert_same(mine, theirs)
    else:
        assert_same(result, expected)


def test_unique_of_a_0d_tensor_and_of_an_empty_one():
    for values in (np.array(3), np.zeros((0, 2), dtype=np.int64)):
        x, tx = both(values)
        for mine, theirs in zip(mg.unique(x, return_inverse=True, return_counts=True),
                                torch.unique(tx, return_inverse=True, return_counts=True)):
            assert_same(mine, theirs)


def test_unique_has_no_gradient():
    out = mg.unique(mg.tensor([1.0, 1.0, 2.0], requires_grad=True))
    assert not out.requires_grad and out.grad_fn is None


# ---------------------------------------------------------------- nonzero and where(cond)
NONZERO_CASES = {
    "matrix": TIED,
    "bool": TIED > 2,
    "floats": np.array([0.0, -0.0, 1.5, np.nan]),
    "scalar": np.array(2.0),
    "zero_scalar": np.array(0),
    "empty": np.zeros((2, 0)),
}


@pytest.mark.parametrize("case", list(NONZERO_CASES))
def test_nonzero_matches_torch(case, backend):
    x, tx = both(NONZERO_CASES[case])
    assert_same(x.nonzero(), tx.nonzero())
    found, expected = mg.nonzero(x, as_tuple=True), torch.nonzero(tx, as_tuple=True)
    assert isinstance(found, tuple) and len(found) == len(expected)
    for mine, theirs in zip(found, expected):
        assert_same(mine, theirs)


def test_nonzero_as_tuple_is_where_with_one_argument():
    x, tx = both(TIED > 1)
    for mine, theirs in zip(mg.ops.sorting.nonzero(x, as_tuple=True), torch.where(tx)):
        assert_same(mine, theirs)
    picked = x.float()[mg.ops.sorting.nonzero(x, as_tuple=True)]
    np.testing.assert_array_equal(picked.numpy(), np.ones(int((TIED > 1).sum())))


# ---------------------------------------------------------------- bincount
BINS = np.array([4, 0, 2, 2, 4, 4])
BINCOUNT_CASES = {
    "counts": {},
    "minlength_longer": {"minlength": 8},
    "minlength_shorter": {"minlength": 2},
    "float32_weights": {"weights": np.linspace(-1, 1, 6, dtype=np.float32)},
    "float64_weights": {"weights": np.linspace(-1, 1, 6)},
    "int_weights": {"weights": np.arange(6)},
}


@pytest.mark.parametrize("case", list(BINCOUNT_CASES))
def test_bincount_matches_torch(case, backend):
    kwargs = dict(BINCOUNT_CASES[case])
    weights = kwargs.pop("weights", None)
    mine = mg.tensor(BINS).bincount(None if weights is None else mg.tensor(weights), **kwargs)
    theirs = torch.bincount(torch.tensor(BINS),
                            None if weights is None else torch.tensor(weights), **kwargs)
    assert mine.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6)


def test_bincount_of_an_empty_input_is_minlength_zeros():
    assert_same(mg.bincount(mg.tensor(np.zeros(0, np.int64)), minlength=3),
          torch.bincount(torch.tensor(np.zeros(0, np.int64)), minlength=3))


BINCOUNT_ERRORS = {
    "negative": (np.array([1, -1]), {}, "input must be 1-D, of an integer dtype and non-neg"),
    "matrix": (np.array([[1, 2]]), {}, r"input must be 1-D.*\(input \(1, 2\) int64\)"),
    "minlength": (np.array([1, 2]), {"minlength": -1}, "minlength must be >= 0, got -1"),
    "weights_length": (np.array([1, 2]), {"weights": np.ones(3)},
                       r"weights must be 1-D and as long as input"),
}


@pytest.mark.parametrize("case", list(BINCOUNT_ERRORS))
def test_bincount_errors_are_runtime_errors(case):
    values, kwargs, message = BINCOUNT_ERRORS[case]
    t_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                for k, v in kwargs.items()}
    with pytest.raises(RuntimeError):
        torch.bincount(torch.tensor(values), **t_kwargs)
    kwargs = {k: mg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with pytest.raises(RuntimeError, match=f"bincount: {message}"):
        mg.bincount(mg.tensor(values), **kwargs)
