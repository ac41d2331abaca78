"""Normalization over groups of channels and by root mean square: group_norm, rms_norm."""

__all__ = []
