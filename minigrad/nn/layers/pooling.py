"""Pooling and resizing layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, the adaptive pools,
``Upsample``."""

__all__ = []
