"""Registry entries of shape_move (``minigrad/ops/shape_move.py``)."""

OPS = []

MODULES = []
