"""Utilities that several packages share, as ``torch.utils``: hook handles (``hooks``) and
gradient clearing (``grads``), used by both ``nn`` and ``optim``, which never import
each other; and ``data``, PyTorch's ``torch.utils.data`` (datasets, samplers, the
``DataLoader``), which ``minigrad.data`` re-exports beside the bundled data sets."""
