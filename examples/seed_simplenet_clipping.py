"""Train a small two-layer net twice: once clipping the gradient's total norm, once
clipping each gradient element, and print the loss of every epoch."""

import minigrad as torch
import minigrad.nn as nn
import minigrad.optim as optim

EPOCHS = 10
BATCH_SIZE = 16


class SimpleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(5, 2)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def train(clip, label):
    torch.manual_seed(0)
    inputs = torch.randn(64, 10)
    true_weights = torch.randn(10, 2)
    targets = inputs @ true_weights  # a linear rule the net can learn
    model = SimpleNet()
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for epoch in range(EPOCHS):
        total = 0.0
        for start in range(0, len(inputs), BATCH_SIZE):
            batch = slice(start, start + BATCH_SIZE)
            optimizer.zero_grad()
            loss = criterion(model(inputs[batch]), targets[batch])
            loss.backward()
            clip(model.parameters())
            optimizer.step()
            total += loss.item()
        print(f"{label} epoch {epoch} loss {total / (len(inputs) // BATCH_SIZE):.6f}")


train(lambda params: nn.utils.clip_grad_norm_(params, max_norm=1.0), "clip_grad_norm_")
train(lambda params: nn.utils.clip_grad_value_(params, clip_value=0.5), "clip_grad_value_")
