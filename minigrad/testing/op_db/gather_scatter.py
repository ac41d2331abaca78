"""Registry entries of gather_scatter (``minigrad/ops/gather_scatter.py``)."""

OPS = []

MODULES = []
