"""The functional forms of the convolutions: ``F.conv1d``, ``F.conv2d``, ``F.conv_transpose2d``,
``F.unfold``, ``F.fold``."""

__all__ = []
