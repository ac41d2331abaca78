"""examples/ddp_batchnorm_stats.py under ``mpiexec -n 2``: SyncBatchNorm normalizes with the
global batch's statistics while plain BatchNorm1d uses each replica's, and after DDP's
averaging both ranks clip by the norm one process computes over the global batch."""

import json

import numpy as np
import pytest
from test_distributed import ROOT, _mpiexec, needs_mpi

TOL = 1e-5


@needs_mpi
def test_synchronized_statistics_and_clip_norm_are_the_global_batch(tmp_path):
    pytest.importorskip("matplotlib", reason="the figure needs: pip install matplotlib")
    figure = tmp_path / "stats.png"
    stdout, stderr = _mpiexec(str(ROOT / "examples" / "ddp_batchnorm_stats.py"), "--plot",
                              str(figure), timeout=60)
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, stdout + stderr[-3000:]
    result = json.loads(lines[0].removeprefix("RESULT "))
    global_mean, global_var = np.array(result["global_mean"]), np.array(result["global_var"])
    plain, synced = result["plain"], result["sync"]

    for rank in range(2):
        np.testing.assert_allclose(synced["replica_mean"][rank], global_mean, atol=TOL)
        np.testing.assert_allclose(synced["replica_var"][rank], global_var, rtol=TOL, atol=TOL)
        # NOTE: the ranks' inputs sit 2 apart, so each replica's mean is about 1 off the
        # global one; 0.3 is far outside what 16 standard-normal samples wander
        assert np.all(np.abs(np.array(plain["replica_mean"][rank]) - global_mean) > 0.3)
    assert synced["running_mean"][0] == synced["running_mean"][1]
    assert plain["running_mean"][0] != plain["running_mean"][1]

    for report in (plain, synced):
        assert report["clip_norm"][0] == report["clip_norm"][1]
        assert report["local_norm"][0] != report["local_norm"][1]
    np.testing.assert_allclose(synced["clip_norm"], synced["reference_norm"], rtol=TOL)
    assert abs(plain["clip_norm"][0] - plain["reference_norm"]) > 0.1
    assert figure.stat().st_size > 0
