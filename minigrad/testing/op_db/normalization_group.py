"""Registry entries of normalization_group (``minigrad/ops/normalization_group.py``)."""

OPS = []

MODULES = []
