"""The shape, repeat and diagonal ops beyond what the registry sweeps: integer dtypes, the
method and function spellings, tuple results, which results share memory with their input
(as in PyTorch), and the errors PyTorch raises."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.errors import DTypeError, ShapeError

torch = pytest.importorskip("torch")

VALUES = np.arange(24).reshape(2, 3, 4) - 7


def _both(values):
    return mg.tensor(values), torch.tensor(values)


def _assert_same(out, expected):
    assert tuple(out.shape) == tuple(expected.shape)
    assert out.dtype.name == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


# ---------------------------------------------------------------- integer inputs stay integer
# NOTE: one callable for both libraries: the method spellings are the same
CALLS = {
    "expand": lambda x: x[:, :1].expand(2, -1, 4).expand(3, 2, 1, 4),
    "expand_as": lambda x: x[0, :1].expand_as(x),
    "broadcast_to": lambda x: x[:, :, :1].broadcast_to((2, 3, 5)),
    "repeat": lambda x: x.repeat(2, 1, 1, 2),
    "repeat_tuple": lambda x: x.repeat((1, 2, 1)),
    "tile": lambda x: x.tile(2, 1),
    "tile_tuple": lambda x: x.tile((2, 1, 1, 1)),
    "repeat_interleave": lambda x: x.repeat_interleave(2, dim=1),
    "repeat_interleave_flat": lambda x: x.repeat_interleave(3),
    "narrow": lambda x: x.narrow(2, -3, 2),
    "flip": lambda x: x.flip(0, 2),
    "flip_tuple": lambda x: x.flip((1,)),
    "roll": lambda x: x.roll(5),
    "roll_dims": lambda x: x.roll((1, -1), (0, 2)),
    "movedim": lambda x: x.movedim((0, 1), (2, 0)),
    "moveaxis": lambda x: x.moveaxis(-1, 0),
    "swapaxes": lambda x: x.swapaxes(0, 2),
    "swapdims": lambda x: x.swapdims(1, 2),
    "t": lambda x: x[0].t(),
    "t_vector": lambda x: x[0, 0].t(),
    "mT": lambda x: x.mT,
    "T": lambda x: x[0].T,
    "view_as": lambda x: x.view_as(x.reshape(-1, 2)),
    "reshape_as": lambda x: x.reshape_as(x[0].repeat(2, 1)),
    "tril": lambda x: x.tril(-1),
    "triu": lambda x: x.triu(1),
    "diag_matrix": lambda x: x[0].diag(1),
    "diag_vector": lambda x: x[0, 0].diag(-2),
    "diagonal": lambda x: x.diagonal(1, 2, 0),
    "trace": lambda x: x[1].trace(),
}


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
@pytest.mark.parametrize("name", list(CALLS))
def test_integer_and_bool_tensors_keep_their_dtype(name, dtype):
    if dtype == "bool" and name == "trace":
        pytest.skip("torch.trace has no bool kernel")
    x, tx = _both(VALUES.astype(dtype) if dtype != "bool" else VALUES % 3 == 0)
    _assert_same(CALLS[name](x), CALLS[name](tx))


TOP_LEVEL = {
    "broadcast_to": lambda lib, x: lib.broadcast_to(x[0, 0], (3, 4)),
    "tile": lambda lib, x: lib.tile(x, (2,)),
    "repeat_interleave": lambda lib, x: lib.repeat_interleave(x, lib.tensor([0, 2, 1]), dim=1),
    "repeat_interleave_one_count": lambda lib, x: lib.repeat_interleave(x, lib.tensor(2), 0),
    "repeat_interleave_output_size": lambda lib, x: lib.repeat_interleave(
        x, lib.tensor([2, 1]), dim=0, output_size=3),
    "repeat_interleave_counts_only": lambda lib, x: lib.repeat_interleave(lib.tensor([2, 0, 3])),
    "narrow_tensor_start": lambda lib, x: lib.narrow(x, 1, lib.tensor(1), 2),
    "flip": lambda lib, x: lib.flip(x, [0, -1]),
    "roll": lambda lib, x: lib.roll(x, -2, 1),
    "movedim": lambda lib, x: lib.movedim(x, 0, -1),
    "moveaxis": lambda lib, x: lib.moveaxis(x, (0, 2), (1, 0)),
    "swapaxes": lambda lib, x: lib.swapaxes(x, 0, 1),
    "swapdims": lambda lib, x: lib.swapdims(x, -1, 0),
    "t": lambda lib, x: lib.t(x[1]),
    "t_scalar": lambda lib, x: lib.t(x[1, 1, 1]),
    "tril": lambda lib, x: lib.tril(x, diagonal=1),
    "triu": lambda lib, x: lib.triu(x, diagonal=-1),
    "diag": lambda lib, x: lib.diag(x[0, 0], diagonal=1),
    "diagonal": lambda lib, x: lib.diagonal(x, offset=-1, dim1=1, dim2=2),
    "trace": lambda lib, x: lib.trace(x[0]),
    "reshape": lambda lib, x: lib.reshape(input=x, shape=(4, -1)),
    "transpose": lambda lib, x: lib.transpose(x, dim0=0, dim1=2),
    "permute": lambda lib, x: lib.permute(x, (2, 0, 1)),
    "squeeze_dims": lambda lib, x: lib.squeeze(x[:1, :, :1], (0, 1, 2)),
    "squeeze_method_dims": lambda lib, x: x[:, :1, None].squeeze((-2, 1)),
    "unsqueeze": lambda lib, x: lib.unsqueeze(input=x, dim=-1),
    "flatten": lambda lib, x: lib.flatten(x, start_dim=1),
}


@pytest.mark.parametrize("name", list(TOP_LEVEL))
def test_top_level_functions_match_torch(name):
    x, tx = _both(VALUES)
    _assert_same(TOP_LEVEL[name](mg, x), TOP_LEVEL[name](torch, tx))


def test_aliases_are_the_same_op():
    assert mg.moveaxis is mg.movedim
    assert mg.Tensor.moveaxis is mg.Tensor.movedim


def test_0d_tensors_follow_torch():
    x, tx = _both(np.array(3.5))
    for call in (lambda v: v.flip(0), lambda v: v.roll(2), lambda v: v.t(), lambda v: v.expand(2),
                 lambda v: v.repeat(3), lambda v: v.tile(()), lambda v: v.movedim(0, -1),
                 lambda v: v.repeat_interleave(2)):
        _assert_same(call(x), call(tx))


# ---------------------------------------------------------------- tuples of pieces
SPLITS = {
    "split": lambda lib, x: lib.split(x, 2, dim=2),
    "split_sizes": lambda lib, x: lib.split(x, [1, 0, 2], dim=1),
    "split_method": lambda lib, x: x.split(3, -1),
    "split_empty_dim": lambda lib, x: lib.split(x[:, :0], 0, dim=1),
    "chunk": lambda lib, x: lib.chunk(x, 3, dim=2),
    "chunk_method": lambda lib, x: x.chunk(2),
    "chunk_empty_dim": lambda lib, x: x[:, :0].chunk(3, 1),
    "unbind_method": lambda lib, x: x.unbind(1),
}


@pytest.mark.parametrize("name", list(SPLITS))
def test_split_and_chunk_return_tuples_as_torch(name):
    x, tx = _both(VALUES)
    pieces, expected = SPLITS[name](mg, x), SPLITS[name](torch, tx)
    assert type(pieces) is tuple and len(pieces) == len(expected)
    for piece, t_piece in zip(pieces, expected):
        _assert_same(piece, t_piece)


def test_split_is_one_node_and_unused_pieces_get_zero_gradients():
    x = mg.tensor(VALUES.astype("float64"), requires_grad=True)
    tx = torch.tensor(VALUES.astype("float64"), requires_grad=True)
    pieces, t_pieces = x.split([1, 2], dim=1), tx.split([1, 2], dim=1)
    assert pieces[0].grad_fn is pieces[1].grad_fn
    assert pieces[1]._out_index == 1
    (pieces[1] * 3).sum().backward()
    (t_pieces[1] * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    assert (x.grad.numpy()[:, 0] == 0).all()


def test_repeat_interleave_gradient_adds_the_copies_of_each_slice():
    x = mg.tensor(VALUES[0].astype("float64"), requires_grad=True)
    out = mg.repeat_interleave(x, mg.tensor([3, 0, 1]), dim=0)
    out.backward(mg.ones(out.shape, dtype=mg.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [[3.0] * 4, [0.0] * 4, [1.0] * 4])


# ---------------------------------------------------------------- views and copies
MEMORY = {
    "expand": lambda x: x[:1].expand(3, 3, 4),
    "narrow": lambda x: x.narrow(1, 1, 2),
    "movedim": lambda x: x.movedim(0, 2),
    "swapaxes": lambda x: x.swapaxes(0, 1),
    "t": lambda x: x[0].t(),
    "mT": lambda x: x.mT,
    "view_as": lambda x: x.view_as(x.reshape(4, 6)),
    "split": lambda x: x.split(1, 1)[1],
    "chunk": lambda x: x.chunk(2, 2)[0],
    "diagonal": lambda x: x.diagonal(0, 1, 2),
    "flip": lambda x: x.flip(0),
    "roll": lambda x: x.roll(1, 0),
    "repeat": lambda x: x.repeat(1, 1, 1),
    "tile": lambda x: x.tile((1,)),
    "repeat_interleave": lambda x: x.repeat_interleave(1, dim=0),
    "tril": lambda x: x.tril(),
    "triu": lambda x: x.triu(),
    "diag": lambda x: x[0].diag(),
}


@pytest.mark.parametrize("name", list(MEMORY))
def test_views_and_copies_are_torchs(name):
    """A result shares memory with its input exactly where PyTorch's is a view, so that an
    in-place change of a copy can never leak into the input."""
    x, tx = _both(VALUES.astype("float64"))
    out, expected = MEMORY[name](x), MEMORY[name](tx)
    shares = np.shares_memory(out.numpy(), x.numpy())
    assert shares == (expected.untyped_storage().data_ptr() == tx.untyped_storage().data_ptr())


def test_writing_into_a_copy_leaves_the_input_alone_and_a_view_writes_through():
    x = mg.tensor(VALUES.astype("float64"))
    x.flip(0).fill_(0.0)
    x.roll(1).add_(1.0)
    np.testing.assert_array_equal(x.numpy(), VALUES)
    x.narrow(2, 0, 1).fill_(100.0)
    assert (x.numpy()[..., 0] == 100.0).all()


def test_gradients_of_views_do_not_alias_each_other():
    x = mg.tensor(VALUES[0].astype("float64"), requires_grad=True)
    a, b = x.split(2, dim=1)
    (a.flip(1) * 2).sum().backward(retain_graph=True)
    first = x.grad.numpy().copy()
    (b.t() + 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), first + np.array([[0, 0, 1, 1]] * 3))


# ---------------------------------------------------------------- errors
ERRORS = [
    ("expand_fewer_sizes", lambda lib, x: x.expand(4), RuntimeError, "expand: the number"),
    ("expand_mismatch", lambda lib, x: x.expand(2, 3, 5), RuntimeError, "(4) at non-singleton"),
    ("expand_new_minus_one", lambda lib, x: x.expand(-1, 2, 3, 4), RuntimeError,
     "new leading dim"),
    ("repeat_fewer", lambda lib, x: x.repeat(2, 2), RuntimeError, "can not be smaller"),
    ("repeat_negative", lambda lib, x: x.repeat(1, -1, 1), RuntimeError, "non-negative"),
    ("tile_negative", lambda lib, x: lib.tile(x, (-1,)), RuntimeError, "non-negative"),
    ("interleave_counts_mismatch", lambda lib, x: lib.repeat_interleave(
        x, lib.tensor([1, 2]), dim=1), RuntimeError, "has 2 counts but"),
    ("interleave_negative", lambda lib, x: lib.repeat_interleave(x, -1), RuntimeError,
     "non-negative"),
    ("interleave_2d_counts", lambda lib, x: lib.repeat_interleave(
        x, lib.tensor([[1, 2]]), dim=0), RuntimeError, "0-d or 1-d"),
    ("interleave_output_size", lambda lib, x: lib.repeat_interleave(
        x, 2, dim=0, output_size=3), RuntimeError, "output_size 3"),
    ("interleave_bad_dim", lambda lib, x: lib.repeat_interleave(x, 2, dim=3), IndexError,
     "dim 3 is out of range"),
    ("narrow_past_end", lambda lib, x: x.narrow(1, 2, 2), RuntimeError, "start (2) + length"),
    ("narrow_start_out", lambda lib, x: x.narrow(2, 5, 0), IndexError, "start 5 is out"),
    ("narrow_0d", lambda lib, x: x[0, 0, 0].narrow(0, 0, 1), RuntimeError, "0-d"),
    ("flip_repeated", lambda lib, x: x.flip(0, -3), RuntimeError, "more than once"),
    ("flip_bad_dim", lambda lib, x: x.flip(3), IndexError, "dim 3 is out of range"),
    ("flip_int_dims", lambda lib, x: lib.flip(x, 0), TypeError, "tuple or list"),
    ("roll_misaligned", lambda lib, x: lib.roll(x, (1, 2), 0), RuntimeError, "same, nonzero"),
    ("roll_many_without_dims", lambda lib, x: lib.roll(x, (1, 2)), RuntimeError, "one shift"),
    ("roll_0d_dim", lambda lib, x: lib.roll(x[0, 0, 0], 1, 0), IndexError, "out of range"),
    ("movedim_lengths", lambda lib, x: lib.movedim(x, (0, 1), (2,)), RuntimeError,
     "same number of dims"),
    ("movedim_repeated", lambda lib, x: lib.movedim(x, (0, 0), (1, 2)), RuntimeError,
     "more than once"),
    ("t_3d", lambda lib, x: x.t(), RuntimeError, "t: expects"),
    ("mT_vector", lambda lib, x: x[0, 0].mT, RuntimeError, "mT: only supported"),
    ("chunk_zero", lambda lib, x: x.chunk(0), RuntimeError, "greater than 0"),
    ("chunk_0d", lambda lib, x: lib.chunk(x[0, 0, 0], 1), RuntimeError, "at least a 1-d"),
    ("split_zero", lambda lib, x: x.split(0, 1), RuntimeError, "positive"),
    ("split_sizes_sum", lambda lib, x: x.split([1, 1], 1), RuntimeError, "add up to 3"),
    ("split_negative_size", lambda lib, x: x.split([4, -1], 1), RuntimeError,
     "non-negative"),
    ("tril_vector", lambda lib, x: lib.tril(x[0, 0]), RuntimeError, "tril: input must have"),
    ("triu_0d", lambda lib, x: x[0, 0, 0].triu(), RuntimeError, "triu: input must have"),
    ("diag_3d", lambda lib, x: lib.diag(x), RuntimeError, "diag: supports 1-d or 2-d"),
    ("diagonal_same_dims", lambda lib, x: x.diagonal(0, 1, -2), RuntimeError,
     "name the same dim"),
    ("diagonal_vector", lambda lib, x: x[0, 0].diagonal(), IndexError, "out of range"),
    ("trace_3d", lambda lib, x: lib.trace(x), RuntimeError, "trace: expected a matrix"),
]


@pytest.mark.parametrize("call, kind, message", [pytest.param(*e[1:], id=e[0]) for e in ERRORS])
def test_errors_are_torchs_kind_and_name_the_op(call, kind, message):
    x, tx = _both(VALUES.astype("float64"))
    with pytest.raises(kind):
        call(torch, tx)
    with pytest.raises(kind) as caught:
        call(mg, x)
    assert message in str(caught.value)


def test_shape_errors_name_the_shapes_and_are_minigrad_types():
    x = mg.tensor(VALUES.astype("float64"))
    with pytest.raises(ShapeError, match=r"tensor shape \(2, 3, 4\)"):
        x.expand(2, 3, 5)
    with pytest.raises(ShapeError, match=r"shape \(2, 3, 4\)"):
        x.split([1, 1], 1)
    with pytest.raises(DTypeError, match="integer tensor, got float32"):
        mg.repeat_interleave(x, mg.tensor([1.0, 2.0]), dim=0)


def test_mixed_float_dtypes_are_refused_where_values_meet():
    """expand_as and view_as read only the other tensor's shape; cat of the pieces of a
    float64 split with a float32 tensor still refuses to promote."""
    x = mg.tensor(VALUES.astype("float64"))
    other = mg.zeros(2, 2, 3, 4, dtype=mg.float32)
    assert x.expand_as(other).dtype == mg.float64
    assert x.view_as(other[0]).dtype == mg.float64
    with pytest.raises(DTypeError, match="convert"):
        mg.cat([x.split(2, 2)[0], other[0, :, :, :2]], dim=2)
