"""Registry entries of sorting (``minigrad/ops/sorting.py``)."""

OPS = []

MODULES = []
