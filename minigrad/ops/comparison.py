"""Comparisons and logic (no gradient): eq, ne, lt, le, gt, ge, isclose, allclose, equal,
isnan, isinf, isfinite, logical_*."""

__all__ = []
