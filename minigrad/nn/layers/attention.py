"""Multi-head attention: ``MultiheadAttention``."""

__all__ = []
