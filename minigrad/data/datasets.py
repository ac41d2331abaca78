"""The bundled data sets: scikit-learn's digits, and synthetic spirals for notebooks.

This module works on the host with NumPy (data arrive as NumPy arrays before they become
tensors), which is why it may import NumPy directly.
"""

from collections import namedtuple

import numpy as np

from minigrad.tensor import Tensor

Split = namedtuple("Split", ["x_train", "y_train", "x_test", "y_test"])


def load_digits(test_fraction=0.2, seed=0, dtype="float32"):
    """scikit-learn's bundled 8x8 digits (1,797 images, 10 classes), pixels scaled to [0, 1].

    Returns ``Split(x_train, y_train, x_test, y_test)``: inputs (N, 64) float32 tensors,
    labels int64; the split is a fixed shuffle by ``seed``, the same on every machine.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as err:
        raise ImportError("load_digits needs scikit-learn; install the demo extra: "
                          "pip install 'minigrad[demo]'") from err
    images, labels = sklearn_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(labels))
    images = (images[order] / 16.0).astype(dtype)
    labels = labels[order].astype(np.int64)
    cut = len(labels) - int(round(test_fraction * len(labels)))
    return Split(Tensor(images[:cut]), Tensor(labels[:cut]), Tensor(images[cut:]),
                 Tensor(labels[cut:]))


def make_spirals(n_per_class=100, classes=3, noise=0.2, seed=0, dtype="float32"):
    """Interleaved 2-D spirals, one arm per class: a small set a linear model cannot fit.

    Returns ``(x, y)``: x (n_per_class * classes, 2) float32, y int64 class labels.
    """
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), classes)
    arm = np.repeat(np.arange(classes), n_per_class)
    angle = (arm * 2 * np.pi / classes + radius * 4.0
             + rng.normal(scale=noise, size=radius.shape))
    points = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return Tensor(points.astype(dtype)), Tensor(arm.astype(np.int64))
