"""Gather, scatter, masks and sorting: ``gather``, ``masked_fill``, ``sort``, ``topk``...
Each forwards to ``minigrad.ops`` (``ops/gather_scatter.py`` and ``ops/sorting.py``)."""

import minigrad


class IndexingMethods:
    """The methods of this area; a mixin with no state."""

    __slots__ = ()

    def gather(self, dim, index):
        return minigrad.ops.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return minigrad.ops.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return minigrad.ops.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return minigrad.ops.index_select(self, dim, index)

    def masked_fill(self, mask, value):
        return minigrad.ops.masked_fill(self, mask, value)

    def masked_select(self, mask):
        return minigrad.ops.masked_select(self, mask)

    def take_along_dim(self, indices, dim=None):
        return minigrad.ops.take_along_dim(self, indices, dim)

    def sort(self, dim=-1, descending=False, *, stable=False):
        return minigrad.ops.sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        return minigrad.ops.argsort(self, dim, descending, stable=stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return minigrad.ops.topk(self, k, dim, largest, sorted)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return minigrad.ops.unique(self, sorted, return_inverse, return_counts, dim)

    def nonzero(self, *, as_tuple=False):
        return minigrad.ops.nonzero(self, as_tuple=as_tuple)

    def bincount(self, weights=None, minlength=0):
        return minigrad.ops.bincount(self, weights, minlength)
