"""A LeNet with BatchNorm2d learns scikit-learn's 8x8 digits on the NumPy backend: the
convolutions, pooling and batch norm train together end to end, and the running statistics
serve evaluation. The variant is sized for 8x8 images: LeNet-5's layers with 3x3
convolutions padded to keep each map's size, so the two 2x2 pools leave 16 maps of 2x2.
Asserted: the held-out accuracy, never the time (about 2 s on 2 cores)."""

import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.optim.lr_scheduler import CosineAnnealingLR
from minigrad.utils.data import DataLoader, TensorDataset

pytest.importorskip("sklearn", reason="load_digits needs pip install 'minigrad[demo]'")

EPOCHS = 10
# NOTE: seeds 0-9 scored 97.5-99.2% here (mean 98.4%; the test runs seed 0, 98.6%) on
# the 359 test images, as the same recipe does in PyTorch: the bound leaves room for a
# seed's luck, yet convolutions that do not learn (weights frozen at init) reach only 94.4%
REQUIRED_ACCURACY = 0.97


def lenet_8x8():
    return nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 2 * 2, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def as_images(rows):
    """(N, 64) pixel rows as (N, 1, 8, 8) one-channel images."""
    return rows.reshape(-1, 1, 8, 8)


def test_lenet_with_batch_norm_learns_the_digits():
    digits = mg.data.load_digits()
    loader = DataLoader(TensorDataset(as_images(digits.x_train), digits.y_train),
                        batch_size=32, shuffle=True)
    model = lenet_8x8()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = CosineAnnealingLR(optimizer, EPOCHS)
    epoch_losses = []
    for _ in range(EPOCHS):
        model.train()
        total = 0.0
        for images, labels in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
        scheduler.step()
        epoch_losses.append(total / len(digits.y_train))

    model.eval()
    with mg.no_grad():
        predicted = model(as_images(digits.x_test)).argmax(dim=1)
    accuracy = (predicted == digits.y_test).float().mean().item()
    assert epoch_losses[-1] < 0.1 * epoch_losses[0], epoch_losses
    assert accuracy >= REQUIRED_ACCURACY, f"test accuracy {accuracy:.4f}, losses {epoch_losses}"
