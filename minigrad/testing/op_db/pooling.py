"""Registry entries of pooling (``minigrad/ops/pooling.py``)."""

OPS = []

MODULES = []
