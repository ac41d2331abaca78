"""Registry entries of synchronized batch norm (``minigrad/ops/normalization_sync.py``) and
its layer. Without a process group its sums stay local, so here it is batch norm computed
from the sums of x and x * x: the op's formula and backward are checked on one process;
the synchronization itself by ``tests/test_distributed.py`` under mpiexec."""

from minigrad.ops import normalization_sync
from minigrad.testing.op_db.base import ModuleInfo, OpInfo, SampleInput
from minigrad.testing.op_db.normalization import _batch_norm_ref


def _samples(make):
    # NOTE: no offset sample: from sums of squares, the variance of data offset by 1e4
    # standard deviations has no digit left in float32 (see the op's docstring)
    return [SampleInput((make(6, 3), make(3, low=0.5), make(3)), name="2d"),
            SampleInput((make(4, 3, 5), make(3, low=0.5), make(3)), name="3d"),
            SampleInput((make(5, 2),), name="no_affine"),
            SampleInput((make(2, 4),), {"eps": 1e-3}, name="two_rows_eps"),
            SampleInput((make(3, 2, 2, 3), make(2, low=0.5), make(2)), name="4d"),
            SampleInput((make(4, 3, 1, 1), make(3, low=0.5)), name="4d_one_pixel_no_bias"),
            SampleInput((make(2, 2, 2, 2, 3), make(2, low=0.5), make(2)), name="5d")]


def _sync_batch_norm(x, w=None, b=None, eps=1e-5):
    return normalization_sync.SyncBatchNorm.apply(x, w, b, eps, None)[0]


OPS = [
    OpInfo("sync_batch_norm", _sync_batch_norm, normalization_sync.SyncBatchNorm,
           lambda xp, x, w=None, b=None, eps=1e-5: _batch_norm_ref(xp, x, w, b, eps=eps),
           _samples, forward_rtol32=1e-4,
           torch_op=lambda torch, x, w=None, b=None, eps=1e-5:
               torch.nn.functional.batch_norm(x, None, None, w, b, training=True, eps=eps)),
]

MODULES = [
    ModuleInfo("SyncBatchNorm-eval", lambda nn: nn.SyncBatchNorm(3),
               input_shapes=((4, 3), (2, 3, 2, 2), (2, 3, 2, 1, 2)), eval_mode=True),
    ModuleInfo("SyncBatchNorm-eval-no_affine",
               lambda nn: nn.SyncBatchNorm(2, momentum=None, affine=False),
               input_shapes=((3, 2, 4),), eval_mode=True),
]
