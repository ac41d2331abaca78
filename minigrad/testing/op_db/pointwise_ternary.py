"""Registry entries of pointwise_ternary (``minigrad/ops/pointwise_ternary.py``)."""

OPS = []

MODULES = []
