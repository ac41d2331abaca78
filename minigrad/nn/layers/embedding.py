"""Lookup tables: ``Embedding``."""

__all__ = []
