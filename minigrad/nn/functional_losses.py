"""The functional forms of the losses added for PyTorch parity (``F.huber_loss``...): each checks
its arguments, then calls the op in ``minigrad.ops.loss``."""

__all__ = []
