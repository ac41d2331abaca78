"""Embedding lookups and one-hot codes: embedding, one_hot."""

__all__ = []
