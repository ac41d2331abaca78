"""Registry entries of attention (``minigrad/ops/attention.py``) and its layers."""

OPS = []

MODULES = []
