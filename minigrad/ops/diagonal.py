"""Triangles and diagonals: tril, triu, diag, diagonal, trace."""

__all__ = []
