"""Pooling over windows: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool2d,
adaptive_max_pool2d."""

__all__ = []
