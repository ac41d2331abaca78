"""Dynamic graphs: each forward pass applies the hidden layer between zero and three times,
chosen at random, so the graph autograd differentiates changes from step to step while
the same weights are shared by every repetition."""

import random

import minigrad as torch
import minigrad.nn as nn
import minigrad.optim as optim

STEPS = 200
N, D_IN, HIDDEN, D_OUT = 64, 100, 50, 10


class DynamicNet(nn.Module):
    def __init__(self, d_in, hidden, d_out):
        super().__init__()
        self.input_linear = nn.Linear(d_in, hidden)
        self.middle_linear = nn.Linear(hidden, hidden)
        self.output_linear = nn.Linear(hidden, d_out)

    def forward(self, x):
        h = self.input_linear(x).clamp(min=0)
        for _ in range(random.randint(0, 3)):
            h = self.middle_linear(h).clamp(min=0)
        return self.output_linear(h)


random.seed(0)
torch.manual_seed(0)
x = torch.randn(N, D_IN)
y = torch.randn(N, D_OUT)

model = DynamicNet(D_IN, HIDDEN, D_OUT)
criterion = nn.MSELoss(reduction="sum")
optimizer = optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)

for step in range(STEPS):
    loss = criterion(model(x), y)
    if step % 20 == 19:
        print(f"step {step + 1} loss {loss.item():.6f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
