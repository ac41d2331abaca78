"""``mg.save`` / ``mg.load`` round trips: nested plain values, arrays and tensors, state dicts
and the rng come back with the same types, dtypes and bits, and a training run resumed from a
checkpoint continues bit for bit."""

import math

import numpy as np
import pytest
from checkpoint_helpers import assert_same

import minigrad as mg
from minigrad import nn
from minigrad.data import DataLoader, TensorDataset
from minigrad.nn.utils import clip_grad_norm_
from minigrad.optim.lr_scheduler import CyclicLR, StepLR


def round_trip(obj, tmp_path):
    path = tmp_path / "checkpoint.mg"
    mg.save(obj, path)
    return mg.load(path)


# ----------------------------------------------------------------------------- round trip
def test_round_trip_of_nested_plain_values_arrays_and_tensors(tmp_path):
    rng = np.random.default_rng(0)
    obj = {
        "text": "héllo ✓", "empty": "", 7: "int key", -1: None, 0: {"nested": {"deep": [{}]}},
        "bools": [True, False], "ints": [0, -3, 2 ** 70],
        "floats": [0.0, -0.0, 1.5, 1e-300, math.pi, math.inf, -math.inf, math.nan],
        "tuples": (1, (2, "x"), [], ()), "list of dicts": [{"a": 1}, {2: (None,)}],
        "f32": rng.standard_normal((3, 4)).astype(np.float32),
        "f64": rng.standard_normal(5), "i64": np.arange(-3, 3, dtype=np.int64),
        "bool": np.array([True, False, True]), "f16": np.array([1.5, -2.0], dtype=np.float16),
        "0-d f32": np.array(2.5, dtype=np.float32), "0-d f64": np.array(math.nan),
        "0-d i64": np.array(7, dtype=np.int64), "0-d bool": np.array(False),
        "no rows": np.zeros((0, 3)), "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "strided": np.arange(10, dtype=np.int64)[::3], "special": np.array([np.inf, -np.nan]),
        "t32": mg.tensor(rng.standard_normal((2, 3)).astype(np.float32)),
        "t64": mg.tensor(rng.standard_normal(4)), "ti64": mg.arange(5),
        "tbool": mg.tensor(np.array([True, False])), "t 0-d": mg.tensor(np.float32(3.0)),
    }
    assert_same(obj, round_trip(obj, tmp_path))


def test_round_trip_of_a_tuple_at_the_top_and_a_tuple_key(tmp_path):
    obj = ({(1, "a"): [1.0]}, "x")
    assert_same(obj, round_trip(obj, tmp_path))


def test_loaded_arrays_are_writable_copies(tmp_path):
    loaded = round_trip({"w": np.arange(3.0)}, tmp_path)
    loaded["w"][0] = 5.0
    assert loaded["w"][0] == 5.0


def tiny_model():
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(6, 3))


def adam_steps(model, optimizer, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = mg.tensor(rng.standard_normal((8, 4)).astype(np.float32))
        y = mg.tensor(rng.integers(0, 3, 8))
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(model(x), y).backward()
        optimizer.step()


def test_module_optimizer_and_scheduler_state_dicts_round_trip(tmp_path):
    model = tiny_model()
    optimizer = mg.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(3):
        adam_steps(model, optimizer, 1, seed=len(optimizer.state))
        scheduler.step()
    saved = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict()}
    loaded = round_trip(saved, tmp_path)
    assert_same(saved, loaded)

    mg.manual_seed(1)
    twin = tiny_model()
    twin_optimizer = mg.optim.Adam(twin.parameters(), lr=0.5)
    twin_scheduler = StepLR(twin_optimizer, step_size=7)
    twin.load_state_dict(loaded["model"])
    twin_optimizer.load_state_dict(loaded["optimizer"])
    twin_scheduler.load_state_dict(loaded["scheduler"])
    assert_same(saved["scheduler"], twin_scheduler.state_dict())
    assert twin_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]
    model.eval()
    twin.eval()  # no dropout: both take the same step
    adam_steps(model, optimizer, 2, seed=9)
    adam_steps(twin, twin_optimizer, 2, seed=9)
    assert_same(model.state_dict(), twin.state_dict())
    assert_same(optimizer.state_dict(), twin_optimizer.state_dict())


def test_rng_state_round_trips_and_replays_the_same_draws(tmp_path):
    mg.randn(3)
    state = round_trip(mg.get_rng_state(), tmp_path)
    expected = mg.rand(5).numpy()
    mg.manual_seed(42)
    mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.rand(5).numpy(), expected)


# ------------------------------------------------------------------ bit-identical resume
SCHEDULERS = {
    "StepLR": lambda optimizer: StepLR(optimizer, step_size=4, gamma=0.5),
    "CyclicLR": lambda optimizer: CyclicLR(optimizer, base_lr=0.01, max_lr=0.2,
                                           step_size_up=5),
}
DATA = np.random.default_rng(0)
X = DATA.standard_normal((44, 5)).astype(np.float32)
Y = DATA.integers(0, 3, 44)
MAX_NORM = 0.5


class Run:
    """A model with BatchNorm and Dropout, SGD with momentum, a scheduler, gradient clipping
    and a shuffled loader; ``steps(n)`` trains and records everything that could drift."""

    def __init__(self, seed, scheduler):
        mg.manual_seed(seed)
        self.model = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(),
                                   nn.Dropout(0.3), nn.Linear(16, 3))
        self.optimizer = mg.optim.SGD(self.model.parameters(), lr=0.1, momentum=0.9,
                                      weight_decay=1e-3)
        self.scheduler = SCHEDULERS[scheduler](self.optimizer)
        dataset = TensorDataset(mg.tensor(X), mg.tensor(Y), mg.arange(len(Y)))
        self.loader = DataLoader(dataset, batch_size=8, shuffle=True)  # seed from the rng
        self.batches = self._forever()
        self.masks = []
        self.model[3].register_forward_hook(
            lambda module, inputs, output: self.masks.append(output.numpy() != 0))
        self.log = {"loss": [], "order": [], "norm": [], "lr": []}

    def _forever(self):
        while True:
            yield from self.loader

    def steps(self, n):
        for _ in range(n):
            x, y, index = next(self.batches)
            loss = nn.CrossEntropyLoss()(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            norm = clip_grad_norm_(self.model.parameters(), MAX_NORM)
            self.optimizer.step()
            self.scheduler.step()
            self.log["loss"].append(loss.numpy().copy())
            self.log["order"].append(index.numpy().copy())
            self.log["norm"].append(norm.numpy().copy())
            self.log["lr"].append(self.scheduler.get_last_lr())

    def state(self):
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "rng": mg.get_rng_state(),
                "loader": self.loader.state_dict()}

    def restore(self, state):
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        mg.set_rng_state(state["rng"])
        self.loader.load_state_dict(state["loader"])


@pytest.mark.parametrize("scheduler", list(SCHEDULERS))
def test_resuming_from_a_checkpoint_continues_bit_for_bit(tmp_path, scheduler, backend):
    straight = Run(0, scheduler)
    straight.steps(27)
    rng_after_27_steps = mg.get_rng_state()
    assert max(float(n) for n in straight.log["norm"]) > MAX_NORM  # clipping acted

    first = Run(0, scheduler)
    first.steps(7)
    assert 0 < first.loader.state_dict()["batch_index"] < len(first.loader)  # mid-epoch
    mg.save(first.state(), tmp_path / "resume.mg")

    resumed = Run(1, scheduler)  # another seed: everything below must come from the file
    assert not np.array_equal(resumed.model.state_dict()["0.weight"],
                              first.model.state_dict()["0.weight"])
    assert resumed.loader.seed != first.loader.seed
    resumed.restore(mg.load(tmp_path / "resume.mg"))
    resumed.steps(20)

    for key in straight.log:
        assert_same(straight.log[key], first.log[key] + resumed.log[key], key)
    masks = first.masks + resumed.masks
    assert len(masks) == len(straight.masks) == 27
    for step, (expected, actual) in enumerate(zip(straight.masks, masks)):
        np.testing.assert_array_equal(actual, expected, err_msg=f"dropout mask of step {step}")
    assert_same(straight.model.state_dict(), resumed.model.state_dict(), "model")
    assert_same(straight.optimizer.state_dict(), resumed.optimizer.state_dict(), "optimizer")
    assert_same(straight.scheduler.state_dict(), resumed.scheduler.state_dict(), "scheduler")
    assert_same(straight.loader.state_dict(), resumed.loader.state_dict(), "loader")
    assert mg.get_rng_state() == rng_after_27_steps
