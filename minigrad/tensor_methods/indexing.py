"""Gather, scatter, masks and sorting: ``gather``, ``masked_fill``, ``sort``, ``topk``..."""


class IndexingMethods:
    """The methods of this area; a mixin with no state."""

    __slots__ = ()
