"""The functional forms of attention: ``F.scaled_dot_product_attention`` and
``F.multi_head_attention_forward``."""

__all__ = []
