"""The gradient averaging behind ``DistributedDataParallel``: parameters grouped into
buckets of about ``cap_bytes``, one flattened buffer and one allreduce per bucket.

Each parameter's post-accumulate-grad hook copies its finished gradient into its bucket's
buffer; when a bucket has every gradient, its (non-blocking) allreduce starts while backward
goes on with earlier layers. Buckets are filled from the last parameter to the first, the
order backward produces gradients in, and started strictly in bucket order, so every rank
issues the same collectives in the same order whatever order its hooks fire in. The last
bucket's start finishes the iteration: every allreduce is waited for and each gradient
becomes the mean over the ranks, written back into ``.grad`` in place.

With ``find_unused_parameters`` the parameters a forward's outputs do not reach are found
by walking the graph and marked ready at once (with zeros), and each bucket carries one
flag per parameter that says whether some rank used it: a parameter no rank used keeps its
``.grad`` as it was, as in PyTorch.
"""

import functools
import weakref

from minigrad.distributed.collectives import start_sum_
from minigrad.tensor import Tensor

_OP = "DistributedDataParallel"


class Bucket:
    """The parameters (by index) whose gradients travel together, where each one's values
    start in the flat ``buffer``, and, per iteration, how many are still missing."""

    def __init__(self, indices, params, xp, flags):
        self.indices = indices
        self.offsets, size = [], 0
        for p in params:
            self.offsets.append(size)
            size += p.data.size
        self.size = size
        # NOTE: with find_unused_parameters one "used" flag per parameter follows the values
        self.buffer = xp.zeros(size + (len(indices) if flags else 0), dtype=params[0].data.dtype)
        self.missing = len(indices)


def _hook(reducer_ref, index, param):
    """A parameter's post-accumulate-grad hook; it holds the reducer weakly, so the hooks
    of a discarded ``DistributedDataParallel`` do nothing."""
    reducer = reducer_ref()
    if reducer is not None:
        reducer.mark_ready(index, used=True)


def _remove(handles):
    for handle in handles:
        handle.remove()


def reachable_leaves(output):
    """The ids of the leaf tensors that the tensors in ``output`` (nested in tuples, lists
    and dicts) were computed from, through the graph that backward will walk."""
    stack, leaves, seen = [output], set(), set()
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            if item._ctx is None:
                leaves.add(id(item))
            elif id(item._ctx) not in seen:
                seen.add(id(item._ctx))
                stack.extend(t for t in item._ctx.inputs if t is not None)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return leaves


class Reducer:
    """Averages the gradients of ``params`` (named ``names``) over ``world``'s ranks."""

    def __init__(self, world, params, names, cap_bytes, find_unused):
        self.world, self.params, self.names = world, params, names
        self.find_unused = find_unused
        self.buckets, self.slot = [], {}  # slot: parameter index -> (bucket, position)
        current = []
        for index in reversed(range(len(params))):
            p = params[index]
            if current and (p.dtype != params[current[0]].dtype
                            or self._nbytes(current + [index]) > cap_bytes):
                self._add_bucket(current)
                current = []
            current.append(index)
        if current:
            self._add_bucket(current)
        self.expecting = False  # whether this backward's gradients are to be averaged
        self.ready = [False] * len(params)
        self.next_bucket, self.works = 0, []
        me = weakref.ref(self)
        handles = [p.register_post_accumulate_grad_hook(functools.partial(_hook, me, i))
                   for i, p in enumerate(params)]
        weakref.finalize(self, _remove, handles)  # NOTE: a discarded reducer's hooks go too

    def _nbytes(self, indices):
        return sum(self.params[i].data.nbytes for i in indices)

    def _add_bucket(self, indices):
        members = [self.params[i] for i in indices]
        bucket = Bucket(indices, members, members[0]._backend.xp, self.find_unused)
        for position, index in enumerate(indices):
            self.slot[index] = (bucket, position)
        self.buckets.append(bucket)

    def check_finished(self):
        """Refuse a new iteration while the last one's averaging waits for gradients that
        never came: the parameters that got none are named."""
        if not self.expecting or not any(self.ready):
            return
        missing = [i for i, done in enumerate(self.ready) if not done]
        names = ", ".join(self.names[i] for i in missing)
        raise RuntimeError(
            f"{_OP}: expected the gradients of the previous iteration to be averaged before a "
            f"new forward, but on rank {self.world.rank} these parameters got no gradient in "
            f"backward: {names} (indices {', '.join(map(str, missing))}). Pass "
            "find_unused_parameters=True to have them found after each forward, or make every "
            "parameter take part in the loss (an output left out of the loss counts as unused)")

    def prepare(self):
        """Start an iteration whose backward is to be averaged."""
        self.check_finished()
        self.expecting = True
        self.ready = [False] * len(self.params)
        self.next_bucket, self.works = 0, []
        for bucket in self.buckets:
            bucket.missing = len(bucket.indices)

    def mark_unused(self, output):
        """Mark the parameters the forward's ``output`` does not depend on as ready."""
        used = reachable_leaves(output)
        for index, p in enumerate(self.params):
            if id(p) not in used:
                self.mark_ready(index, used=False)

    def mark_ready(self, index, used):
        """Parameter ``index`` has its gradient for this iteration (or, not ``used``, will
        get none here): put it in its bucket, and start every bucket that is complete."""
        if not self.expecting:
            return
        if self.ready[index]:
            raise RuntimeError(f"{_OP}: parameter {self.names[index]} got its gradient twice "
                               "in one iteration (a second backward through the same forward?)"
                               "; run backward once per forward, or inside no_sync()")
        self.ready[index] = True
        bucket, position = self.slot[index]
        start = bucket.offsets[position]
        values = bucket.buffer[start:start + self.params[index].data.size]
        if used:
            values[...] = self.params[index].grad.data.reshape(-1)
        else:
            values[...] = 0
        if self.find_unused:
            bucket.buffer[bucket.size + position] = 1 if used else 0
        bucket.missing -= 1
        while self.next_bucket < len(self.buckets) and \
                self.buckets[self.next_bucket].missing == 0:
            self._start(self.buckets[self.next_bucket])
        if self.next_bucket == len(self.buckets):
            self._finish()

    def _start(self, bucket):
        what = f"gradient bucket {self.next_bucket} ({bucket.size} {bucket.buffer.dtype} values)"

        def mean():
            bucket.buffer[:bucket.size] /= self.world.size

        self.works.append(start_sum_(self.world, bucket.buffer, _OP, what, mean))
        self.next_bucket += 1

    def _finish(self):
        """Wait for every bucket and write the averaged gradients back into ``.grad``."""
        self.expecting = False
        for work in self.works:
            work.wait()
        for bucket in self.buckets:
            for position, index in enumerate(bucket.indices):
                p = self.params[index]
                if self.find_unused and bucket.buffer[bucket.size + position] == 0:
                    continue  # NOTE: no rank used it: its .grad stays as it was
                start = bucket.offsets[position]
                mean = bucket.buffer[start:start + p.data.size].reshape(p.data.shape)
                if p.grad is None:
                    p.grad = Tensor._make(mean.copy(), p._backend)
                else:
                    p.grad.data[...] = mean
