"""A small classifier: three Gaussian blobs in the plane, served in mini-batches by a
DataLoader over a TensorDataset, a two-layer net trained with cross-entropy on whichever
device is available, and the accuracy on held-out points."""

import minigrad as torch
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.utils.data import DataLoader, TensorDataset

EPOCHS = 8
CENTERS = torch.tensor([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])


def make_blobs(n):
    labels = torch.tensor([i % len(CENTERS) for i in range(n)])
    points = CENTERS[labels] + 0.8 * torch.randn(n, 2)
    return points, labels


device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)
train_loader = DataLoader(TensorDataset(*make_blobs(300)), batch_size=25, shuffle=False)
test_points, test_labels = make_blobs(150)

model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

for epoch in range(EPOCHS):
    total = 0.0
    for points, labels in train_loader:
        points, labels = points.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(points), labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch} loss {total / len(train_loader):.6f}")

with torch.no_grad():
    logits = model(test_points.to(device))
    loss = criterion(logits, test_labels.to(device))
    correct = (logits.argmax(dim=1) == test_labels.to(device)).sum().item()
print(f"test loss {loss.item():.6f} accuracy {100.0 * correct / len(test_labels):.2f}%")
