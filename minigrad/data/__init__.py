"""Data on the host: the bundled data sets and checkpoint files (minigrad's, PyTorch's and
``.safetensors``), with ``DataLoader`` and ``TensorDataset`` from ``minigrad.utils.data``
(PyTorch's ``torch.utils.data``). The one package besides the backends that works with NumPy
directly: it is where data enters and leaves minigrad."""

from minigrad.data.datasets import Split, load_digits, make_spirals
from minigrad.data.serialization import load, save
from minigrad.utils.data import DataLoader, TensorDataset

__all__ = ["DataLoader", "Split", "TensorDataset", "load", "load_digits", "make_spirals", "save"]
