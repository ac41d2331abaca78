"""Registry entries of convolution (``minigrad/ops/convolution.py``)."""

OPS = []

MODULES = []
