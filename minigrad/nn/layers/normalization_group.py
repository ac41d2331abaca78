"""Normalization over groups of channels and by root mean square: ``GroupNorm``, ``RMSNorm``."""

__all__ = []
