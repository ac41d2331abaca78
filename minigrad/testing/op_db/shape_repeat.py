"""Registry entries of shape_repeat (``minigrad/ops/shape_repeat.py``)."""

OPS = []

MODULES = []
