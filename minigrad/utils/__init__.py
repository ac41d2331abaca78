"""Utilities that several packages share, as ``torch.utils``: hook handles (``hooks``) and
gradient clearing (``grads``), used by both ``nn`` and ``optim``, which never import
each other."""
