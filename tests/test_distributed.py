"""``mg.distributed``, ``nn.parallel.DistributedDataParallel``, ``nn.SyncBatchNorm`` and
``utils.data.DistributedSampler``.

What needs several processes lives in the scripts of ``tests/distributed/``: each runs once
under ``mpiexec -n 2`` (with a timeout, so a hang fails instead of stalling the suite), and
every ``check_*`` function in it is one test here, passing when both ranks report it
passed. The rest (errors before ``init_process_group``, the sampler's arithmetic against
PyTorch's, the layer without a process group) runs in this process, which never starts
MPI: importing mpi4py would.
"""

import ast
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad import distributed as dist
from minigrad import nn
from minigrad.distributed import run
from minigrad.distributed.process_group import INSTALL_HINT
from minigrad.utils.data import DataLoader, DistributedSampler, TensorDataset

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "tests" / "distributed"
RANKS = 2
needs_mpi = pytest.mark.skipif(
    not dist.is_available() or run.find_mpiexec() is None,
    reason=f"running tests under mpiexec needs mpi4py and an MPI: {INSTALL_HINT}")


def _mpiexec(*command, timeout=120, reports=None):
    """Run ``command`` (after ``python``) in RANKS processes; its stdout and stderr. The
    scripts of tests/distributed write their reports into the folder ``reports``."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    if reports is not None:
        env["MINIGRAD_TEST_REPORTS"] = str(reports)
    result = subprocess.run([run.find_mpiexec(), "-n", str(RANKS), sys.executable, *command],
                            cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout)
    return result.stdout, result.stderr


def _checks(script):
    tree = ast.parse((SCRIPTS / script).read_text())
    return [node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("check_")]


CHECKS = [(script, name) for script in ("collectives_checks.py", "ddp_checks.py",
                                        "equivalence_checks.py")
          for name in _checks(script)]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Each script's report lines per rank, and its stderr, from its one run (made when a
    test first asks for it)."""
    outputs = {}

    def of(script):
        if script not in outputs:
            folder = tmp_path_factory.mktemp(script.removesuffix(".py"))
            _, stderr = _mpiexec(str(SCRIPTS / script), reports=folder)
            lines = [(folder / f"rank{rank}.txt") for rank in range(RANKS)]
            outputs[script] = ([p.read_text().splitlines() if p.exists() else [] for p in lines],
                               stderr)
        return outputs[script]

    return of


@needs_mpi
@pytest.mark.parametrize(("script", "check"), CHECKS, ids=[c for _, c in CHECKS])
def test_under_mpiexec(reports, script, check):
    per_rank, stderr = reports(script)
    for rank, lines in enumerate(per_rank):
        mine = [line for line in lines if line.split(":")[0].split()[2:] in
                (["PASS", check], ["FAIL", check])]
        assert mine, f"rank {rank} did not report {check}:\n{lines}\n{stderr[-3000:]}"
        assert mine[0].startswith(f"rank {rank} PASS"), mine[0]
        assert lines[-1] == f"rank {rank} DONE", stderr[-3000:]


@needs_mpi
def test_the_launcher_starts_every_process_with_its_arguments():
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    result = subprocess.run([sys.executable, "-m", "minigrad.distributed.run", "-n", "2",
                             str(SCRIPTS / "launch_probe.py"), "--lr", "0.1"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for rank in range(2):
        assert (f"rank {rank} of 2 args ['--lr', '0.1'] OMP_NUM_THREADS=1"
                in result.stdout), result.stdout


def test_the_launcher_without_mpiexec_gives_the_install_hint(monkeypatch, capsys):
    monkeypatch.setattr(run, "find_mpiexec", lambda: None)
    assert run.main(["-n", "2", "train.py"]) == 2
    assert INSTALL_HINT in capsys.readouterr().err


@needs_mpi
def test_the_ddp_digits_example_trains_on_two_processes():
    pytest.importorskip("sklearn", reason="the digits need: pip install 'minigrad[demo]'")
    stdout, stderr = _mpiexec(str(ROOT / "examples" / "ddp_digits.py"), "--epochs", "3")
    assert "(2 processes x batch 32); replicas identical: True" in stdout, stderr[-3000:]
    accuracy = float(stdout.split("test accuracy ")[1].split("%")[0])
    assert accuracy >= 90.0, stdout


@needs_mpi
def test_the_demo_trains_data_parallel_with_nproc(tmp_path):
    pytest.importorskip("sklearn", reason="the demo needs: pip install 'minigrad[demo]'")
    pytest.importorskip("tqdm", reason="the demo needs: pip install 'minigrad[demo]'")
    plot = tmp_path / "demo.png"
    result = subprocess.run([sys.executable, "-m", "minigrad", "demo", "--nproc", "2",
                             "--epochs", "2", "--output", str(plot)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("test accuracy:") == 1, result.stdout  # NOTE: rank 0 reports
    assert "44 steps" in result.stdout and "2 processes" in result.stdout, result.stdout
    assert plot.exists()


# ----------------------------------------------------------------------- in this process
def _raises(call, error, *fragments):
    with pytest.raises(error) as caught:
        call()
    for fragment in fragments:
        assert fragment in str(caught.value)


@pytest.mark.parametrize("call", [
    lambda: dist.all_reduce(mg.ones(2)), lambda: dist.broadcast(mg.ones(2), src=0),
    lambda: dist.all_gather([mg.ones(2)], mg.ones(2)), lambda: dist.barrier(),
    lambda: dist.reduce_scatter(mg.ones(2), [mg.ones(2)]), lambda: dist.get_rank(),
    lambda: dist.get_world_size(), lambda: dist.destroy_process_group()],
    ids=["all_reduce", "broadcast", "all_gather", "barrier", "reduce_scatter", "get_rank",
         "get_world_size", "destroy_process_group"])
def test_a_collective_before_init_process_group_says_so(call):
    assert not dist.is_initialized()
    _raises(call, ValueError, "Default process group has not been initialized",
            "init_process_group")


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"backend": "nccl"}, "minigrad's backend is 'mpi'"),
    ({"init_method": "tcp://10.0.0.1:23456"}, "init_method cannot be set"),
    ({"store": object()}, "store cannot be set"),
    ({"timeout": 30}, "expected timeout to be a datetime.timedelta")])
def test_init_process_group_refuses_what_mpi_decides(kwargs, fragment):
    error = TypeError if "timeout" in kwargs else ValueError
    _raises(lambda: dist.init_process_group(**kwargs), error, fragment)
    assert not dist.is_initialized()


def test_the_layers_need_a_process_group():
    layer = nn.SyncBatchNorm(3)
    _raises(lambda: layer(mg.randn(4, 3)), RuntimeError, "SyncBatchNorm", "init_process_group")
    _raises(lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 2)), ValueError,
            "DistributedDataParallel", "init_process_group")
    _raises(lambda: DistributedSampler(range(4)), ValueError, "init_process_group")


def test_sync_batchnorm_checks_its_input_and_evaluates_as_pytorch():
    torch = pytest.importorskip("torch")
    _raises(lambda: nn.SyncBatchNorm(3)(mg.ones(3)), ValueError, "expected at least 2D input")
    _raises(lambda: nn.SyncBatchNorm(0)(mg.ones(2, 0)), ValueError, "non-zero")
    ours, theirs = nn.SyncBatchNorm(3).eval(), torch.nn.SyncBatchNorm(3).eval()
    for layer in (ours, theirs):
        layer.running_mean.fill_(0.5)
        layer.running_var.fill_(2.0)
    x = np.random.default_rng(0).standard_normal((4, 3, 2)).astype(np.float32)
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6)


def _model(nn_module):
    return nn_module.Sequential(
        nn_module.Conv2d(1, 2, 3), nn_module.BatchNorm2d(2, momentum=None),
        nn_module.Sequential(nn_module.Linear(3, 3), nn_module.BatchNorm1d(3, affine=False)),
        nn_module.LayerNorm(3))


def test_convert_sync_batchnorm_replaces_the_batch_norms_as_pytorch_does():
    torch = pytest.importorskip("torch")
    model = _model(nn).eval()
    before = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    theirs = torch.nn.SyncBatchNorm.convert_sync_batchnorm(_model(torch.nn))
    ours_types = [type(m).__name__ for m in converted.modules()]
    assert ours_types == [type(m).__name__ for m in theirs.modules()]
    assert ours_types.count("SyncBatchNorm") == 2 and repr(converted) == repr(theirs)
    for name, value in [*converted.named_parameters(), *converted.named_buffers()]:
        assert value is before[name], f"{name} was copied, not kept"
    assert not converted[1].training and converted[1].momentum is None
    assert nn.SyncBatchNorm.convert_sync_batchnorm(converted[1]) is converted[1]


CASES = [(n, replicas, drop_last) for n in (0, 1, 7, 10, 12) for replicas in (1, 3, 4)
         for drop_last in (False, True)]


@pytest.mark.parametrize(("n", "replicas", "drop_last"), CASES)
def test_distributed_sampler_takes_pytorchs_indices(n, replicas, drop_last):
    torch = pytest.importorskip("torch")
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch.utils.data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                                     drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)


def test_distributed_sampler_shuffles_by_seed_and_epoch_into_disjoint_shards():
    shards = [DistributedSampler(range(12), 3, rank, seed=5) for rank in range(3)]
    first = [list(s) for s in shards]
    assert sorted(sum(first, [])) == list(range(12)), "the shards must cover the data once"
    assert first != [list(range(12))[r::3] for r in range(3)], "not shuffled"
    assert [list(s) for s in shards] == first, "an epoch's order must repeat"
    for s in shards:
        s.set_epoch(1)
    assert [list(s) for s in shards] != first
    again = DistributedSampler(range(12), 3, 0, seed=5)
    again.load_state_dict(shards[0].state_dict())
    assert list(again) == list(shards[0])
    padded = DistributedSampler(range(10), 3, 2, seed=5)
    assert len(list(padded)) == 4, "padding by repeating the start of the order"
    _raises(lambda: DistributedSampler(range(4), 2, 2), ValueError,
            "Invalid rank 2, rank should be in the interval [0, 1]")


def test_a_loader_over_the_sampler_resumes_mid_epoch():
    data = TensorDataset(mg.arange(20.0))
    sampler = DistributedSampler(data, 2, 1, seed=3)
    sampler.set_epoch(4)
    loader = DataLoader(data, batch_size=3, sampler=sampler)
    batches = iter(loader)
    next(batches)
    state = {"loader": loader.state_dict(), "sampler": sampler.state_dict()}
    rest = [b[0].tolist() for b in batches]
    resumed_sampler = DistributedSampler(data, 2, 1, seed=3)
    resumed_sampler.load_state_dict(state["sampler"])
    resumed = DataLoader(data, batch_size=3, sampler=resumed_sampler)
    resumed.load_state_dict(state["loader"])
    assert [b[0].tolist() for b in resumed] == rest


def test_the_names_are_pytorchs():
    torch = pytest.importorskip("torch")
    assert [n for n in dist.__all__ if not hasattr(torch.distributed, n)] == []
    assert [n for n in nn.parallel.__all__ if not hasattr(torch.nn.parallel, n)] == []
    assert mg.utils.data.DistributedSampler is DistributedSampler
