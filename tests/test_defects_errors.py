"""Issue 15, the error contract, each case side by side with PyTorch: ``.grad`` assignment
checked as PyTorch checks it (item 3), the exception types PyTorch raises while the old
``ValueError``/``TypeError`` stay catchable (item 7), and messages that name the op and the
argument instead of NumPy's or Python's internals (item 8)."""

import numpy as np
import pytest
from conftest import USABLE

import minigrad as mg
from minigrad import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@pytest.fixture
def param():
    return nn.Parameter(mg.zeros(3))


def _refused_by_torch(value):
    with pytest.raises(RuntimeError):
        torch.nn.Parameter(torch.zeros(3)).grad = value


def test_a_grad_of_another_size_is_refused(param):
    """Item 3: SGD would broadcast a (1,) gradient into every element of a (3,) weight."""
    _refused_by_torch(torch.ones(1))
    with pytest.raises(RuntimeError, match=r"different size: grad \(1,\), tensor \(3,\)"):
        param.grad = mg.ones(1)
    assert param.grad is None


def test_a_grad_of_another_dtype_is_refused(param):
    """Item 3: a float64 gradient on a float32 parameter."""
    _refused_by_torch(torch.ones(3, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="different type: grad float64, tensor float32"):
        param.grad = mg.ones(3, dtype=mg.float64)
    assert param.grad is None


@pytest.mark.skipif("numba" not in USABLE, reason="numba backend not usable here: "
                                                  "pip install 'minigrad[numba]'")
def test_a_grad_on_another_backend_is_refused(param):
    """Item 3: the gradient must live where the parameter does (PyTorch: its device)."""
    with pytest.raises(RuntimeError, match=r"different backend: grad numba.*\.to\('numpy'\)"):
        param.grad = mg.ones(3, backend="numba")


def test_a_matching_grad_and_none_are_taken(param):
    param.grad = mg.full((3,), 2.0)
    np.testing.assert_array_equal(param.grad.numpy(), [2.0, 2.0, 2.0])
    param.grad = None
    assert param.grad is None


def _recurrent_pair(name, hidden_batch=None):
    """A call of ``nn.<name>(3, 4)`` on (5, 2, 7) input (the wrong feature count) or, given
    ``hidden_batch``, on right input with a hidden state of the wrong batch size."""
    def call(lib):
        layer = getattr(lib.nn, name)(3, 4)
        if hidden_batch is None:
            return layer(lib.ones(5, 2, 7))
        h = lib.zeros(1, hidden_batch, 4)
        return layer(lib.ones(5, 2, 3), (h, h) if name == "LSTM" else h)
    return call


def _batch_norm_missing_var(lib):
    layer = lib.nn.BatchNorm1d(3)
    layer.running_var = None
    return layer.eval()(lib.ones(2, 3))


def _bool_mask(lib):
    return lib.ones(3) > 0


# (case, the call for either library, the type minigrad raised before: still caught)
TYPE_CASES = [
    ("broadcast", lambda lib: lib.ones(2, 3) + lib.ones(4), ValueError),
    ("reshape", lambda lib: lib.ones(2, 3).reshape(4), ValueError),
    ("view", lambda lib: lib.ones(2, 3).view(5), ValueError),
    ("permute", lambda lib: lib.ones(2, 3).permute(0), ValueError),
    ("sum_repeated_dims", lambda lib: lib.ones(2, 3).sum((0, 0)), ValueError),
    ("item_of_many", lambda lib: lib.ones(2, 3).item(), ValueError),
    ("batch_norm_eval_missing_stat", _batch_norm_missing_var, ValueError),
    *[(f"{name}_features", _recurrent_pair(name), ValueError)
      for name in ("RNN", "LSTM", "GRU")],
    *[(f"{name}_hidden", _recurrent_pair(name, hidden_batch=9), ValueError)
      for name in ("RNN", "LSTM", "GRU")],
    ("rnn_cell_hidden", lambda lib: lib.nn.RNNCell(3, 4)(lib.ones(2, 3), lib.ones(3, 4)),
     ValueError),
    ("float_class_target", lambda lib: lib.nn.functional.cross_entropy(
        lib.ones(2, 3), lib.ones(2)), TypeError),
    ("float_where_condition", lambda lib: lib.where(lib.ones(3), lib.ones(3), lib.zeros(3)),
     TypeError),
    ("bool_sub", lambda lib: _bool_mask(lib) - _bool_mask(lib), TypeError),
    ("bool_neg", lambda lib: -_bool_mask(lib), TypeError),
    ("int_requires_grad", lambda lib: lib.ones(3, dtype=lib.int64).requires_grad_(), TypeError),
    ("bool_requires_grad", lambda lib: _bool_mask(lib).requires_grad_(), TypeError),
    ("int_tensor_requires_grad", lambda lib: lib.tensor([1, 2], requires_grad=True),
     TypeError),
    ("batch_norm_int64", lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(2, 3, dtype=lib.int64)),
     TypeError),
    ("layer_norm_int64", lambda lib: lib.nn.LayerNorm(3)(lib.ones(2, 3, dtype=lib.int64)),
     TypeError),
]


def _caught_as(error):
    """The built-in type code written for PyTorch catches ``error`` by."""
    return next(k for k in (IndexError, ValueError, TypeError, RuntimeError)
                if isinstance(error, k))


@pytest.mark.parametrize("call, legacy", [case[1:] for case in TYPE_CASES],
                         ids=[case[0] for case in TYPE_CASES])
def test_errors_have_torchs_type_and_their_old_one(call, legacy):
    """Item 7: what PyTorch raises (RuntimeError for all but ValueError where it gives one)
    catches minigrad's error, and so does the type minigrad raised before."""
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(_caught_as(theirs.value)) as mine:
        call(mg)
    assert isinstance(mine.value, legacy)
    assert "numpy" not in str(mine.value).lower()


def test_batch_norm_without_running_stats_normalizes_with_the_batch_in_eval():
    """Item 7: with both running statistics set to None a BatchNorm in eval uses the batch's
    statistics, as PyTorch does (minigrad raised)."""
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    layer, reference = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    for m in (layer, reference):
        m.running_mean = m.running_var = None
        m.eval()
    np.testing.assert_allclose(layer(mg.tensor(x)).numpy(),
                               reference(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


# (case, the call for either library, what minigrad's message must say)
MESSAGE_CASES = [
    ("linear_negative_features", lambda lib: lib.nn.Linear(-1, 3), "negative dimension -1"),
    ("zeros_negative_size", lambda lib: lib.zeros(-1, 3), r"zeros: .*negative dimension -1"),
    ("list_into_linear", lambda lib: lib.nn.Linear(3, 2)([1.0, 2.0, 3.0]),
     "linear: input must be a Tensor, got list"),
    ("list_into_relu", lambda lib: lib.nn.ReLU()([1.0, -2.0]),
     "relu: input must be a Tensor, got list"),
    ("list_into_conv", lambda lib: lib.nn.Conv1d(1, 1, 2)([[[1.0, 2.0, 3.0]]]),
     "conv1d: input must be a Tensor, got list"),
    ("empty_rnn_sequence", lambda lib: lib.nn.RNN(3, 4)(lib.ones(0, 2, 3)),
     r"RNN: expected a sequence of length > 0, got input \(0, 2, 3\)"),
    ("empty_gru_sequence", lambda lib: lib.nn.GRU(3, 4, batch_first=True)(lib.ones(2, 0, 3)),
     r"GRU: expected a sequence of length > 0"),
    ("arange_step_zero", lambda lib: lib.arange(0, 5, 0), "arange: step must be nonzero"),
    ("arange_wrong_sign", lambda lib: lib.arange(0, 5, -1),
     "arange: upper bound and lower bound inconsistent with step sign"),
    ("full_with_a_string", lambda lib: lib.full((2,), "a"),
     "full: fill_value must be a number, got str"),
    ("ragged_list", lambda lib: lib.tensor([[1, 2], [3]]),
     r"expected sequence of length 2 at dim 1 \(got 1\)"),
    ("class_loss_spatial_target", lambda lib: lib.nn.functional.cross_entropy(
        lib.ones(2, 3, 4, 5), lib.zeros(2, 4, 6, dtype=lib.int64)),
     r"cross_entropy: target \(2, 4, 6\) does not match input \(2, 3, 4, 5\): expected "
     r"target \(2, 4, 5\)"),
    ("sequential_of_a_string", lambda lib: lib.nn.Sequential("relu"),
     "str is not a Module subclass"),
    ("tensor_of_a_string", lambda lib: lib.tensor("abc"), "tensor: expected numbers.*str"),
]


@pytest.mark.parametrize("call, match", [case[1:] for case in MESSAGE_CASES],
                         ids=[case[0] for case in MESSAGE_CASES])
def test_messages_name_the_op_and_argument(call, match):
    """Item 8: the error PyTorch raises (by type) with a message naming the op."""
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(_caught_as(theirs.value), match=match):
        call(mg)


def test_a_string_list_is_refused_at_construction():
    """Item 8: ``mg.tensor(["a", "b"])`` built a string tensor (PyTorch raises too)."""
    with pytest.raises(ValueError):
        torch.tensor(["a", "b"])
    with pytest.raises(TypeError, match="tensor: expected numbers.*list holding str"):
        mg.tensor(["a", "b"])


@pytest.mark.parametrize("value", ["abc", None, [[1.0, 2.0], [3.0]]], ids=["str", "none",
                                                                            "ragged"])
def test_load_state_dict_names_an_entry_that_is_no_array(value):
    """Item 8: PyTorch's words, instead of a size mismatch against shape ()."""
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight"'):
        torch.nn.Linear(2, 2).load_state_dict({"weight": "abc", "bias": torch.zeros(2)})
    layer = nn.Linear(2, 2)
    before = layer.weight.numpy().copy()
    with pytest.raises(RuntimeError, match=r'While copying the parameter named "weight", '
                                           r"expected a Tensor or an array of numbers"):
        layer.load_state_dict({"weight": value, "bias": np.zeros(2)})
    np.testing.assert_array_equal(layer.weight.numpy(), before)


def test_manual_seed_takes_negative_seeds_as_torch():
    """Item 8: a negative seed wraps to 64 bits, as ``torch.manual_seed(-1)`` does."""
    assert torch.manual_seed(-1).initial_seed() == 2 ** 64 - 1
    mg.manual_seed(-1)
    wrapped = mg.rand(4).numpy()
    mg.manual_seed(2 ** 64 - 1)
    np.testing.assert_array_equal(wrapped, mg.rand(4).numpy())
    assert mg.Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1
    with pytest.raises(ValueError, match="outside"):
        mg.manual_seed(2 ** 64)
