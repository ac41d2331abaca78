"""``minigrad.optim.swa_utils`` against ``torch.optim.swa_utils``: ``AveragedModel`` with each
averaging function (equal weights, EMA, one tensor at a time or lists in place, with and
without the buffers), ``update_bn``, and ``SWALR``'s annealing; the same behaviours PyTorch's
own tests check, in minigrad's words, plus oracles that need no PyTorch (the average is the
mean of the snapshots, update_bn's statistics are the batches' averages).
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import swa_utils

torch = pytest.importorskip("torch")

LIBS = {"minigrad": mg, "torch": torch}


def _model(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))


def _pair():
    """The same small model (with a batch norm) in both libraries, in float64."""
    torch.manual_seed(0)
    t_model = _model(torch).double()
    m_model = _model(mg).double()
    m_model.load_state_dict({k: v.numpy() for k, v in t_model.state_dict().items()})
    return {"minigrad": m_model, "torch": t_model}


def _batches(n=5, size=8, seed=1):
    rng = np.random.default_rng(seed)
    return [(3 * rng.standard_normal((size, 4)) + 1, rng.standard_normal((size, 2)))
            for _ in range(n)]


def _state(module):
    return {k: np.asarray(v.numpy() if hasattr(v, "numpy") else v, dtype=np.float64)
            for k, v in module.state_dict().items()}


def _train_and_average(lib, model, averaged, steps=6, snapshots=None):
    """SGD steps on fixed batches, folding the model into ``averaged`` after each."""
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in _batches(steps):
        optimizer.zero_grad()
        loss = lib.nn.functional.mse_loss(model(lib.tensor(x)), lib.tensor(y))
        loss.backward()
        optimizer.step()
        averaged.update_parameters(model)
        if snapshots is not None:
            snapshots.append(_state(model))


AVERAGES = {
    "swa-default": lambda sw: {},
    "ema-multi": lambda sw: {"multi_avg_fn": sw.get_ema_multi_avg_fn(0.7)},
    "swa-multi": lambda sw: {"multi_avg_fn": sw.get_swa_multi_avg_fn()},
    "ema-avg_fn": lambda sw: {"avg_fn": sw.get_ema_avg_fn(0.8)},
    "swa-avg_fn": lambda sw: {"avg_fn": sw.get_swa_avg_fn()},
    "custom-avg_fn": lambda sw: {"avg_fn": lambda avg, cur, n: 0.25 * avg + 0.75 * cur},
    "ema-decay-0": lambda sw: {"multi_avg_fn": sw.get_ema_multi_avg_fn(0.0)},
}


def _swa_module(lib):
    return swa_utils if lib is mg else torch.optim.swa_utils


# NOTE: PyTorch's get_swa_multi_avg_fn raises on the integer batch counter among the buffers
# (see test_swa_multi_averages_integer_buffers_where_torch_raises)
@pytest.mark.parametrize("average, use_buffers",
                         [(a, b) for a in AVERAGES for b in (False, True)
                          if (a, b) != ("swa-multi", True)])
def test_averaged_model_matches_torch(average, use_buffers):
    models, states = _pair(), {}
    for name, lib in LIBS.items():
        kwargs = AVERAGES[average](_swa_module(lib))
        averaged = _swa_module(lib).AveragedModel(models[name], use_buffers=use_buffers,
                                                  **kwargs)
        _train_and_average(lib, models[name], averaged)
        states[name] = _state(averaged)
        assert int(averaged.n_averaged) == 6
    assert list(states["minigrad"]) == list(states["torch"])
    assert list(states["minigrad"])[:2] == ["n_averaged", "module.0.weight"]
    # NOTE: PyTorch's get_swa_multi_avg_fn rounds its weight 1 / (n + 1) to float32 (see
    # test_equal_weights_give_the_mean_of_the_snapshots for minigrad's exact mean)
    rtol = 1e-6 if average == "swa-multi" else 1e-12
    for key, expected in states["torch"].items():
        np.testing.assert_allclose(states["minigrad"][key], expected, rtol=rtol, atol=1e-14,
                                   err_msg=key)


@pytest.mark.parametrize("average", ["swa-default", "swa-multi", "swa-avg_fn"])
def test_equal_weights_give_the_mean_of_the_snapshots(average):
    model = _pair()["minigrad"]
    averaged = swa_utils.AveragedModel(model, **AVERAGES[average](swa_utils))
    snapshots = []
    _train_and_average(mg, model, averaged, snapshots=snapshots)
    state = _state(averaged)
    for key in ("0.weight", "1.bias", "3.weight"):
        mean = np.mean([snap[key] for snap in snapshots], axis=0)
        np.testing.assert_allclose(state["module." + key], mean, rtol=1e-12, atol=1e-15)
    # NOTE: without use_buffers the buffers are the latest model's, not averaged
    np.testing.assert_array_equal(state["module.1.running_mean"],
                                  snapshots[-1]["1.running_mean"])


def test_swa_multi_averages_integer_buffers_where_torch_raises():
    models = _pair()
    t_averaged = torch.optim.swa_utils.AveragedModel(
        models["torch"], multi_avg_fn=torch.optim.swa_utils.get_swa_multi_avg_fn(),
        use_buffers=True)
    with pytest.raises(RuntimeError, match="Integer division"):
        _train_and_average(torch, models["torch"], t_averaged, steps=2)
    averaged = swa_utils.AveragedModel(models["minigrad"], use_buffers=True,
                                       multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    snapshots = []
    _train_and_average(mg, models["minigrad"], averaged, steps=4, snapshots=snapshots)
    mean = 0.0
    for n, snap in enumerate(snapshots):  # the running mean, truncated at each update
        mean = np.trunc(mean + (snap["1.num_batches_tracked"] - mean) / (n + 1))
    assert _state(averaged)["module.1.num_batches_tracked"] == mean
    assert averaged.module[1].num_batches_tracked.dtype == mg.int64


def test_ema_follows_its_recurrence_and_the_first_update_copies():
    model = _pair()["minigrad"]
    averaged = swa_utils.AveragedModel(
        model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.6), use_buffers=True)
    snapshots = []
    _train_and_average(mg, model, averaged, steps=4, snapshots=snapshots)
    expected = snapshots[0]["1.running_var"]
    for snap in snapshots[1:]:
        expected = 0.6 * expected + 0.4 * snap["1.running_var"]
    np.testing.assert_allclose(_state(averaged)["module.1.running_var"], expected, rtol=1e-12)
    # the batch counter is an integer buffer: its average truncated, as PyTorch's
    counts = [snap["1.num_batches_tracked"] for snap in snapshots]
    ema = counts[0]
    for count in counts[1:]:
        ema = np.trunc(0.6 * ema + 0.4 * count)
    assert _state(averaged)["module.1.num_batches_tracked"] == ema


def test_averaged_model_is_an_independent_copy_that_forwards():
    model = _pair()["minigrad"].eval()
    averaged = swa_utils.AveragedModel(model)
    assert averaged.module is not model
    x = mg.tensor(np.ones((3, 4)))
    np.testing.assert_array_equal(averaged(x).numpy(), model(x).numpy())
    with mg.no_grad():
        next(model.parameters()).add_(1.0)
    assert not np.array_equal(averaged(x).numpy(), model(x).numpy())
    assert "AveragedModel(\n  (module): Sequential(" in repr(averaged)


def test_state_dict_round_trip_restores_the_count():
    model = _pair()["minigrad"]
    averaged = swa_utils.AveragedModel(model)
    _train_and_average(mg, model, averaged, steps=3)
    restored = swa_utils.AveragedModel(_model(mg).double())
    restored.load_state_dict(averaged.state_dict())
    assert int(restored.n_averaged) == 3 and restored.n_averaged.dtype == mg.int64
    for key, value in _state(averaged).items():
        np.testing.assert_array_equal(_state(restored)[key], value)


@pytest.mark.parametrize("lib", list(LIBS.values()), ids=list(LIBS))
def test_argument_errors_as_torch(lib):
    sw = _swa_module(lib)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        sw.AveragedModel(_model(lib), avg_fn=sw.get_swa_avg_fn(),
                         multi_avg_fn=sw.get_swa_multi_avg_fn())
    for maker in (sw.get_ema_multi_avg_fn, sw.get_ema_avg_fn):
        with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided"):
            maker(1.5)


# ---------------------------------------------------------------------------- update_bn
def _loader(lib, kind):
    batches = _batches(4, size=10, seed=2)
    if kind == "tuples":
        return [(lib.tensor(x), lib.tensor(y)) for x, y in batches]
    if kind == "tensors":
        return [lib.tensor(x) for x, _ in batches]
    data = lib.utils.data.TensorDataset(lib.tensor(np.concatenate([x for x, _ in batches])))
    return lib.utils.data.DataLoader(data, batch_size=10)


@pytest.mark.parametrize("kind", ["tuples", "tensors", "dataloader"])
def test_update_bn_matches_torch(kind):
    models = _pair()
    for name, lib in LIBS.items():
        models[name].eval()
        models[name][1].momentum = 0.3
        _swa_module(lib).update_bn(_loader(lib, kind), models[name], device="cpu")
        assert not models[name].training and models[name][1].momentum == 0.3
    got, expected = _state(models["minigrad"]), _state(models["torch"])
    assert int(got["1.num_batches_tracked"]) == 4
    for key in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-12, err_msg=key)


def test_update_bn_averages_the_batch_statistics_equally():
    model = _pair()["minigrad"]
    model[1].running_mean.fill_(100.0)  # stale statistics: reset, not blended in
    swa_utils.update_bn(_loader(mg, "tensors"), model)
    assert model.training
    with mg.no_grad():
        hidden = [model[0](x).numpy() for x in _loader(mg, "tensors")]
    np.testing.assert_allclose(model[1].running_mean.numpy(),
                               np.mean([h.mean(axis=0) for h in hidden], axis=0), rtol=1e-12)
    np.testing.assert_allclose(model[1].running_var.numpy(),
                               np.mean([h.var(axis=0, ddof=1) for h in hidden], axis=0),
                               rtol=1e-12)


def test_update_bn_without_batch_norm_runs_nothing():
    model = mg.nn.Linear(4, 2)

    def loader():
        raise AssertionError("the loader must not be read")
        yield

    swa_utils.update_bn(loader(), model)


# -------------------------------------------------------------------------------- SWALR
def _optimizer(lib):
    groups = [{"params": [lib.nn.Parameter(lib.zeros(3))], "lr": 0.05},
              {"params": [lib.nn.Parameter(lib.zeros(2))], "lr": 0.5}]
    return lib.optim.SGD(groups, lr=0.05)


SWALR_CASES = {
    "no-anneal": dict(swa_lr=0.01, anneal_epochs=1),
    "no-anneal-epochs-0": dict(swa_lr=0.01, anneal_epochs=0),
    "cos-after-multiplicative": dict(swa_lr=0.01, anneal_epochs=5, before="multiplicative"),
    "linear-per-group-after-multiplicative": dict(swa_lr=[0.01, 0.02], anneal_epochs=4,
                                                  anneal_strategy="linear",
                                                  before="multiplicative"),
    "cos-default-epochs-after-step": dict(swa_lr=0.2, before="step"),
}


def _swalr_run(lib, case, epochs=20, swa_start=5):
    """Every group's lr each epoch: ``before`` (a schedule or none) until ``swa_start``,
    then SWALR (built with the optimizer, as in PyTorch's recipe)."""
    kwargs = dict(SWALR_CASES[case])
    before = kwargs.pop("before", None)
    optimizer = _optimizer(lib)
    s = lib.optim.lr_scheduler
    scheduler = {"multiplicative": lambda: s.MultiplicativeLR(optimizer, lambda e: 0.9),
                 "step": lambda: s.StepLR(optimizer, 2, 0.5), None: lambda: None}[before]()
    swa_scheduler = _swa_module(lib).SWALR(optimizer, **kwargs)
    lrs = []
    for epoch in range(epochs):
        lrs.append([group["lr"] for group in optimizer.param_groups])
        optimizer.step()
        if epoch >= swa_start:
            swa_scheduler.step()
        elif scheduler is not None:
            scheduler.step()
    return lrs, swa_scheduler


@pytest.mark.parametrize("case", list(SWALR_CASES))
def test_swalr_matches_torch(case):
    got, scheduler = _swalr_run(mg, case)
    expected, _ = _swalr_run(torch, case)
    assert np.ravel(got) == pytest.approx(np.ravel(expected), rel=1e-14, abs=1e-16)
    swa_lrs = SWALR_CASES[case]["swa_lr"]
    assert got[-1] == pytest.approx(swa_lrs if isinstance(swa_lrs, list) else [swa_lrs] * 2)
    assert scheduler.get_last_lr() == got[-1]


def test_swalr_anneals_along_the_cosine_from_the_current_lr():
    """From lr0 at the switch, t of n steps in: lr0 + (swa_lr - lr0) * (1 - cos(pi t / n)) / 2."""
    lrs, _ = _swalr_run(mg, "cos-after-multiplicative", epochs=14, swa_start=5)
    start = 0.05 * 0.9 ** 5
    for t in range(1, 6):
        alpha = (1 - np.cos(np.pi * t / 5)) / 2
        assert lrs[5 + t][0] == pytest.approx(start + (0.01 - start) * alpha, rel=1e-12)


def test_swalr_resumes_from_state_dicts():
    """Saved mid-anneal and loaded, with the optimizer's state (which holds each group's
    ``swa_lr``), into a scheduler built with other arguments: it continues as the original."""
    _, scheduler = _swalr_run(mg, "linear-per-group-after-multiplicative", epochs=8)
    optimizer, fresh = scheduler.optimizer, _optimizer(mg)
    resumed = swa_utils.SWALR(fresh, swa_lr=[5.0, 5.0], anneal_epochs=10)
    fresh.load_state_dict(optimizer.state_dict())
    resumed.load_state_dict(scheduler.state_dict())
    assert (resumed.anneal_epochs, resumed.anneal_strategy) == (4, "linear")
    assert resumed.get_last_lr() == scheduler.get_last_lr()
    for _ in range(3):  # the end of the anneal, then the constant swa_lr
        for opt, sched in ((optimizer, scheduler), (fresh, resumed)):
            opt.step()
            sched.step()
        assert resumed.get_last_lr() == scheduler.get_last_lr()
    assert resumed.get_last_lr() == [0.01, 0.02]


HYPER_ERRORS = [
    (dict(anneal_strategy="exponential", swa_lr=1.0), "anneal_strategy must"),
    (dict(anneal_epochs=-1, swa_lr=1.0), "anneal_epochs must"),
    (dict(anneal_epochs=1.7, swa_lr=1.0), "anneal_epochs must"),
    (dict(swa_lr=[1.0, 0.1, 0.01]), "swa_lr must"),
]


@pytest.mark.parametrize("lib", list(LIBS.values()), ids=list(LIBS))
@pytest.mark.parametrize("kwargs, match", HYPER_ERRORS)
def test_swalr_hyperparameter_errors_as_torch(lib, kwargs, match):
    with pytest.raises(ValueError, match=match):
        _swa_module(lib).SWALR(_optimizer(lib), **kwargs)


def test_swalr_keeps_its_targets_in_the_groups():
    optimizer = _optimizer(mg)
    swa_utils.SWALR(optimizer, swa_lr=[0.01, 0.02])
    assert [g["swa_lr"] for g in optimizer.param_groups] == [0.01, 0.02]
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.05, 0.5]
