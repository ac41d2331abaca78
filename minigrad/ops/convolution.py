"""Convolutions as im2col and one matmul: conv1d, conv2d, conv_transpose2d, and unfold/fold
(im2col and col2im as public ops)."""

__all__ = []
