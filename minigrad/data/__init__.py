"""Data on the host: datasets, the DataLoader, and checkpoint files. The one package besides
the backends that works with NumPy directly: it is where data enters and leaves minigrad."""

from minigrad.data.checkpoint import load, save
from minigrad.data.datasets import Split, TensorDataset, load_digits, make_spirals
from minigrad.data.loader import DataLoader

__all__ = ["DataLoader", "Split", "TensorDataset", "load", "load_digits", "make_spirals", "save"]
