"""Resizing images: nearest and bilinear interpolation."""

__all__ = []
