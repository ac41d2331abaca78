"""An MLP with batch normalization, trained on mini-batches with gradient clipping, then
switched to eval mode, where BatchNorm uses its running statistics, for a held-out loss."""

import minigrad as torch
import minigrad.nn as nn
import minigrad.optim as optim

EPOCHS = 8
BATCH_SIZE = 32

torch.manual_seed(0)
weights = torch.randn(10, 2)
train_x = torch.randn(128, 10)
train_y = train_x @ weights + 0.1 * torch.randn(128, 2)
test_x = torch.randn(64, 10)
test_y = test_x @ weights

model = nn.Sequential(
    nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(),
    nn.Linear(32, 32), nn.BatchNorm1d(32), nn.ReLU(),
    nn.Linear(32, 2),
)
criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

model.train()
for epoch in range(EPOCHS):
    total = 0.0
    for start in range(0, len(train_x), BATCH_SIZE):
        batch = slice(start, start + BATCH_SIZE)
        optimizer.zero_grad()
        loss = criterion(model(train_x[batch]), train_y[batch])
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch} train loss {total / (len(train_x) // BATCH_SIZE):.6f}")

model.eval()
with torch.no_grad():
    print(f"eval loss {criterion(model(test_x), test_y).item():.6f}")
