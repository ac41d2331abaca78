"""Reading and writing by index: gather, scatter, scatter_add, index_select, masked_fill,
masked_select, take_along_dim."""

__all__ = []
