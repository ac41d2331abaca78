"""Registry entries of diagonal (``minigrad/ops/diagonal.py``)."""

OPS = []

MODULES = []
