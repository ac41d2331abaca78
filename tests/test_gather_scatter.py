"""gather, scatter, index_select, masks and indexed writes against PyTorch, beyond the
registry sweeps: integer dtypes, a src larger than its index, PyTorch's errors, boolean-mask
indexing and assignment, and the in-place forms (scatter_, masked_fill_, ...) with the
version check that protects a saved tensor."""

import numpy as np
import pytest
from torch_pairs import assert_same as _assert_same
from torch_pairs import both

import minigrad as mg
from minigrad.errors import DTypeError, ShapeError

torch = pytest.importorskip("torch")


def same(mine, theirs):
    _assert_same(mine, theirs, rtol=1e-12)

X = np.arange(12.0).reshape(3, 4) - 4.5
ROWS = np.array([[2, 0, 1, 0]])  # one write per column along dim 0
MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False,
                                                                          False]])


# ---------------------------------------------------------------- values and dtypes
CALLS = {
    "gather": lambda lib, x, i: lib.gather(x, 1, i(np.array([[3, 0], [1, 1], [0, 2]]))),
    "gather_int32_index": lambda lib, x, i: lib.gather(
        x, 0, i(np.array([[2, 1, 0, 1]], dtype=np.int32))),
    "scatter_src": lambda lib, x, i: lib.scatter(x, 0, i(ROWS), x[1:2] * 10),
    "scatter_value": lambda lib, x, i: lib.scatter(x, 0, i(ROWS), value=7),
    "scatter_value_positional": lambda lib, x, i: lib.scatter(x, 0, i(ROWS), 7),
    "scatter_add_repeats": lambda lib, x, i: lib.scatter_add(
        x, 1, i(np.array([[0, 0, 3], [1, 1, 1], [2, 0, 2]])), x[:, :3]),
    "index_select": lambda lib, x, i: lib.index_select(x, 1, i(np.array([3, 3, 0]))),
    "index_select_int32": lambda lib, x, i: lib.index_select(x, 0, i(np.array([2], np.int32))),
    "masked_fill": lambda lib, x, i: lib.masked_fill(x, i(MASK), 3),
    "masked_select": lambda lib, x, i: lib.masked_select(x, i(MASK[0])),
    "take_along_dim": lambda lib, x, i: lib.take_along_dim(x, i(np.array([[1], [0], [3]])), 1),
    "take_along_dim_flat": lambda lib, x, i: lib.take_along_dim(x, i(np.array([11, 0]))),
}


@pytest.mark.parametrize("dtype", ["int64", "int32", "float32", "float64"])
@pytest.mark.parametrize("name", list(CALLS))
def test_values_and_dtype_match_torch(name, dtype, backend):
    """Integer inputs stay integer (and of their width), float ones keep their precision."""
    x, tx = both(X.astype(dtype))
    same(CALLS[name](mg, x, mg.tensor), CALLS[name](torch, tx, torch.tensor))


def test_gather_of_a_bool_tensor_stays_bool():
    mask, t_mask = both(MASK)
    index = np.array([[1, 0], [3, 3], [0, 0]])
    same(mask.gather(1, mg.tensor(index)), t_mask.gather(1, torch.tensor(index)))


def test_scatter_reads_only_the_block_of_a_larger_src():
    # NOTE: PyTorch has no gradient for a src larger than its index; minigrad gives the
    # unread part of src a zero gradient
    src_values = np.arange(1.0, 13.0).reshape(3, 4)
    x, tx = both(X)
    src, t_src = both(src_values, requires_grad=True)
    index = np.array([[1, 2], [0, 1]])
    for name in ("scatter", "scatter_add"):
        out = getattr(mg, name)(x, 1, mg.tensor(index), src)
        same(out, getattr(torch, name)(tx, 1, torch.tensor(index), t_src))
        g = np.random.default_rng(0).standard_normal(out.shape)
        src.grad = None
        out.backward(mg.tensor(g))
        expected = np.zeros_like(src_values)
        expected[:2, :2] = np.take_along_axis(g[:2], index, axis=1)
        np.testing.assert_allclose(src.grad.numpy(), expected)


def test_scatter_gradient_skips_overwritten_elements_of_input():
    x, tx = both(X, requires_grad=True)
    src, t_src = both(X[:1] * 2, requires_grad=True)
    g = np.random.default_rng(1).standard_normal(X.shape)
    mg.scatter(x, 0, mg.tensor(ROWS), src).backward(mg.tensor(g))
    torch.scatter(tx, 0, torch.tensor(ROWS), t_src).backward(torch.tensor(g))
    same(x.grad, tx.grad)
    same(src.grad, t_src.grad)
    assert (x.grad.numpy()[ROWS[0], range(4)] == 0).all()


def test_masked_fill_with_a_0d_tensor_value_sends_it_the_masked_gradient():
    x, tx = both(X, requires_grad=True)
    value, t_value = both(np.array(2.5), requires_grad=True)
    mg.masked_fill(x, mg.tensor(MASK), value).sum().backward()
    torch.masked_fill(tx, torch.tensor(MASK), t_value).sum().backward()
    same(value.grad, t_value.grad)
    assert value.grad.item() == MASK.sum()
    same(x.grad, tx.grad)


# ---------------------------------------------------------------- errors
ERRORS = {
    "index_out_of_range": (lambda lib, x, i: lib.gather(x, 1, i(np.array([[0, 4]]))),
                           RuntimeError, "gather: index 4 is out of bounds for dimension 1"),
    "negative_index": (lambda lib, x, i: lib.scatter(x, 0, i(np.array([[-1]])), 1.0),
                       RuntimeError, "scatter: index -1 is out of bounds"),
    "float_index": (lambda lib, x, i: lib.gather(x, 0, i(np.array([[0.0]]))),
                    RuntimeError, "gather: expected an index of dtype int32 or int64"),
    "index_fewer_dims": (lambda lib, x, i: lib.gather(x, 1, i(np.array([0, 1]))),
                         RuntimeError, r"gather: index must have as many dims as input "
                                       r"\(input \(3, 4\), index \(2,\)\)"),
    "index_larger_than_input": (lambda lib, x, i: lib.gather(x, 0, i(np.zeros((1, 5), int))),
                                RuntimeError, "gather: index is larger than input at dim 1"),
    "index_larger_than_src": (lambda lib, x, i: lib.scatter_add(
        x, 0, i(np.zeros((1, 2), int)), x[:1, :1]),
        RuntimeError, "scatter_add: index is larger than src at dim 1"),
    "int_src_into_float": (lambda lib, x, i: lib.scatter(x, 0, i(ROWS), i(ROWS)),
                           RuntimeError, "scatter: src is int64 but input is float64"),
    "index_select_matrix_index": (lambda lib, x, i: lib.index_select(x, 0, i(np.zeros((1, 1),
                                                                                  int))),
                                  IndexError, "index_select: index must be a vector"),
    "index_select_out_of_range": (lambda lib, x, i: lib.index_select(x, 1, i(np.array([4]))),
                                  RuntimeError, "index_select: index 4 is out of bounds"),
    "int_mask": (lambda lib, x, i: lib.masked_fill(x, i(np.array([1, 0, 1, 0])), 1.0),
                 RuntimeError, "masked_fill: mask must be a bool tensor, got int64"),
    "vector_value": (lambda lib, x, i: lib.masked_fill(x, i(MASK), i(np.array([1.0]))),
                     RuntimeError, r"masked_fill: value must be a number or a 0-d tensor"),
    "mask_does_not_broadcast": (lambda lib, x, i: lib.masked_select(x, i(MASK[0, :2])),
                                RuntimeError, r"masked_select: shapes \(3, 4\), \(2,\) do not"),
    "take_along_dim_fewer_dims": (lambda lib, x, i: lib.take_along_dim(x, i(np.array([0])), 1),
                                  RuntimeError, "take_along_dim: input and indices must have"),
    "take_along_dim_does_not_broadcast": (
        lambda lib, x, i: lib.take_along_dim(x, i(np.zeros((2, 1), int)), 1),
        RuntimeError, r"take_along_dim: shapes \(3, 1\), \(2, 1\) do not broadcast"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_are_torchs_types_and_name_the_op(name):
    call, kind, message = ERRORS[name]
    x, tx = both(X)
    with pytest.raises(kind):
        call(torch, tx, torch.tensor)
    with pytest.raises(kind, match=message):
        call(mg, x, mg.tensor)


def test_mixing_float32_and_float64_is_refused():
    x = mg.tensor(X, dtype=mg.float32)
    with pytest.raises(DTypeError, match="scatter_add: src is float64 but input is float32"):
        mg.scatter_add(x, 0, mg.tensor(ROWS), mg.tensor(X[:1]))
    with pytest.raises(DTypeError, match="masked_fill: operands have different float dtypes"):
        mg.masked_fill(x, mg.tensor(MASK), mg.tensor(1.0, dtype=mg.float64))


def test_scatter_takes_exactly_one_of_src_and_value_and_no_reduce():
    x, index = mg.tensor(X), mg.tensor(ROWS)
    with pytest.raises(TypeError, match="exactly one of src"):
        mg.scatter(x, 0, index)
    with pytest.raises(TypeError, match="exactly one of src"):
        mg.scatter(x, 0, index, x[:1], value=1.0)
    with pytest.raises(NotImplementedError, match="reduce='multiply' is not supported"):
        mg.scatter(x, 0, index, x[:1], reduce="multiply")


# ---------------------------------------------------------------- x[mask], x[index] = v
def test_boolean_mask_indexing_matches_torch_with_gradient():
    x, tx = both(X, requires_grad=True)
    mask = mg.tensor(MASK)
    out, t_out = x[mask], tx[torch.tensor(MASK)]
    same(out, t_out)
    g = np.arange(float(MASK.sum()))
    out.backward(mg.tensor(g))
    t_out.backward(torch.tensor(g))
    same(x.grad, tx.grad)


SETS = {
    "mask_number": (MASK, 9.0),
    "mask_0d_tensor": (MASK, np.array(-1.0)),
    "mask_values": (MASK, np.arange(float(MASK.sum()))),
    "row_mask": (MASK[:, 0], np.array([1.0, 2.0, 3.0, 4.0])),
    "index_tensor": (np.array([2, 0]), np.array([[1.0, 2.0, 3.0, 4.0]])),
}


@pytest.mark.parametrize("name", list(SETS))
def test_setitem_writes_in_place_like_torch(name, backend):
    where, value = SETS[name]
    x, tx = both(X)
    data, version = x.data, x._version
    x[mg.tensor(where)] = mg.tensor(value) if isinstance(value, np.ndarray) else value
    tx[torch.tensor(where)] = torch.tensor(value) if isinstance(value, np.ndarray) else value
    same(x, tx)
    assert x.data is data and x._version == version + 1


def test_setitem_after_use_is_caught_by_the_backward_that_saved_the_tensor():
    x = mg.tensor(X)
    w = mg.tensor(np.ones(4), requires_grad=True)
    loss = (x * w).sum()  # mul saves x for w's gradient
    x[mg.tensor(MASK)] = 0.0
    with pytest.raises(RuntimeError, match="mul: an array saved for backward was modified"):
        loss.backward()


def test_setitem_refuses_a_value_of_the_other_float_precision():
    x = mg.tensor(X, dtype=mg.float32)
    with pytest.raises(DTypeError, match="cannot write float64 values into a float32"):
        x[mg.tensor(MASK)] = mg.tensor(1.0, dtype=mg.float64)


# ---------------------------------------------------------------- in-place methods
INPLACE = {
    "masked_fill_": lambda x, i: x.masked_fill_(i(MASK), -2.0),
    "masked_fill_row_mask": lambda x, i: x.masked_fill_(i(MASK[1]), i(np.array(5.0))),
    "scatter_": lambda x, i: x.scatter_(0, i(ROWS), i(X[:1] * 3)),
    "scatter_value": lambda x, i: x.scatter_(1, i(np.array([[0], [3], [1]])), value=8.0),
    "scatter_add_": lambda x, i: x.scatter_add_(1, i(np.array([[0, 0], [3, 3], [1, 2]])),
                                                i(X[:, :2])),
    "index_fill_": lambda x, i: x.index_fill_(1, i(np.array([0, 3])), -1.0),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_methods_match_torch_and_bump_the_version(name, backend):
    x, tx = both(X)
    data, version = x.data, x._version
    assert INPLACE[name](x, mg.tensor) is x
    INPLACE[name](tx, torch.tensor)
    same(x, tx)
    assert x.data is data and x._version == version + 1


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_methods_refuse_a_tensor_that_requires_grad(name):
    x = mg.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be changed in place"):
        INPLACE[name](x, mg.tensor)
    with mg.no_grad():
        INPLACE[name](x, mg.tensor)
    assert x._version == 1


def test_a_refused_inplace_call_leaves_the_tensor_unchanged():
    x = mg.tensor(X)
    with pytest.raises(ShapeError, match=r"masked_fill_: a mask of shape \(2, 3, 4\) does not"):
        x.masked_fill_(mg.tensor(np.ones((2, 3, 4), bool)), 1.0)
    with pytest.raises(RuntimeError, match="scatter_: index 3 is out of bounds"):
        x.scatter_(0, mg.tensor([[3]]), 1.0)
    with pytest.raises(RuntimeError, match="index_fill_: index 4 is out of bounds"):
        x.index_fill_(1, mg.tensor([4]), 1.0)
    assert x._version == 0
    np.testing.assert_array_equal(x.numpy(), X)
