"""Order and search: sort, argsort, topk, unique, nonzero, bincount, where(cond)."""

__all__ = []
