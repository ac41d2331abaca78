"""Registry entries of products (``minigrad/ops/products.py``)."""

OPS = []

MODULES = []
