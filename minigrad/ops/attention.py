"""Scaled dot-product attention as one Function: softmax(q k^T * scale + mask) v, with its
backward written out."""

__all__ = []
