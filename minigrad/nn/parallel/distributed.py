"""``DistributedDataParallel``: one replica of the model per rank, each fed its own shard
of the batch, kept identical by starting from rank 0's state and averaging the gradients.

After ``loss.backward()`` every rank holds the mean of the ranks' gradients, so the
optimizer takes the same step everywhere; anything computed from the gradients alone
(``clip_grad_norm_``'s total norm, a gradient monitor) is then identical on every rank
with no communication of its own. The averaging is the ``Reducer``'s (``reducer.py``).
"""

import contextlib
import warnings

from minigrad.autograd import is_grad_enabled
from minigrad.distributed.collectives import broadcast_array_
from minigrad.distributed.process_group import default_world
from minigrad.nn.module import Module
from minigrad.nn.parallel.reducer import Reducer

__all__ = ["DistributedDataParallel"]

_MIB = 2 ** 20


def _broadcast_tensors(tensors, what):
    """Rank 0's values of ``tensors`` into every rank's, in one broadcast per dtype (the
    tensors of a dtype flattened together); the ranks must agree on every shape first."""
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t.data.dtype, []).append(t)
    for dtype, group in by_dtype.items():
        xp = group[0]._backend.xp
        flat = xp.concatenate([t.data.reshape(-1) for t in group])
        shapes = ", ".join(str(tuple(t.shape)) for t in group)
        broadcast_array_("DistributedDataParallel", flat, 0,
                         f"{what}: {len(group)} {dtype} tensors of {flat.size} values", shapes)
        start = 0
        for t in group:
            t.data[...] = flat[start:start + t.data.size].reshape(t.data.shape)
            t._version += 1
            start += t.data.size


class DistributedDataParallel(Module):
    """Data parallelism over the default process group, as
    ``torch.nn.parallel.DistributedDataParallel``: wrap the same model on every rank.

    Construction broadcasts rank 0's parameters and buffers (``init_sync``), after checking
    that every rank's model has the same parameter shapes. Each forward runs ``module``
    (kept as ``.module``; the state dict's keys start with ``module.``) and, with
    ``forward_sync_buffers`` (by default), first broadcasts rank 0's buffers, so plain
    BatchNorm's running statistics follow rank 0's. Each backward then averages the
    gradients over the ranks in buckets of ``bucket_cap_mb`` MiB (1 by default, where
    PyTorch's are 25 after a first of 1: CPU models are small), each bucket's allreduce
    starting as soon as its gradients are complete.

    ``no_sync()`` skips the averaging for the forwards and backwards inside it (gradient
    accumulation); the first backward after it averages the accumulated gradients. A
    parameter that gets no gradient stalls the averaging, and the next forward raises
    naming it, unless ``find_unused_parameters=True``, which finds such parameters after
    every forward by walking the graph (at a cost).
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 forward_sync_buffers=None):
        super().__init__()
        world = default_world("DistributedDataParallel", process_group)
        # NOTE: device_ids, output_device and dim spread a module's inputs over GPUs
        if device_ids is not None or output_device is not None:
            raise ValueError(f"DistributedDataParallel: device_ids and output_device place a "
                             f"GPU module; leave them None for CPU modules (got device_ids "
                             f"{device_ids}, output_device {output_device})")
        if gradient_as_bucket_view or static_graph:
            raise NotImplementedError("DistributedDataParallel: gradient_as_bucket_view and "
                                      "static_graph are not supported; leave them False")
        if check_reduction:
            warnings.warn("The `check_reduction` argument in `DistributedDataParallel` module "
                          "is deprecated. Please avoid using it.", FutureWarning, stacklevel=2)
        if broadcast_buffers is not None:
            warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` "
                          "instead.", FutureWarning, stacklevel=2)
        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        self.module = module
        self.find_unused_parameters = find_unused_parameters
        # NOTE: PyTorch's rule: only the deprecated broadcast_buffers=False keeps rank-local
        # buffers at construction; forward_sync_buffers=False still syncs them there
        init_buffers = forward_sync_buffers is not None or broadcast_buffers is not False
        if forward_sync_buffers is None:
            forward_sync_buffers = broadcast_buffers is not False
        self.forward_sync_buffers = forward_sync_buffers
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        if init_sync:
            initial = list(module.parameters()) + (self._buffers_to_sync() if init_buffers
                                                   else [])
            _broadcast_tensors(initial, "the initial parameters and buffers")
        cap = (1.0 if bucket_cap_mb is None else bucket_cap_mb) * _MIB
        self.reducer = Reducer(world, [p for _, p in named], [n for n, _ in named], cap,
                               find_unused_parameters)

    def _buffers_to_sync(self):
        return [b for b in self.module.buffers() if b is not None]

    def forward(self, *inputs, **kwargs):
        syncing = is_grad_enabled() and self.require_backward_grad_sync
        if syncing:
            self.reducer.prepare()
        elif is_grad_enabled():
            self.reducer.check_finished()
        buffers = self._buffers_to_sync()
        if self.require_forward_param_sync and self.forward_sync_buffers and buffers:
            _broadcast_tensors(buffers, "the buffers")
        output = self.module(*inputs, **kwargs)
        self.require_forward_param_sync = syncing
        if syncing and self.find_unused_parameters:
            self.reducer.mark_unused(output)
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Leave the gradients of the forwards and backwards inside unaveraged (each rank
        accumulates its own); the first synchronized backward after averages the sums."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
