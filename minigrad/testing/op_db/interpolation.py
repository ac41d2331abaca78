"""Registry entries of interpolation (``minigrad/ops/interpolation.py``)."""

OPS = []

MODULES = []
