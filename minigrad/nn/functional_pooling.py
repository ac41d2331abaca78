"""The functional forms of pooling and resizing: ``F.max_pool2d``, ``F.avg_pool2d``,
``F.adaptive_avg_pool2d``, ``F.interpolate`` and the rest."""

__all__ = []
