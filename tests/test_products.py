"""Products, fused pointwise arithmetic, clamp with tensor bounds and max/min of two tensors
beyond the registry sweep: PyTorch's errors, integer dtypes, edge cases the sweep keeps away
from (ties, nan and inf, crossed bounds), in-place clamp and the one-argument where."""

import pytest

import minigrad as mg
from minigrad.errors import DTypeError, ShapeError

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")


def _pair(values, dtype=mg.float64, requires_grad=True):
    """The same values as a minigrad tensor and a torch tensor."""
    torch_dtype = getattr(torch, dtype.name)
    return (mg.tensor(values, dtype=dtype, requires_grad=requires_grad),
            torch.tensor(values, dtype=torch_dtype, requires_grad=requires_grad))


def _ints(*shape):
    values = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape) % 5 - 2
    return mg.tensor(values), torch.tensor(values)


# ---------------------------------------------------------------- products: errors
RANK_ERRORS = [
    ("mm", (3,), (3, 2), "self must be a matrix"),
    ("mm", (2, 3), (3,), "mat2 must be a matrix"),
    ("mm", (2, 3), (4, 5), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ("bmm", (2, 3), (2, 3, 4), "batch1 must be a 3D tensor"),
    ("bmm", (2, 3, 4), (3, 4, 5), r"shapes cannot be multiplied \(2x3x4 and 3x4x5\)"),
    ("mv", (3,), (3,), "self must be a matrix"),
    ("mv", (2, 3), (4,), r"size mismatch, got mat \(2x3\), vec \(4\)"),
    ("dot", (2, 3), (3,), "1D tensors expected, but got 2D and 1D tensors"),
    ("dot", (3,), (4,), "inconsistent tensor size, expected tensor \\[3\\] and src \\[4\\]"),
    ("outer", (2, 3), (3,), "expected 1-D argument self, but got 2-D"),
]


@pytest.mark.parametrize("name, shape_a, shape_b, message", RANK_ERRORS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(RANK_ERRORS)])
def test_products_refuse_wrong_ranks_and_sizes_as_torch(name, shape_a, shape_b, message):
    a, b = mg.ones(shape_a), mg.ones(shape_b)
    with pytest.raises(RuntimeError):
        getattr(torch, name)(torch.ones(shape_a), torch.ones(shape_b))
    with pytest.raises(ShapeError, match=f"^{name}: .*{message}"):
        getattr(mg, name)(a, b)


@pytest.mark.parametrize("name, shapes", [("mm", [(2, 3), (3, 2)]), ("mv", [(2, 3), (3,)]),
                                          ("dot", [(3,), (3,)]), ("bmm", [(1, 2, 3), (1, 3, 2)])])
def test_products_refuse_mixed_dtypes(name, shapes):
    for other in (mg.float64, mg.int64):
        with pytest.raises(DTypeError, match=f"^{name}: .*float32, {other.name}"):
            getattr(mg, name)(mg.ones(shapes[0]), mg.ones(shapes[1], dtype=other))


def test_addmm_refuses_an_input_that_would_grow_the_result_and_positional_scalars():
    mat1, mat2 = mg.ones(2, 3), mg.ones(3, 4)
    with pytest.raises(ShapeError, match=r"addmm: input of shape \(3,\) cannot be expanded "
                                         r"to the product's shape \(2, 4\)"):
        mg.addmm(mg.ones(3), mat1, mat2)
    with pytest.raises(ShapeError, match="addmm: input of shape"):
        mg.addmm(mg.ones(2, 2, 4), mat1, mat2)
    with pytest.raises(ShapeError, match="addmm: mat1 must be a matrix"):
        mg.addmm(mg.ones(4), mg.ones(3), mat2)
    with pytest.raises(TypeError):
        mg.addmm(mg.ones(4), mat1, mat2, 2, 3)  # beta and alpha are keyword-only


def test_addmm_with_beta_zero_ignores_nan_and_inf_in_input():
    input = mg.tensor([[float("nan"), float("inf")], [1.0, -float("inf")]], requires_grad=True)
    mat1, mat2 = mg.ones(2, 3, requires_grad=True), mg.ones(3, 2)
    out = mg.addmm(input, mat1, mat2, beta=0, alpha=2)
    np.testing.assert_array_equal(out.numpy(), np.full((2, 2), 6.0))
    out.sum().backward()
    np.testing.assert_array_equal(input.grad.numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(mat1.grad.numpy(), np.full((2, 3), 4.0))


# ---------------------------------------------------------------- products: integers
@pytest.mark.parametrize("name, shapes, kwargs", [
    ("mm", [(2, 3), (3, 4)], {}), ("bmm", [(2, 2, 3), (2, 3, 2)], {}),
    ("mv", [(2, 3), (3,)], {}), ("dot", [(4,), (4,)], {}), ("outer", [(3,), (2,)], {}),
    ("addmm", [(2, 2), (2, 3), (3, 2)], {"beta": 2, "alpha": 3}),
    ("addmm", [(2, 2), (2, 3), (3, 2)], {"beta": 0.5, "alpha": 1.5}),  # truncated, as torch
    ("baddbmm", [(2, 1), (3, 2, 3), (3, 3, 1)], {"alpha": -1}),
])
def test_integer_products_stay_integer_as_torch(name, shapes, kwargs):
    pairs = [_ints(*shape) for shape in shapes]
    out = getattr(mg, name)(*(p[0] for p in pairs), **kwargs)
    expected = getattr(torch, name)(*(p[1] for p in pairs), **kwargs)
    assert out.dtype == mg.int64 and expected.dtype == torch.int64
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_outer_joins_an_integer_vector_to_a_float_one():
    (a, ta), (b, tb) = _ints(3), _pair([0.5, -1.5])
    out, expected = mg.outer(a, b), torch.outer(ta, tb)
    assert out.dtype == mg.float64 and expected.dtype == torch.float64
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())


# ---------------------------------------------------------------- einsum
def test_einsum_takes_a_list_spaces_and_an_implicit_output_as_torch():
    rng = np.random.default_rng(0)
    a, ta = _pair(rng.standard_normal((2, 3)))
    b, tb = _pair(rng.standard_normal((3, 4)))
    for equation in ("i j , j k -> i k", "ij,jk", "Ba", "aB"):
        operands = [a, b] if "," in equation else [a]
        t_operands = [ta, tb] if "," in equation else [ta]
        out, expected = mg.einsum(equation, operands), torch.einsum(equation, t_operands)
        assert out.shape == tuple(expected.shape), equation
        np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12)


def test_einsum_of_one_operand_twice_sums_both_gradients():
    x, tx = _pair([1.0, -2.0, 0.5])
    mg.einsum("i,i->", x, x).backward()
    torch.einsum("i,i->", tx, tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())


@pytest.mark.parametrize("equation, shapes, message", [
    ("ij,jk->ik", [(2, 3)], "subscripts for 2 operands, got 1"),
    ("ijk->i", [(2, 3)], "subscripts 'ijk' do not fit an operand of shape \\(2, 3\\)"),
    ("...ijk->i", [(2, 3)], "subscripts '...ijk' do not fit"),
])
def test_einsum_refuses_subscripts_that_do_not_fit(equation, shapes, message):
    with pytest.raises(ShapeError, match=f"^einsum: .*{message}"):
        mg.einsum(equation, *(mg.ones(s) for s in shapes))


def test_einsum_refuses_mixed_dtypes_and_keeps_integers():
    with pytest.raises(DTypeError, match="einsum: .*float32, int64"):
        mg.einsum("ij,jk", mg.ones(2, 3), mg.ones(3, 2, dtype=mg.int64))
    (a, ta), (b, tb) = _ints(2, 3), _ints(3, 2)
    out = mg.einsum("ij,jk->ik", a, b)
    assert out.dtype == mg.int64
    np.testing.assert_array_equal(out.numpy(), torch.einsum("ij,jk->ik", ta, tb).numpy())


# ---------------------------------------------------------------- clamp
def _clamp_case(x_values, lo_values, hi_values):
    """Output and the gradients of x, min and max of clamp with tensor bounds: minigrad's
    and torch's."""
    cotangent = np.arange(1.0, len(x_values) + 1)
    (x, tx), (lo, t_lo), (hi, t_hi) = (_pair(v) for v in (x_values, lo_values, hi_values))
    out, t_out = mg.clamp(x, lo, hi), torch.clamp(tx, t_lo, t_hi)
    out.backward(mg.tensor(cotangent))
    t_out.backward(torch.tensor(cotangent))
    return ([out.detach().numpy(), x.grad.numpy(), lo.grad.numpy(), hi.grad.numpy()],
            [t_out.detach().numpy(), tx.grad.numpy(), t_lo.grad.numpy(), t_hi.grad.numpy()])


def test_clamp_tensor_bounds_at_ties_and_crossings_match_torch():
    """Inputs on a bound, equal bounds and crossed bounds (lo > hi): torch's rules for who
    gets the gradient, element by element."""
    x = [-2.0, -1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 3.0, 1.0]
    lo = [-1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 2.0, 2.0]
    hi = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    ours, theirs = _clamp_case(x, lo, hi)
    for what, got, expected in zip(["out", "x", "min", "max"], ours, theirs):
        np.testing.assert_array_equal(got, expected, err_msg=what)


@pytest.mark.parametrize("bounds", [(None, "hi"), ("lo", None)])
def test_one_sided_tensor_bound_matches_torch(bounds):
    values = {"lo": [0.0, 0.5, 2.0], "hi": [0.0, 0.5, 2.0]}
    x, tx = _pair([-1.0, 0.5, 3.0])
    pairs = [None if b is None else _pair(values[b]) for b in bounds]
    out = mg.clamp(x, *(None if p is None else p[0] for p in pairs))
    expected = torch.clamp(tx, *(None if p is None else p[1] for p in pairs))
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    bound, t_bound = next(p for p in pairs if p is not None)
    np.testing.assert_array_equal(bound.grad.numpy(), t_bound.grad.numpy())


@pytest.mark.parametrize("make, bounds", [
    (lambda lib: lib.arange(6), lambda lib: (lib.tensor(1), lib.tensor(3))),
    (lambda lib: lib.arange(6), lambda lib: (1.5, 3)),
    (lambda lib: lib.arange(6.0), lambda lib: (lib.tensor([1, 2, 3, 4, 5, 6]), None)),
    (lambda lib: lib.arange(6), lambda lib: (lib.tensor(1.5), None)),
], ids=["int_tensor_bounds", "int_input_float_numbers", "float_input_int_bounds",
        "int_input_float_bound"])
def test_clamp_dtypes_follow_torch(make, bounds):
    out = mg.clamp(make(mg), *bounds(mg))
    expected = torch.clamp(make(torch), *bounds(torch))
    assert out.dtype.name == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_clamp_refuses_what_torch_refuses_and_float64_bounds_on_float32():
    x = mg.ones(3)
    with pytest.raises(RuntimeError, match="clamp: at least one of 'min' or 'max'"):
        mg.clamp(x)
    with pytest.raises(TypeError, match="clamp: min and max must both be numbers or both"):
        mg.clamp(x, mg.zeros(3), 0.5)
    with pytest.raises(DTypeError):
        mg.clamp(x, mg.zeros(3, dtype=mg.float64))


def test_clip_and_the_methods_are_clamp():
    x, tx = _pair([-2.0, 0.0, 2.0])
    lo, t_lo = _pair([-1.0, 0.5, 1.0])
    for out in (mg.clip(x, lo, 1.5 * lo), x.clip(lo, 1.5 * lo), x.clamp(min=lo, max=1.5 * lo)):
        np.testing.assert_array_equal(out.detach().numpy(),
                                      torch.clip(tx, t_lo, 1.5 * t_lo).detach().numpy())


def test_clamp_in_place_takes_tensor_bounds():
    x, tx = _pair([-2.0, 0.0, 2.0, 5.0], mg.float32, requires_grad=False)
    lo, t_lo = _pair([-1.0, 0.5, 1.0, 1.0], mg.float32, requires_grad=False)
    version = x._version
    assert x.clamp_(lo, mg.tensor(3.0)) is x
    tx.clamp_(t_lo, torch.tensor(3.0))
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
    assert x._version == version + 1
    with pytest.raises(DTypeError, match="clamp_"):
        x.clamp_(mg.zeros(4, dtype=mg.float64))
    with pytest.raises(RuntimeError, match="clamp_: at least one"):
        x.clamp_()
    assert x._version == version + 1  # a refused call changes nothing


# ---------------------------------------------------------------- max and min of two tensors
@pytest.mark.parametrize("pick", ["max", "min"])
def test_max_and_min_of_two_tensors_are_maximum_and_minimum(pick):
    a_values = [[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]]
    b_values = [1.0, 0.0, 3.0]  # broadcast, with ties
    cotangent = np.arange(6.0).reshape(2, 3)
    expected_values = None
    for call in (lambda lib, a, b: getattr(lib, pick)(a, b),
                 lambda lib, a, b: getattr(a, pick)(b),
                 lambda lib, a, b: getattr(lib, pick)(a, other=b)):
        (a, ta), (b, tb) = _pair(a_values), _pair(b_values)
        out, expected = call(mg, a, b), call(torch, ta, tb)
        out.backward(mg.tensor(cotangent))
        expected.backward(torch.tensor(cotangent))
        np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
        np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
        np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())
        expected_values = expected_values or out.detach().numpy().tolist()
        assert out.detach().numpy().tolist() == expected_values


def test_max_of_two_tensors_refuses_a_dim_and_keeps_the_reduction():
    a, b = mg.ones(2, 3), mg.zeros(2, 3)
    with pytest.raises(TypeError, match="max: with a tensor other"):
        mg.max(a, b, True)
    values, indices = mg.max(mg.tensor([[1.0, 3.0], [4.0, 2.0]]), 1)
    assert values.numpy().tolist() == [3.0, 4.0] and indices.numpy().tolist() == [1, 0]


def test_top_level_reductions_and_clip_are_exported():
    x = mg.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert float(mg.max(x)) == 5.0 and float(mg.min(x)) == 1.0
    assert int(mg.argmax(x)) == 1 and int(mg.argmin(x)) == 0
    np.testing.assert_allclose(float(mg.var(x)), torch.var(torch.tensor(x.numpy())).item())
    assert {"max", "min", "argmax", "argmin", "var", "clip", "einsum"} <= set(mg.__all__)


# ---------------------------------------------------------------- where(condition)
def test_where_with_only_a_condition_is_nonzero_as_tuple():
    condition = np.array([[True, False, True], [False, False, True]])
    got = mg.where(mg.tensor(condition))
    expected = torch.where(torch.tensor(condition))
    assert len(got) == len(expected) == 2
    for ours, theirs in zip(got, expected):
        assert ours.dtype == mg.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------- fused pointwise arithmetic
def test_lerp_reaches_end_exactly_and_refuses_integers_and_mixed_floats():
    start, end = mg.tensor([0.1, -3.3, 7.7]), mg.tensor([0.3, 2.9, -1e-3])
    np.testing.assert_array_equal(mg.lerp(start, end, 1.0).numpy(), end.numpy())
    np.testing.assert_array_equal(start.lerp(end, mg.ones(3)).numpy(), end.numpy())
    with pytest.raises(NotImplementedError, match="lerp: needs floating point"):
        mg.lerp(mg.arange(3), mg.arange(3), 0.5)
    with pytest.raises(DTypeError):
        mg.lerp(start, end, mg.tensor(0.5, dtype=mg.float64))


def test_addcmul_and_addcdiv_integer_rules_follow_torch():
    (a, ta), (b, tb), (c, tc) = _ints(4), _ints(4), _ints(4)
    out = mg.addcmul(a, b, c, value=2.5)
    expected = torch.addcmul(ta, tb, tc, value=2.5)
    assert out.dtype == mg.int64 and expected.dtype == torch.int64
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    with pytest.raises(RuntimeError):
        torch.addcdiv(ta.float(), tb, tc)
    with pytest.raises(RuntimeError, match="addcdiv: integer division is not supported"):
        mg.addcdiv(a.float(), b, c)
    (x, tx), (y, ty) = _pair([1.0, 2.0, 0.5, 4.0]), _pair([2.0, -1.0, 0.25, 8.0])
    out, expected = mg.addcdiv(a, x, y, value=3), torch.addcdiv(ta, tx, ty, value=3)
    assert out.dtype == mg.float64 and expected.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-15)


def test_fused_methods_match_their_functions():
    (x, tx), (y, ty), (z, tz) = (_pair(v) for v in ([1.0, 2.0], [3.0, -4.0], [0.5, 2.0]))
    for name, kwargs in (("addcmul", {"value": -2}), ("addcdiv", {"value": 0.5})):
        np.testing.assert_allclose(getattr(x, name)(y, z, **kwargs).detach().numpy(),
                                   getattr(tx, name)(ty, tz, **kwargs).detach().numpy())


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64], ids=["float32", "float64"])
def test_nan_to_num_defaults_and_gradient_match_torch(dtype):
    values = [float("nan"), float("inf"), -float("inf"), 1.5, -0.25]
    x, tx = _pair(values, dtype)
    out, expected = x.nan_to_num(), torch.nan_to_num(tx)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    assert out.dtype == dtype
    out.backward(mg.full((5,), 2.0, dtype=dtype))
    expected.backward(torch.full((5,), 2.0, dtype=tx.dtype))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0, 2.0, 2.0])


def test_nan_to_num_of_integers_is_a_copy():
    x = mg.tensor([1, -2, 3])
    out = mg.nan_to_num(x, nan=5.0)
    assert out.dtype == mg.int64 and out.numpy().tolist() == [1, -2, 3]
    assert out.data is not x.data
