"""The functional forms of embedding, bilinear, group and RMS normalization, and the vector
helpers ``pad``, ``normalize``, ``one_hot`` and ``cosine_similarity``."""

__all__ = []
