"""The pointwise ops beyond the registry sweep: the rounding ops (whose zero gradient the
sweep cannot check, see ``minigrad/ops/pointwise_rounding.py``) against PyTorch, and the
dtypes of integer inputs."""

import pytest

import minigrad as mg

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

ROUNDING = ["sign", "floor", "ceil", "round", "trunc"]
DTYPES = [(mg.float32, torch.float32), (mg.float64, torch.float64)]
# exact halves (round goes to even), zeros of both signs, integers and values in between
VALUES = [-2.5, -1.5, -1.0, -0.7, -0.5, -0.0, 0.0, 0.3, 0.5, 1.5, 2.5, 3.7]


@pytest.mark.parametrize("dtypes", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", ROUNDING)
def test_rounding_values_and_gradients_match_torch(name, dtypes, backend):
    """Values as torch's, and inside a graph the op passes a zero gradient: d/dx of
    op(x) * x is op(x)."""
    ours_dtype, torch_dtype = dtypes
    x = mg.tensor(VALUES, dtype=ours_dtype, requires_grad=True)
    tx = torch.tensor(VALUES, dtype=torch_dtype, requires_grad=True)
    out, t_out = getattr(mg, name)(x), getattr(torch, name)(tx)
    assert out.requires_grad and out.dtype == ours_dtype
    (out * x).sum().backward()
    (t_out * tx).sum().backward()
    np.testing.assert_array_equal(out.numpy(), t_out.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("name", ROUNDING)
def test_rounding_alone_gives_a_zero_gradient(name, backend):
    x = mg.tensor(VALUES, requires_grad=True)
    getattr(x, name)().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(len(VALUES), dtype="float32"))


@pytest.mark.parametrize("dtypes", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("decimals", [1, 2, -1])
def test_round_to_decimals_matches_torch(decimals, dtypes, backend):
    ours_dtype, torch_dtype = dtypes
    data = np.random.default_rng(0).uniform(-300, 300, size=50)
    out = mg.tensor(data, dtype=ours_dtype).round(decimals=decimals)
    expected = torch.tensor(data, dtype=torch_dtype).round(decimals=decimals)
    assert out.dtype == ours_dtype
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("name", ROUNDING)
def test_rounding_keeps_integer_tensors(name, backend):
    data = [-3, -1, 0, 2, 5]
    out = getattr(mg, name)(mg.tensor(data))
    expected = getattr(torch, name)(torch.tensor(data))
    assert out.dtype == mg.int64
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("name", ["sin", "log1p", "exp2", "rsqrt", "reciprocal", "erf",
                                  "erfc", "atan"])
def test_float_producing_ops_turn_integers_into_the_default_float(name, backend):
    data = [1, 2, 3]
    out = getattr(mg, name)(mg.tensor(data))
    expected = getattr(torch, name)(torch.tensor(data))
    assert out.dtype == mg.float32 and expected.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


# NOTE: torch's hypot and logaddexp refuse integer tensors; minigrad's take the default float
@pytest.mark.parametrize("name", ["atan2", "fmod", "remainder"])
def test_binary_ops_of_integer_tensors_take_torchs_dtype(name, backend):
    a, b = [5, -7, 9], [2, 3, -4]
    out = getattr(mg, name)(mg.tensor(a), mg.tensor(b))
    expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert out.dtype.name == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


def test_square_keeps_integers_as_torch_does():
    out = mg.square(mg.tensor([-3, 4]))
    assert out.dtype == mg.int64
    assert out.numpy().tolist() == [9, 16]
