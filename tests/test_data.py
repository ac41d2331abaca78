"""Datasets and the DataLoader: batching, reproducible shuffling, mid-epoch resume, the digits
split and the synthetic spirals."""

import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, TensorDataset, load_digits, make_spirals


def numbered(n, features=3):
    """A dataset whose sample i is (row of i's, label i), so batches reveal their indices."""
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], features, axis=1)
    return TensorDataset(mg.tensor(x), mg.tensor(np.arange(n, dtype=np.int64)))


def epoch_indices(loader):
    """The sample indices of one epoch, batch by batch."""
    return [y.numpy().tolist() for _, y in loader]


def flat(batches):
    return [i for batch in batches for i in batch]


# ------------------------------------------------------------------------- TensorDataset
def test_tensor_dataset_indexing_returns_a_tuple_of_rows():
    x = mg.tensor(np.arange(10.0).reshape(5, 2))
    y = mg.tensor(np.arange(5))
    dataset = TensorDataset(x, y)
    assert len(dataset) == 5
    sample = dataset[3]
    assert isinstance(sample, tuple) and len(sample) == 2
    np.testing.assert_array_equal(sample[0].numpy(), [6.0, 7.0])
    assert sample[1].item() == 3
    assert sample[0].dtype == x.dtype and sample[1].dtype == y.dtype


def test_tensor_dataset_of_one_tensor():
    dataset = TensorDataset(mg.zeros(4, 2))
    assert len(dataset) == 4 and len(dataset[0]) == 1


def test_tensor_dataset_size_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(4,\)"):
        TensorDataset(mg.zeros(3, 2), mg.zeros(4))


def test_tensor_dataset_needs_a_tensor():
    with pytest.raises(ValueError):
        TensorDataset()


# ---------------------------------------------------------------------------- DataLoader
def test_batches_have_batch_size_rows_and_a_partial_last_batch():
    loader = DataLoader(numbered(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [tuple(x.shape) for x, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    assert [tuple(y.shape) for _, y in batches] == [(4,), (4,), (2,)]
    assert batches[0][0].dtype == mg.float32 and batches[0][1].dtype == mg.int64


def test_drop_last_drops_the_partial_batch():
    loader = DataLoader(numbered(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert epoch_indices(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize("drop_last", [False, True])
def test_len_when_the_batch_size_divides_the_dataset(drop_last):
    loader = DataLoader(numbered(12), batch_size=4, drop_last=drop_last)
    assert len(loader) == len(list(loader)) == 3


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(numbered(4), batch_size=0)


def test_without_shuffle_the_order_is_kept_every_epoch():
    loader = DataLoader(numbered(7), batch_size=3)
    expected = [[0, 1, 2], [3, 4, 5], [6]]
    assert epoch_indices(loader) == expected
    assert epoch_indices(loader) == expected


def test_batches_hold_the_rows_of_their_labels():
    dataset = numbered(9)
    for x, y in DataLoader(dataset, batch_size=4, shuffle=True, seed=1):
        np.testing.assert_array_equal(x.numpy(), dataset.tensors[0].numpy()[y.numpy()])


def test_shuffle_visits_every_sample_exactly_once_per_epoch():
    loader = DataLoader(numbered(23), batch_size=5, shuffle=True, seed=3)
    for _ in range(3):
        order = flat(epoch_indices(loader))
        assert sorted(order) == list(range(23))
    assert order != list(range(23))


def test_the_same_seed_gives_the_same_order():
    first = DataLoader(numbered(20), batch_size=6, shuffle=True, seed=11)
    second = DataLoader(numbered(20), batch_size=6, shuffle=True, seed=11)
    for _ in range(2):
        assert epoch_indices(first) == epoch_indices(second)
    other = DataLoader(numbered(20), batch_size=6, shuffle=True, seed=12)
    assert epoch_indices(other) != epoch_indices(DataLoader(numbered(20), batch_size=6,
                                                            shuffle=True, seed=11))


def test_each_epoch_has_a_new_order():
    loader = DataLoader(numbered(20), batch_size=20, shuffle=True, seed=0)
    orders = [flat(epoch_indices(loader)) for _ in range(3)]
    assert orders[0] != orders[1] and orders[1] != orders[2] and orders[0] != orders[2]


def test_default_seed_is_reproducible_under_manual_seed():
    def orders(seed):
        mg.manual_seed(seed)
        loader = DataLoader(numbered(20), batch_size=4, shuffle=True)
        return [epoch_indices(loader) for _ in range(2)]

    assert orders(5) == orders(5)
    assert orders(5) != orders(6)


class GenericDataset:
    """Any object with ``__len__`` and ``__getitem__`` returning tensors."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        image = np.full((2, 3), index, dtype=np.float32)
        return mg.tensor(image), mg.tensor(np.int64(index))


def test_a_generic_dataset_is_collated_by_stacking():
    loader = DataLoader(GenericDataset(7), batch_size=3, shuffle=True, seed=2)
    seen = []
    for x, y in loader:
        assert tuple(x.shape) == (len(y), 2, 3) and x.dtype == mg.float32
        assert y.ndim == 1 and y.dtype == mg.int64
        labels = y.numpy()
        np.testing.assert_array_equal(x.numpy(), np.broadcast_to(labels[:, None, None],
                                                                 (len(labels), 2, 3)))
        seen += labels.tolist()
    assert sorted(seen) == list(range(7))
    assert seen == flat(epoch_indices(DataLoader(numbered(7), batch_size=3, shuffle=True,
                                                 seed=2)))


def test_state_dict_mid_epoch_resumes_with_exactly_the_remaining_batches():
    reference = DataLoader(numbered(22), batch_size=4, shuffle=True, seed=7)
    epochs = [epoch_indices(reference) for _ in range(3)]

    loader = DataLoader(numbered(22), batch_size=4, shuffle=True, seed=7)
    assert epoch_indices(loader) == epochs[0]
    batches = iter(loader)
    taken = [next(batches)[1].numpy().tolist() for _ in range(2)]
    assert taken == epochs[1][:2]
    state = loader.state_dict()

    mg.manual_seed(123)
    resumed = DataLoader(numbered(22), batch_size=4, shuffle=True)  # another seed
    resumed.load_state_dict(state)
    assert resumed.state_dict() == state
    assert epoch_indices(resumed) == epochs[1][2:]
    assert epoch_indices(resumed) == epochs[2]


def test_state_dict_round_trips_through_a_checkpoint(tmp_path):
    loader = DataLoader(numbered(10), batch_size=3, shuffle=True, seed=4)
    iterator = iter(loader)
    next(iterator)
    mg.save(loader.state_dict(), tmp_path / "loader.ckpt")
    resumed = DataLoader(numbered(10), batch_size=3, shuffle=True, seed=0)
    resumed.load_state_dict(mg.load(tmp_path / "loader.ckpt"))
    assert epoch_indices(resumed) == [y.numpy().tolist() for _, y in iterator]


# ------------------------------------------------------------------------------- digits
@pytest.fixture(scope="module")
def digits():
    pytest.importorskip("sklearn", reason="load_digits needs pip install 'minigrad[demo]'")
    return load_digits()


def test_load_digits_shapes_dtypes_and_ranges(digits):
    assert len(digits.y_train) + len(digits.y_test) == 1797
    assert tuple(digits.x_train.shape) == (len(digits.y_train), 64)
    assert tuple(digits.x_test.shape) == (len(digits.y_test), 64)
    assert len(digits.y_test) == round(0.2 * 1797)
    for x, y in [(digits.x_train, digits.y_train), (digits.x_test, digits.y_test)]:
        assert x.dtype == mg.float32 and y.dtype == mg.int64
        pixels, labels = x.numpy(), y.numpy()
        assert pixels.min() == 0.0 and pixels.max() == 1.0
        assert set(labels.tolist()) == set(range(10))


def test_load_digits_split_is_deterministic(digits):
    again = load_digits()
    for mine, theirs in zip(digits, again):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    other = load_digits(seed=1)
    assert not np.array_equal(other.y_train.numpy(), digits.y_train.numpy())


def test_load_digits_train_and_test_partition_the_dataset(digits):
    from sklearn.datasets import load_digits as sklearn_digits

    images, labels = sklearn_digits(return_X_y=True)

    def rows(x, y):
        table = np.concatenate([np.round(x * 16), y[:, None]], axis=1)
        return table[np.lexsort(table.T[::-1])]

    split = np.concatenate([digits.x_train.numpy(), digits.x_test.numpy()]).astype(np.float64)
    split_labels = np.concatenate([digits.y_train.numpy(), digits.y_test.numpy()])
    np.testing.assert_array_equal(rows(split, split_labels), rows(images / 16, labels))


def test_load_digits_without_scikit_learn_names_the_demo_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"minigrad\[demo\]"):
        load_digits()


# ------------------------------------------------------------------------------ spirals
def test_make_spirals_shapes_dtypes_and_balance():
    x, y = make_spirals(n_per_class=50, classes=4)
    assert tuple(x.shape) == (200, 2) and x.dtype == mg.float32
    assert tuple(y.shape) == (200,) and y.dtype == mg.int64
    np.testing.assert_array_equal(np.bincount(y.numpy()), [50, 50, 50, 50])
    assert np.all(np.linalg.norm(x.numpy(), axis=1) <= 1.0 + 1e-6)


def test_make_spirals_is_reproducible_by_seed():
    first, second, other = make_spirals(seed=3), make_spirals(seed=3), make_spirals(seed=4)
    np.testing.assert_array_equal(first[0].numpy(), second[0].numpy())
    np.testing.assert_array_equal(first[1].numpy(), second[1].numpy())
    assert not np.array_equal(first[0].numpy(), other[0].numpy())


def test_make_spirals_honours_dtype():
    x, _ = make_spirals(n_per_class=5, dtype="float64")
    assert x.dtype == mg.float64
