"""Fused pointwise arithmetic of two or three tensors: lerp, addcmul, addcdiv, and nan_to_num."""

__all__ = []
