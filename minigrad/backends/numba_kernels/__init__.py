"""Fused CPU kernels for the Numba backend (imported only when that backend is used)."""
