"""``minigrad.utils.data`` against ``torch.utils.data``: datasets, ``default_collate`` and
``default_convert`` (structure, shapes, dtypes, values), the samplers and ``random_split``
(batches and lengths where PyTorch fixes them, reproducibility by generator where it draws),
and the errors PyTorch raises."""

import collections
import inspect
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.utils import data

torch = pytest.importorskip("torch")
tdata = torch.utils.data

Point = collections.namedtuple("Point", ["x", "y"])


def plain(obj):
    """A library-neutral form of a batch: tensors become (dtype name, shape, values)."""
    if isinstance(obj, (mg.Tensor, torch.Tensor)):
        return ("tensor", str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.numpy().tolist())
    if isinstance(obj, dict):
        return {key: plain(value) for key, value in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__, *map(plain, obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain(item) for item in obj)
    return obj


def both(make):
    """``make(tensor)`` built with minigrad's and with PyTorch's tensor constructor."""
    return make(mg.tensor), make(torch.tensor)


def test_every_name_is_pytorchs():
    assert [name for name in data.__all__ if not hasattr(tdata, name)] == []


SIGNATURES = ["BatchSampler", "ChainDataset", "ConcatDataset", "RandomSampler",
              "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
              "WeightedRandomSampler", "default_collate", "default_convert", "get_worker_info"]


@pytest.mark.parametrize("name", SIGNATURES)
def test_signatures_are_pytorchs(name):
    ours = inspect.signature(getattr(data, name)).parameters
    theirs = inspect.signature(getattr(tdata, name)).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.values()]


def test_random_split_takes_pytorchs_arguments_with_none_for_the_shared_generator():
    ours = inspect.signature(data.random_split).parameters
    assert list(ours) == list(inspect.signature(tdata.random_split).parameters)
    assert ours["generator"].default is None


def test_datasets_and_samplers_subscript_as_pytorchs_generics():
    class Pairs(data.Dataset[tuple]):
        def __getitem__(self, index):
            return index, -index

    assert Pairs()[2] == (2, -2) and isinstance(Pairs(), data.Dataset)

    class Evens(data.Sampler[int]):
        def __iter__(self):
            return iter([0, 2])

    assert list(data.DataLoader(Squares(3), sampler=Evens(), batch_size=None)) == [0, 4]


def test_mg_data_and_mg_utils_data_are_one_implementation():
    assert mg.data.DataLoader is data.DataLoader
    assert mg.data.TensorDataset is data.TensorDataset
    assert mg.utils.data is data


# ------------------------------------------------------------------------------ collate
SAMPLES = {
    "tensors": lambda t: [t([1.0, 2.0]), t([3.0, 4.0])],
    "int tensors": lambda t: [t([[1, 2]]), t([[3, 4]])],
    "0-d tensors": lambda t: [t(1.5), t(2.5)],
    "floats": lambda t: [0.5, 1.5, 2.5],
    "ints": lambda t: [1, 2, 3],
    "bools": lambda t: [True, False],
    "strings": lambda t: ["a", "bc"],
    "numpy arrays": lambda t: [np.zeros((2, 3)), np.ones((2, 3))],
    "numpy float32 arrays": lambda t: [np.zeros(2, np.float32), np.ones(2, np.float32)],
    "numpy scalars": lambda t: [np.float32(1.5), np.float32(2.0)],
    "numpy ints": lambda t: [np.int32(1), np.int32(2)],
    "tuples": lambda t: [(t([1.0]), 0), (t([2.0]), 1)],
    "lists": lambda t: [[t([1.0]), "x"], [t([2.0]), "y"]],
    "dicts": lambda t: [{"image": t([1.0, 2.0]), "label": 3, "name": "a"},
                        {"image": t([3.0, 4.0]), "label": 4, "name": "b"}],
    "named tuples": lambda t: [Point(t(1.0), 2), Point(t(3.0), 4)],
    "nested": lambda t: [{"pair": (t([1]), [0.5, 1])}, {"pair": (t([2]), [1.5, 2])}],
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_default_collate_matches_pytorch(name):
    ours, theirs = both(SAMPLES[name])
    assert plain(data.default_collate(ours)) == plain(tdata.default_collate(theirs))


def test_default_collate_of_tuples_gives_a_list_of_stacked_tensors():
    batch = data.default_collate([(mg.tensor([1.0, 2.0]), 0), (mg.tensor([3.0, 4.0]), 1)])
    assert isinstance(batch, list) and len(batch) == 2
    assert tuple(batch[0].shape) == (2, 2) and batch[0].dtype == mg.float32
    assert batch[1].dtype == mg.int64


def test_default_collate_stacks_differentiably():
    rows = [mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0])]
    data.default_collate(rows).sum().backward()
    np.testing.assert_array_equal(rows[0].grad.numpy(), [1.0, 1.0])


def test_default_collate_keeps_a_named_tuples_type_and_a_dict_subclass():
    ordered = data.default_collate([collections.OrderedDict(a=1), collections.OrderedDict(a=2)])
    assert type(ordered) is collections.OrderedDict
    assert type(data.default_collate([Point(1, 2), Point(3, 4)])) is Point


@pytest.mark.parametrize("batch, error, message", [
    ([object()], TypeError, "default_collate: batch must contain tensors"),
    ([[1, 2], [1]], RuntimeError, "each element in list of batch should be of equal size"),
    ([np.array(["a"])], TypeError, "default_collate: batch must contain tensors"),
])
def test_default_collate_errors_match_pytorch(batch, error, message):
    with pytest.raises(error, match=message):
        tdata.default_collate(batch)
    with pytest.raises(error, match=message):
        data.default_collate(batch)


CONVERTED = {
    "numpy array": lambda t: np.arange(3),
    "numpy scalar": lambda t: np.float64(2.5),
    "tuple": lambda t: (np.zeros(2), 1, "s"),
    "dict": lambda t: {"a": np.ones(2, np.float32), "b": [np.int64(3)]},
    "named tuple": lambda t: Point(np.zeros(1), 2),
    "tensor": lambda t: t([1.0]),
    "number": lambda t: 3,
}


@pytest.mark.parametrize("name", list(CONVERTED))
def test_default_convert_matches_pytorch(name):
    ours, theirs = both(CONVERTED[name])
    assert plain(data.default_convert(ours)) == plain(tdata.default_convert(theirs))


def test_default_convert_leaves_numpy_strings_alone():
    text = np.array(["a", "b"])
    assert data.default_convert(text) is text


# ----------------------------------------------------------------------------- datasets
class Squares(data.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return index * index


def test_a_dataset_without_getitem_raises_pytorchs_error():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement"):
        data.Dataset()[0]


def test_concat_dataset_indexes_across_its_parts_as_pytorch():
    ours = data.ConcatDataset([Squares(3), Squares(2), Squares(4)])
    theirs = tdata.ConcatDataset([Squares(3), Squares(2), Squares(4)])
    assert len(ours) == len(theirs) == 9 and ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-9, 9)] == [theirs[i] for i in range(-9, 9)]
    with pytest.raises(ValueError, match="absolute value of index"):
        ours[-10]


def test_adding_datasets_concatenates_and_adding_streams_chains():
    joined = Squares(2) + Squares(3)
    assert isinstance(joined, data.ConcatDataset) and [joined[i] for i in range(5)] == \
        [0, 1, 0, 1, 4]
    chained = Counting(2) + Counting(3)
    assert isinstance(chained, data.ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5


def test_concat_dataset_refuses_what_pytorch_refuses():
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        data.ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        data.ConcatDataset([Squares(2), Counting(2)])
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(data.ChainDataset([Squares(2)]))


class Counting(data.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_subset_picks_its_indices_in_order():
    subset = data.Subset(Squares(10), [7, 2, 5])
    assert len(subset) == 3 and [subset[i] for i in range(3)] == [49, 4, 25]
    assert subset.__getitems__([2, 0]) == [25, 49]


def test_a_subset_subclass_overriding_only_getitem_is_refused_as_in_pytorch():
    class Doubled(data.Subset):
        def __getitem__(self, index):
            return 2 * super().__getitem__(index)

    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        Doubled(Squares(3), [0, 1])


def test_tensor_dataset_rows_match_pytorch():
    x, y = np.arange(12.0).reshape(4, 3), np.arange(4)
    ours = data.TensorDataset(mg.tensor(x), mg.tensor(y))
    theirs = tdata.TensorDataset(torch.tensor(x), torch.tensor(y))
    assert len(ours) == len(theirs)
    assert [plain(ours[i]) for i in range(4)] == [plain(theirs[i]) for i in range(4)]


# ---------------------------------------------------------------------------- samplers
def test_sequential_sampler_and_batch_sampler_match_pytorch():
    for batch_size in (1, 3, 4, 10, 11):
        for drop_last in (False, True):
            ours = data.BatchSampler(data.SequentialSampler(range(10)), batch_size, drop_last)
            theirs = tdata.BatchSampler(tdata.SequentialSampler(range(10)), batch_size,
                                        drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_batch_sampler_takes_any_iterable_of_keys():
    assert list(data.BatchSampler(["a", "b", "c"], 2, False)) == [["a", "b"], ["c"]]


@pytest.mark.parametrize("args, message", [
    ((range(3), 0, False), "batch_size should be a positive integer value"),
    ((range(3), True, False), "batch_size should be a positive integer value"),
    ((range(3), 2.0, False), "batch_size should be a positive integer value"),
    ((range(3), 2, 1), "drop_last should be a boolean value"),
])
def test_batch_sampler_argument_errors_match_pytorch(args, message):
    with pytest.raises(ValueError, match=message):
        tdata.BatchSampler(*args)
    with pytest.raises(ValueError, match=message):
        data.BatchSampler(*args)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"replacement": 1}, TypeError, "replacement should be a boolean value"),
    ({"num_samples": 0}, ValueError, "num_samples should be a positive integer value"),
    ({"num_samples": 2.5}, ValueError, "num_samples should be a positive integer value"),
])
def test_random_sampler_argument_errors_match_pytorch(kwargs, error, message):
    with pytest.raises(error, match=message):
        tdata.RandomSampler(range(3), **kwargs)
    with pytest.raises(error, match=message):
        data.RandomSampler(range(3), **kwargs)


def seeded(seed):
    return mg.Generator().manual_seed(seed)


def test_random_sampler_is_a_permutation_repeating_with_its_generator_seed():
    orders = [list(data.RandomSampler(range(30), generator=seeded(seed))) for seed in (1, 1, 2)]
    assert sorted(orders[0]) == list(range(30)) and orders[0] != list(range(30))
    assert orders[0] == orders[1] and orders[0] != orders[2]


def test_random_sampler_draws_a_new_order_on_each_pass_from_its_generator():
    sampler = data.RandomSampler(range(20), generator=seeded(0))
    first, second = list(sampler), list(sampler)
    assert first != second and sorted(second) == list(range(20))
    again = data.RandomSampler(range(20), generator=seeded(0))
    assert [list(again), list(again)] == [first, second]


def test_random_sampler_without_a_generator_repeats_under_manual_seed():
    def two_passes():
        mg.manual_seed(4)
        sampler = data.RandomSampler(range(15))
        return list(sampler), list(sampler)

    first = two_passes()
    assert first == two_passes() and first[0] != first[1]


def test_random_sampler_lengths_with_and_without_replacement_match_pytorch():
    for kwargs in ({}, {"num_samples": 7}, {"num_samples": 25},
                   {"replacement": True}, {"replacement": True, "num_samples": 40}):
        ours = data.RandomSampler(range(10), generator=seeded(0), **kwargs)
        theirs = tdata.RandomSampler(range(10), generator=torch.Generator(), **kwargs)
        drawn = list(ours)
        assert len(drawn) == len(ours) == len(theirs) == len(list(theirs))
        assert all(0 <= i < 10 for i in drawn)
        if not kwargs.get("replacement"):  # whole permutations one after another, as PyTorch
            passes = [drawn[start:start + 10] for start in range(0, len(drawn), 10)]
            assert all(len(set(chunk)) == len(chunk) for chunk in passes)


def test_subset_random_sampler_shuffles_its_indices():
    indices = [3, 9, 4, 12]
    sampler = data.SubsetRandomSampler(indices, generator=seeded(5))
    order = list(sampler)
    assert sorted(order) == sorted(indices) and len(sampler) == 4
    assert list(data.SubsetRandomSampler(indices, generator=seeded(5))) == order


def test_weighted_random_sampler_follows_the_weights():
    sampler = data.WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=seeded(0))
    counts = np.bincount(list(sampler), minlength=3)
    assert counts[0] == 0 and len(sampler) == 4000
    assert abs(counts[2] / counts[1] - 3.0) < 0.3
    unique = list(data.WeightedRandomSampler([1, 1, 1, 5], 4, replacement=False,
                                             generator=seeded(0)))
    assert sorted(unique) == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match="without replacement"):
        list(data.WeightedRandomSampler([1, 0, 0], 2, replacement=False))
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        data.WeightedRandomSampler([1.0], 0)


def test_a_sampler_refuses_a_generator_that_is_not_mg_generator():
    with pytest.raises(TypeError, match="RandomSampler: generator must be a minigrad"):
        list(data.RandomSampler(range(3), generator=torch.Generator()))


# --------------------------------------------------------------------------- random_split
@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]), (10, [0.5, 0.5]), (10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]),
    (100, [0.8, 0.1, 0.1]), (5, [1.0]),
])
def test_random_split_lengths_match_pytorch(n, lengths):
    ours = data.random_split(range(n), lengths, generator=seeded(0))
    theirs = tdata.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert all(isinstance(s, data.Subset) for s in ours)
    assert sorted(i for s in ours for i in s) == list(range(n))  # a partition


def test_random_split_repeats_with_the_generator_seed_and_under_manual_seed():
    def split(**kwargs):
        return [list(s.indices) for s in data.random_split(range(20), [5, 15], **kwargs)]

    assert split(generator=seeded(3)) == split(generator=seeded(3))
    assert split(generator=seeded(3)) != split(generator=seeded(4))
    mg.manual_seed(8)
    first = split()
    mg.manual_seed(8)
    assert split() == first


@pytest.mark.parametrize("lengths, message", [
    ([3, 3], "Sum of input lengths does not equal the length of the input dataset!"),
    ([1.5, -0.5], "Fraction at index 0 is not between 0 and 1"),
])
def test_random_split_errors_match_pytorch(lengths, message):
    with pytest.raises(ValueError, match=message):
        tdata.random_split(range(10), lengths)
    with pytest.raises(ValueError, match=message):
        data.random_split(range(10), lengths)


@pytest.mark.parametrize("library", [tdata, data], ids=["torch", "minigrad"])
def test_random_split_warns_of_an_empty_split_as_pytorch(library):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        splits = library.random_split(range(1), [0.1, 0.9])
    assert [len(s) for s in splits] == [1, 0]
    assert [str(w.message) for w in caught] == \
        ["Length of split at index 1 is 0. This might result in an empty dataset."]
    assert caught[0].filename == __file__  # pointed at the caller
