"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose2d``."""

__all__ = []
