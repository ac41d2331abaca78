"""Property tests: broadcasting, indexing, reductions and shape ops on random shapes, each
checked against NumPy (forward) and a NumPy-built gradient (backward), all in float64."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg

PROPERTY = settings(max_examples=60, deadline=None)

VALUES = st.floats(-4.0, 4.0, allow_nan=False, allow_infinity=False, width=64)
AWAY_FROM_ZERO = st.one_of(st.floats(-4.0, -0.5), st.floats(0.5, 4.0))


def _array(data, shape, elements=VALUES):
    return data.draw(hnp.arrays(np.float64, shape, elements=elements))


def _leaf(array):
    return mg.tensor(array, dtype=mg.float64, requires_grad=True)


def _sum_to(g, shape):
    """Sum ``g`` over the axes NumPy broadcast ``shape`` along (a reference of our own)."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True).reshape(shape)


def _winner(x, other, beats):
    """Local derivative of an elementwise max/min for ``x``: 1 if it wins, 1/2 on a tie."""
    return np.where(beats(x, other), 1.0, np.where(x == other, 0.5, 0.0))


# Each entry: (minigrad op, numpy op, local derivatives (d/da, d/db) on broadcast arrays).
BINARY = {
    "add": (lambda a, b: a + b, np.add, lambda a, b: (np.ones_like(a), np.ones_like(b))),
    "sub": (lambda a, b: a - b, np.subtract, lambda a, b: (np.ones_like(a), -np.ones_like(b))),
    "mul": (lambda a, b: a * b, np.multiply, lambda a, b: (b, a)),
    "div": (lambda a, b: a / b, np.divide, lambda a, b: (1 / b, -a / b ** 2)),
    "maximum": (mg.maximum, np.maximum,
                lambda a, b: (_winner(a, b, np.greater), _winner(b, a, np.greater))),
    "minimum": (mg.minimum, np.minimum,
                lambda a, b: (_winner(a, b, np.less), _winner(b, a, np.less))),
}


# ---------------------------------------------------------------- broadcasting
@pytest.mark.parametrize("name", sorted(BINARY))
@PROPERTY
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, min_side=0,
                                               max_side=4),
       data=st.data())
def test_binary_ops_broadcast_like_numpy(name, shapes, data):
    op, np_op, local = BINARY[name]
    (shape_a, shape_b), out_shape = shapes.input_shapes, shapes.result_shape
    a_np = _array(data, shape_a)
    b_np = _array(data, shape_b, AWAY_FROM_ZERO if name == "div" else VALUES)
    a, b = _leaf(a_np), _leaf(b_np)

    out = op(a, b)
    assert out.shape == out_shape == np.broadcast_shapes(shape_a, shape_b)
    assert out.dtype == mg.float64
    np.testing.assert_allclose(out.numpy(), np_op(a_np, b_np), rtol=1e-15, atol=0)

    out.backward(mg.tensor(np.ones(out_shape)))
    da, db = local(*np.broadcast_arrays(a_np, b_np))
    for t, d in ((a, da), (b, db)):
        assert t.grad.shape == t.shape
        # NOTE: atol because the two sums over broadcast axes may add in different orders,
        # and a sum that cancels to near zero has no relative precision left
        np.testing.assert_allclose(t.grad.numpy(), _sum_to(d, t.shape), rtol=1e-13,
                                   atol=1e-10)


# ---------------------------------------------------------------- indexing
SHAPES = hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5)


@PROPERTY
@given(data=st.data())
def test_basic_indexing_matches_numpy_and_scatters_gradient(data):
    shape = data.draw(SHAPES)
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True))
    x_np = _array(data, shape)
    x = _leaf(x_np)

    out = x[index]
    expected = x_np[index]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)

    cotangent = _array(data, expected.shape)
    out.backward(mg.tensor(cotangent))
    g_x = np.zeros(shape)
    g_x[index] = cotangent  # basic indices pick every element at most once
    assert x.grad.shape == shape
    np.testing.assert_array_equal(x.grad.numpy(), g_x)


@PROPERTY
@given(data=st.data())
def test_integer_array_indexing_accumulates_repeated_rows(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    rows = data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6))
    rows = rows + rows[:1]  # at least one row picked twice
    form = data.draw(st.sampled_from(["list", "numpy", "tensor"]))
    index = {"list": rows, "numpy": np.array(rows), "tensor": mg.tensor(rows)}[form]
    x_np = _array(data, shape)
    x = _leaf(x_np)

    out = x[index]
    np.testing.assert_array_equal(out.numpy(), x_np[np.array(rows)])

    cotangent = _array(data, out.shape)
    out.backward(mg.tensor(cotangent))
    g_x = np.zeros(shape)
    np.add.at(g_x, np.array(rows), cotangent)
    np.testing.assert_allclose(x.grad.numpy(), g_x, rtol=1e-15, atol=0)


# ---------------------------------------------------------------- reductions
@st.composite
def _shape_and_dims(draw):
    """A shape and a ``dim`` for it: None, one axis, or a tuple of distinct axes (either
    sign), as PyTorch accepts them."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    ndim = len(shape)
    if ndim == 0 or draw(st.booleans()):
        return shape, None
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    signed = [a - ndim if draw(st.booleans()) else a for a in axes]
    if len(signed) == 1 and draw(st.booleans()):
        return shape, signed[0]
    return shape, tuple(signed)


@pytest.mark.parametrize("name", ["sum", "mean"])
@PROPERTY
@given(shape_dims=_shape_and_dims(), keepdim=st.booleans(), data=st.data())
def test_sum_and_mean_over_dims_match_numpy(name, shape_dims, keepdim, data):
    shape, dim = shape_dims
    x_np = _array(data, shape)
    x = _leaf(x_np)

    out = getattr(x, name)(dim=dim, keepdim=keepdim)
    expected = getattr(np, name)(x_np, axis=dim, keepdims=keepdim)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)

    cotangent = _array(data, out.shape)
    out.backward(mg.tensor(cotangent))
    axes = tuple(range(len(shape))) if dim is None else np.atleast_1d(dim) % len(shape)
    spread = cotangent if keepdim else np.expand_dims(cotangent, tuple(axes))
    count = np.prod([shape[a] for a in axes]) if name == "mean" else 1
    assert x.grad.shape == shape
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(spread / count, shape),
                               rtol=1e-14)


# ---------------------------------------------------------------- shape ops
@st.composite
def _reshape_target(draw, size):
    """A shape with ``size`` elements (up to 4 dims, maybe with one -1 to infer)."""
    dims, rest = [], size
    while rest > 1 and len(dims) < 3:
        factor = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
        dims.append(factor)
        rest //= factor
    dims.append(rest)
    dims = draw(st.permutations(dims))
    if draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return tuple(dims)


def _backprop_weighted_sum(x, y, weights):
    """Backward of sum(y * weights): x.grad is ``weights`` moved back to x's layout."""
    (y * mg.tensor(weights)).sum().backward()
    assert x.grad.shape == x.shape
    return x.grad.numpy()


ROUND_TRIP_SHAPES = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)


@PROPERTY
@given(data=st.data())
def test_reshape_round_trip_keeps_values_and_gradient(data):
    shape = data.draw(ROUND_TRIP_SHAPES)
    x_np = _array(data, shape)
    target = data.draw(_reshape_target(x_np.size))
    x = _leaf(x_np)

    y = x.reshape(target)
    np.testing.assert_array_equal(y.numpy(), x_np.reshape(target))
    np.testing.assert_array_equal(y.reshape(shape).numpy(), x_np)
    weights = _array(data, y.shape)
    np.testing.assert_array_equal(_backprop_weighted_sum(x, y, weights), weights.reshape(shape))


@PROPERTY
@given(data=st.data())
def test_transpose_round_trip_keeps_values_and_gradient(data):
    shape = data.draw(ROUND_TRIP_SHAPES)
    ndim = len(shape)
    d0, d1 = data.draw(st.tuples(st.integers(-ndim, ndim - 1), st.integers(-ndim, ndim - 1)))
    x_np = _array(data, shape)
    x = _leaf(x_np)

    y = x.transpose(d0, d1)
    np.testing.assert_array_equal(y.numpy(), np.swapaxes(x_np, d0, d1))
    np.testing.assert_array_equal(y.transpose(d0, d1).numpy(), x_np)
    weights = _array(data, y.shape)
    np.testing.assert_array_equal(_backprop_weighted_sum(x, y, weights),
                                  np.swapaxes(weights, d0, d1))


@PROPERTY
@given(data=st.data())
def test_permute_round_trip_keeps_values_and_gradient(data):
    shape = data.draw(ROUND_TRIP_SHAPES)
    dims = data.draw(st.permutations(range(len(shape))))
    inverse = tuple(int(i) for i in np.argsort(dims))
    x_np = _array(data, shape)
    x = _leaf(x_np)

    y = x.permute(*dims)
    np.testing.assert_array_equal(y.numpy(), np.transpose(x_np, dims))
    np.testing.assert_array_equal(y.permute(*inverse).numpy(), x_np)
    weights = _array(data, y.shape)
    np.testing.assert_array_equal(_backprop_weighted_sum(x, y, weights),
                                  np.transpose(weights, inverse))
