"""Tensor creation, dtypes (no silent promotion), conversion and everyday methods."""

import numpy as np
import pytest

import minigrad as mg


def test_python_floats_become_float32_and_ints_int64():
    assert mg.tensor([1.0, 2.0]).dtype == mg.float32
    assert mg.tensor(3.5).dtype == mg.float32
    assert mg.tensor([1, 2]).dtype == mg.int64
    assert mg.tensor([True, False]).dtype == mg.bool


def test_numpy_arrays_keep_their_dtype_and_are_copied():
    source = np.arange(3, dtype=np.float64)
    t = mg.tensor(source)
    assert t.dtype == mg.float64
    source[0] = 99.0
    assert t.numpy()[0] == 0.0


def test_dtype_argument_overrides():
    assert mg.tensor([1, 2], dtype=mg.float64).dtype == mg.float64
    assert mg.tensor([1.0], dtype="float64").dtype == mg.float64
    assert mg.tensor([1.0], dtype=np.float64).dtype == mg.float64


def test_dtype_compares_with_numpy_and_names():
    assert mg.float32 == np.float32 and mg.float32 == "float32"
    assert mg.float32 != mg.float64
    assert repr(mg.float64) == "minigrad.float64"


def test_shape_as_varargs_or_tuple():
    assert mg.zeros(2, 3).shape == mg.zeros((2, 3)).shape == (2, 3)
    assert mg.ones([4]).shape == (4,)
    assert mg.full((2, 2), 7.0).numpy().tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert mg.arange(4).dtype == mg.int64 and mg.arange(0.0, 1.0, 0.5).dtype == mg.float32


def test_manual_seed_makes_random_tensors_repeat():
    mg.manual_seed(123)
    a = mg.randn(3, 4)
    mg.manual_seed(123)
    b = mg.randn(3, 4)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype == mg.float32 and mg.rand(2, dtype=mg.float64).dtype == mg.float64


def test_only_float_tensors_can_require_grad():
    with pytest.raises(TypeError, match="floating point"):
        mg.tensor([1, 2], requires_grad=True)


def test_python_scalars_adopt_the_tensor_dtype():
    x = mg.ones(2)
    assert (x * 0.5).dtype == mg.float32
    assert (2.0 - x).dtype == mg.float32
    assert (x ** 2).dtype == mg.float32
    assert (mg.ones(2, dtype=mg.float64) / 3).dtype == mg.float64
    assert (x * np.float64(2.0)).dtype == mg.float32  # a NumPy scalar does not promote either


def test_integer_and_bool_tensors_join_the_float_dtype():
    x = mg.tensor([1.0, -2.0])
    mask = x > 0
    assert mask.dtype == mg.bool and not mask.requires_grad
    assert (mask * x).dtype == mg.float32
    assert (mg.arange(3) * 0.5).dtype == mg.float32
    assert (mg.arange(1, 4) / mg.arange(1, 4)).dtype == mg.float32


def test_float32_float64_mix_is_refused_everywhere():
    a, b = mg.ones(2), mg.ones(2, dtype=mg.float64)
    for op in (lambda: a + b, lambda: a * b, lambda: mg.maximum(a, b), lambda: a @ b,
               lambda: mg.cat([a, b]), lambda: mg.where(a > 0, a, b)):
        with pytest.raises(TypeError, match="never promotes"):
            op()


def test_to_dtype_is_differentiable():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == mg.float64
    (y * y).sum().backward()
    assert x.grad.dtype == mg.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_item_float_and_bool():
    assert mg.tensor([[2.5]]).item() == 2.5
    assert float(mg.tensor(1.5)) == 1.5
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        mg.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(mg.tensor([1.0, 2.0]))


def test_detach_shares_data_but_not_graph():
    x = mg.tensor([1.0], requires_grad=True)
    y = (x * 2.0).detach()
    assert not y.requires_grad and y.grad_fn is None


def test_numpy_interop_both_ways():
    t = mg.tensor([1.0, 2.0])
    assert np.asarray(t).dtype == np.float32
    out = np.ones(2, dtype=np.float32) + t  # NumPy on the left defers to Tensor
    assert isinstance(out, mg.Tensor)


def test_repr_reads_like_pytorch():
    assert repr(mg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(mg.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    y = mg.tensor([1.0], dtype=mg.float64, requires_grad=True) * 2.0
    assert repr(y) == "tensor([2.], dtype=minigrad.float64, grad_fn=<MulBackward>)"


def test_max_and_min_along_dim_return_values_and_indices():
    x = mg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(dim=1)
    assert values.numpy().tolist() == [5.0, 7.0] and indices.numpy().tolist() == [1, 0]
    assert x.min(dim=0).indices.numpy().tolist() == [0, 1, 0]
    assert x.max().item() == 7.0


def test_var_is_unbiased_unless_correction_zero():
    x = mg.tensor([1.0, 2.0, 3.0, 4.0])
    assert x.var().item() == pytest.approx(np.var([1, 2, 3, 4], ddof=1))
    assert x.var(correction=0).item() == pytest.approx(np.var([1, 2, 3, 4]))


def test_comparisons_give_bool_tensors():
    x = mg.tensor([1.0, 2.0, 3.0])
    assert (x >= 2.0).numpy().tolist() == [False, True, True]
    assert (x == mg.tensor([1.0, 0.0, 3.0])).numpy().tolist() == [True, False, True]


def test_shape_helpers():
    x = mg.zeros(2, 3, 4)
    assert x.T.shape == (4, 3, 2)
    assert x.flatten(1).shape == (2, 12)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4)
    assert x.view(6, 4).shape == (6, 4) and x.reshape(-1).shape == (24,)
    assert len(x) == 2 and x.ndim == 3 and x.numel() == 24 and x.size(1) == 3


def test_flatten_of_an_empty_tensor_keeps_the_other_dims():
    # -1 cannot be inferred next to a 0 dim: flatten must name the merged size itself
    assert mg.zeros(0, 3, 4).flatten(1).shape == (0, 12)
    assert mg.zeros(2, 0, 4).flatten(0, 1).shape == (0, 4)
    x = mg.zeros(0, 3, 4, requires_grad=True)
    x.flatten(1).sum().backward()
    assert x.grad.shape == (0, 3, 4)


def test_dim_out_of_range_is_an_index_error():
    with pytest.raises(IndexError, match="dim 2"):
        mg.ones(2, 2).sum(dim=2)
    with pytest.raises(IndexError, match="softmax: dim 3"):
        mg.ones(2, 2).softmax(3)


def test_setitem_under_no_grad():
    x = mg.zeros(3)
    x[1] = 5.0
    assert x.numpy().tolist() == [0.0, 5.0, 0.0]
    w = mg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in place"):
        w[0] = 1.0


def test_unknown_backend_lists_the_available_ones():
    with pytest.raises(RuntimeError, match="unknown backend 'tpu'.*usable here: numpy"):
        mg.set_default_backend("tpu")
    assert "numpy" in mg.available_backends()
    assert mg.ones(1).backend == "numpy"
    assert mg.ones(1).to("numpy").backend == "numpy"


def test_dlpack_exchange_with_torch_shares_memory():
    torch = pytest.importorskip("torch")
    source = torch.arange(4.0)
    shared = mg.from_dlpack(source)
    source[0] = 42.0
    assert shared.numpy().tolist() == [42.0, 1.0, 2.0, 3.0]
    x = mg.ones(3)
    torch.from_dlpack(x)[1] = 7.0
    assert x.numpy().tolist() == [1.0, 7.0, 1.0]


def test_deepcopy_and_pickle_copy_leaves_and_refuse_graph_tensors():
    import copy
    import pickle

    model = mg.nn.Linear(3, 2)
    model(mg.randn(4, 3)).sum().backward()
    twin = copy.deepcopy(model)
    assert twin.weight is not model.weight and isinstance(twin.weight, mg.nn.Parameter)
    np.testing.assert_array_equal(twin.weight.numpy(), model.weight.numpy())
    np.testing.assert_array_equal(twin.weight.grad.numpy(), model.weight.grad.numpy())
    restored = pickle.loads(pickle.dumps(mg.tensor([1.0, 2.0], requires_grad=True)))
    assert restored.requires_grad and restored.numpy().tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="detach"):
        copy.deepcopy(mg.tensor([1.0], requires_grad=True) * 2.0)
