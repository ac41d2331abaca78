"""Registry entries of embedding (``minigrad/ops/embedding.py``)."""

OPS = []

MODULES = []
