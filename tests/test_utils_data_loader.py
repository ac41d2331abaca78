"""``minigrad.utils.data.DataLoader`` against ``torch.utils.data.DataLoader``: the signature,
the batches wherever PyTorch fixes them (no shuffling, samplers, batch samplers, streams,
``batch_size=None``), PyTorch's argument errors, reproducible shuffling by generator, a
mid-epoch resume with a generator, and a ``torch.utils.data`` program that runs with only
its import lines changed."""

import inspect

import numpy as np
import pytest
from test_utils_data import plain

import minigrad as mg
from minigrad.utils import data

torch = pytest.importorskip("torch")
tdata = torch.utils.data

X = np.arange(30, dtype=np.float32).reshape(10, 3)
Y = np.arange(10)


def tensor_datasets():
    return (data.TensorDataset(mg.tensor(X), mg.tensor(Y)),
            tdata.TensorDataset(torch.tensor(X), torch.tensor(Y)))


class Records:
    """A map-style dataset of dicts (no base class, as PyTorch allows)."""

    def __len__(self):
        return 7

    def __getitem__(self, index):
        return {"x": np.full(2, index, np.float64), "label": index % 3, "id": f"r{index}"}


def same_batches(ours_kwargs, theirs_kwargs=None, datasets=None):
    """The loaders of both libraries, built alike, yield the same batches and lengths."""
    ours_set, theirs_set = datasets or tensor_datasets()
    ours = data.DataLoader(ours_set, **ours_kwargs)
    theirs = tdata.DataLoader(theirs_set, **(ours_kwargs if theirs_kwargs is None
                                              else theirs_kwargs))
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]
    assert len(ours) == len(theirs)


def test_the_signature_is_pytorchs_plus_a_keyword_only_seed():
    ours = inspect.signature(data.DataLoader).parameters
    theirs = inspect.signature(tdata.DataLoader).parameters
    assert list(ours) == list(theirs) + ["seed"]
    for name, parameter in theirs.items():
        assert (ours[name].kind, ours[name].default) == (parameter.kind, parameter.default), name
    assert ours["seed"].kind is inspect.Parameter.KEYWORD_ONLY


# ------------------------------------------------------------------ batches as PyTorch's
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 12])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_batches_match_pytorch(batch_size, drop_last):
    same_batches({"batch_size": batch_size, "drop_last": drop_last})


def test_a_generic_dataset_is_collated_as_pytorch():
    same_batches({"batch_size": 3}, datasets=(Records(), Records()))


def test_without_batching_each_sample_is_converted_as_pytorch():
    same_batches({"batch_size": None}, datasets=(Records(), Records()))
    same_batches({"batch_size": None})


def test_a_sampler_and_a_batch_sampler_order_the_batches_as_pytorch():
    same_batches({"sampler": [9, 0, 4, 4, 2], "batch_size": 2})
    same_batches({"batch_sampler": [[3, 1], [0], [9, 8, 7]]})
    ours = data.BatchSampler(data.SequentialSampler(range(10)), 4, True)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(10)), 4, True)
    same_batches({"batch_sampler": ours}, {"batch_sampler": theirs})


def test_a_collate_fn_gets_the_list_of_samples_as_pytorch():
    same_batches({"batch_size": 4, "collate_fn": lambda batch: [len(batch), type(batch[0])]})


def _stream(base):
    """An iterable dataset of ``n`` (float, int) pairs, built on ``base``: minigrad's or
    PyTorch's ``IterableDataset``."""

    class Stream(base):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return ((np.float32(i), i) for i in range(self.n))

        def __len__(self):
            return self.n

    return Stream


Stream, TorchStream = _stream(data.IterableDataset), _stream(tdata.IterableDataset)


@pytest.mark.parametrize("kwargs", [{"batch_size": 3}, {"batch_size": 3, "drop_last": True},
                                    {"batch_size": 5}, {"batch_size": None}])
def test_an_iterable_dataset_is_batched_as_pytorch(kwargs):
    same_batches(kwargs, datasets=(Stream(10), TorchStream(10)))


@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": [0, 1]},
                                    {"batch_sampler": [[0, 1]]}])
def test_an_iterable_dataset_refuses_an_order_as_pytorch(kwargs):
    name = next(iter(kwargs))
    message = f"DataLoader with IterableDataset: expected unspecified {name} option"
    with pytest.raises(ValueError, match=message):
        tdata.DataLoader(TorchStream(3), **kwargs)
    with pytest.raises(ValueError, match=message):
        data.DataLoader(Stream(3), **kwargs)


def test_getitems_fetches_a_whole_batch_when_a_dataset_has_it():
    class Batched(Records):
        def __getitems__(self, indices):
            return [{"x": np.zeros(1), "label": -i, "id": "b"} for i in indices]

    labels = [b["label"].tolist() for b in data.DataLoader(Batched(), batch_size=3)]
    assert labels == [[0, -1, -2], [-3, -4, -5], [-6]]


# ------------------------------------------------------------------------------- errors
ERRORS = [
    {"batch_size": 2, "batch_sampler": [[0]]},
    {"shuffle": True, "batch_sampler": [[0]]},
    {"sampler": [0], "batch_sampler": [[0]]},
    {"drop_last": True, "batch_sampler": [[0]]},
    {"shuffle": True, "sampler": [0, 1]},
    {"batch_size": None, "drop_last": True},
    {"batch_size": 0},
    {"batch_size": -1},
    {"num_workers": -1},
    {"timeout": -1},
    {"prefetch_factor": 2},
    {"persistent_workers": True},
    {"multiprocessing_context": "spawn"},
]


@pytest.mark.parametrize("kwargs", ERRORS, ids=lambda kwargs: "-".join(kwargs))
def test_argument_errors_are_pytorchs(kwargs):
    ours_set, theirs_set = tensor_datasets()
    with pytest.raises(ValueError) as theirs:
        tdata.DataLoader(theirs_set, **kwargs)
    with pytest.raises(ValueError) as ours:
        data.DataLoader(ours_set, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_the_main_process_is_no_worker():
    """Worker processes are tested in test_utils_data_workers.py."""
    assert data.get_worker_info() is None is tdata.get_worker_info()


@pytest.mark.parametrize("name", ["batch_size", "sampler", "drop_last", "dataset"])
def test_the_batching_cannot_change_after_construction_as_in_pytorch(name):
    ours_set, theirs_set = tensor_datasets()
    with pytest.raises(ValueError) as theirs:
        setattr(tdata.DataLoader(theirs_set), name, None)
    with pytest.raises(ValueError) as ours:
        setattr(data.DataLoader(ours_set), name, None)
    assert str(ours.value) == str(theirs.value)


def test_seed_and_generator_together_are_refused():
    with pytest.raises(ValueError, match="seed and generator"):
        data.DataLoader(tensor_datasets()[0], shuffle=True, seed=1, generator=mg.Generator())


def test_options_without_effect_here_are_accepted_and_change_nothing():
    with pytest.warns(UserWarning, match="pin_memory"):  # PyTorch's, with no accelerator
        same_batches({"batch_size": 4, "pin_memory": True, "in_order": False,
                      "pin_memory_device": ""})


def test_a_timeout_without_workers_fails_on_iterating_as_in_pytorch():
    for library, dataset in zip((data, tdata), tensor_datasets()):
        loader = library.DataLoader(dataset, timeout=5)
        with pytest.raises(AssertionError, match="timeout"):
            next(iter(loader))


# ---------------------------------------------------------------------------- shuffling
def order(loader):
    return [y.numpy().tolist() for _, y in loader]


def shuffled(generator=None, **kwargs):
    return data.DataLoader(tensor_datasets()[0], batch_size=4, shuffle=True,
                           generator=generator, **kwargs)


def seeded(seed):
    return mg.Generator().manual_seed(seed)


def test_the_same_generator_seed_gives_the_same_epochs_and_another_seed_others():
    first, second = shuffled(seeded(3)), shuffled(seeded(3))
    epochs = [order(first) for _ in range(3)]
    assert epochs == [order(second) for _ in range(3)]
    assert epochs[0] != epochs[1] != epochs[2]
    assert all(sorted(sum(epoch, [])) == list(range(10)) for epoch in epochs)
    assert order(shuffled(seeded(4))) != epochs[0]


def test_the_loader_shuffles_with_a_random_sampler_on_its_generator():
    generator = seeded(0)
    loader = shuffled(generator)
    assert isinstance(loader.sampler, data.RandomSampler) and loader.generator is generator
    assert loader.sampler.generator is generator
    assert isinstance(loader.batch_sampler, data.BatchSampler)


def test_seed_seeds_the_loaders_own_generator():
    loader = shuffled(seed=17)
    assert loader.seed == 17 and loader.generator is None
    assert order(loader) == order(shuffled(seeded(17)))


def test_each_iter_begins_a_new_epoch_as_in_pytorch():
    """A pass left unfinished (``next(iter(loader))``) does not carry into the next one."""
    for library, dataset in zip((data, tdata), tensor_datasets()):
        loader = library.DataLoader(dataset, batch_size=3)
        assert next(iter(loader))[1].tolist() == [0, 1, 2]
        assert [y.tolist() for _, y in loader][0] == [0, 1, 2]
    reference = shuffled(seeded(2))
    epochs = [order(reference) for _ in range(3)]
    loader = shuffled(seeded(2))
    assert next(iter(loader))[1].numpy().tolist() == epochs[0][0]
    assert order(loader) == epochs[1] and order(loader) == epochs[2]
    assert loader.epoch == 3


def test_a_loader_resumes_mid_epoch_with_its_generator(tmp_path):
    reference = shuffled(seeded(5))
    epochs = [order(reference) for _ in range(3)]
    loader = shuffled(seeded(5))
    assert order(loader) == epochs[0]
    batches = iter(loader)
    assert [next(batches)[1].numpy().tolist() for _ in range(2)] == epochs[1][:2]
    mg.save(loader.state_dict(), tmp_path / "loader.ckpt")

    other = seeded(99)
    resumed = shuffled(other)
    resumed.load_state_dict(mg.load(tmp_path / "loader.ckpt"))
    assert order(resumed) == epochs[1][2:]
    assert order(resumed) == epochs[2]
    assert other.initial_seed() == 5  # the generator was put back where the epoch began


def test_a_state_of_a_shuffling_loader_does_not_load_into_a_fixed_one():
    state = shuffled(seeded(0)).state_dict()
    with pytest.raises(ValueError, match="shuffles; this one does not"):
        data.DataLoader(tensor_datasets()[0]).load_state_dict(state)


# ------------------------------------------------------------------- the fast path
def test_tensor_dataset_batches_equal_collated_samples():
    """Gathering rows by array index gives what collating each sample gives."""
    dataset = tensor_datasets()[0]
    gathered = list(data.DataLoader(dataset, batch_size=4, shuffle=True, seed=1))
    collated = list(data.DataLoader(dataset, batch_size=4, shuffle=True, seed=1,
                                    collate_fn=lambda batch: data.default_collate(batch)))
    assert [plain(b) for b in gathered] == [plain(b) for b in collated]
    assert all(isinstance(b, list) for b in gathered)  # as default_collate's tuples -> list


def test_a_subset_of_a_tensor_dataset_batches_its_own_rows():
    train, _ = data.random_split(tensor_datasets()[0], [0.6, 0.4], generator=seeded(0))
    rows = [x.numpy() for x, _ in data.DataLoader(train, batch_size=4)]
    labels = sum((y.numpy().tolist() for _, y in data.DataLoader(train, batch_size=4)), [])
    assert labels == list(train.indices)
    np.testing.assert_array_equal(np.concatenate(rows), X[train.indices])


def test_a_tensor_dataset_subclass_with_its_own_getitem_is_honoured():
    class Doubled(data.TensorDataset):
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            return x * 2, y

    x, y = next(iter(data.DataLoader(Doubled(mg.tensor(X), mg.tensor(Y)), batch_size=2)))
    np.testing.assert_array_equal(x.numpy(), 2 * X[:2])


def test_batches_live_on_the_datasets_backend(backend):
    dataset = data.TensorDataset(mg.tensor(X), mg.tensor(Y))
    x, y = next(iter(data.DataLoader(dataset, batch_size=4, shuffle=True, seed=0)))
    assert x.backend == y.backend == backend
    np.testing.assert_array_equal(x.numpy(), X[y.numpy()])


# --------------------------------------------------------------- a PyTorch program
PROGRAM = '''
class Windows(Dataset):
    """Each sample: a window of a series and the value after it."""

    def __init__(self, series, width):
        self.series, self.width = series, width

    def __len__(self):
        return len(self.series) - self.width

    def __getitem__(self, i):
        return {"x": self.series[i:i + self.width], "y": float(self.series[i + self.width])}


series = torch.tensor(np.linspace(0.0, 1.0, 44, dtype=np.float32))
train, val = random_split(Windows(series, 4), [0.75, 0.25],
                          generator=torch.Generator().manual_seed(0))
loader = DataLoader(train, batch_size=8, shuffle=True, drop_last=True,
                    generator=torch.Generator().manual_seed(1))
model = torch.nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
seen = []
for epoch in range(3):
    for batch in loader:
        loss = F.mse_loss(model(batch["x"]).squeeze(1), batch["y"].float())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen.append((tuple(batch["x"].shape), str(batch["y"].dtype).split(".")[-1]))
pairs = TensorDataset(torch.tensor(np.arange(6.0)), torch.tensor(np.arange(6)))
result = {
    "lengths": (len(train), len(val), len(loader)),
    "seen": seen,
    "val": [len(b["y"]) for b in DataLoader(val, batch_size=4)],
    "pairs": [[t.tolist() for t in b] for b in DataLoader(pairs, batch_size=4)],
    "finite": bool(np.isfinite(loss.item())),
}
'''

IMPORTS = {
    "torch": "import torch\nimport torch.nn.functional as F\n"
             "from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split\n",
    "minigrad": "import minigrad as torch\nimport minigrad.nn.functional as F\n"
                "from minigrad.utils.data import DataLoader, Dataset, TensorDataset, "
                "random_split\n",
}


def test_a_torch_utils_data_program_runs_with_only_its_imports_changed():
    results = {}
    for name, imports in IMPORTS.items():
        namespace = {"np": np}
        exec(imports + PROGRAM, namespace)  # noqa: S102 - the program above, nothing else
        results[name] = namespace["result"]
    assert results["minigrad"] == results["torch"]
    assert results["torch"]["lengths"] == (30, 10, 3)


def _resumed_batches(make):
    """The batches after the second, from the loader itself and from a new loader given its
    state dict: a resumed run must repeat the uninterrupted one."""
    loader = make()
    batches = iter(loader)
    next(batches), next(batches)
    state = loader.state_dict()
    rest = [b[0].numpy().tolist() for b in batches]
    resumed = make()
    resumed.load_state_dict(state)
    return rest, [b[0].numpy().tolist() for b in resumed]


@pytest.mark.parametrize("where", ["sampler", "batch_sampler"])
def test_a_random_samplers_order_resumes_from_the_state_dict(where):
    dataset = mg.utils.data.TensorDataset(mg.arange(10))

    def make():
        sampler = mg.utils.data.RandomSampler(dataset, generator=mg.Generator().manual_seed(5))
        if where == "sampler":
            return mg.utils.data.DataLoader(dataset, batch_size=3, sampler=sampler)
        return mg.utils.data.DataLoader(
            dataset, batch_sampler=mg.utils.data.BatchSampler(sampler, 3, drop_last=False))

    rest, resumed = _resumed_batches(make)
    assert resumed == rest and len(rest) == 2


def test_an_order_without_a_generator_refuses_to_be_saved():
    dataset = mg.utils.data.TensorDataset(mg.arange(10))
    loader = mg.utils.data.DataLoader(dataset, batch_size=3,
                                      sampler=mg.utils.data.RandomSampler(dataset))
    with pytest.raises(ValueError, match="cannot be resumed"):
        loader.state_dict()
