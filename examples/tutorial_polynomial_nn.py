"""Fit the cubic to sin(x) with the nn package: the powers x, x^2, x^3 are the features of
a Linear layer, Flatten turns its (N, 1) output into (N,), and RMSprop does the update."""

import math

import minigrad as torch
import minigrad.nn as nn
import minigrad.optim as optim

STEPS = 1000

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
powers = torch.tensor([1, 2, 3])
features = x.unsqueeze(-1).pow(powers)  # (2000, 3): column k holds x^(k+1)

model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
loss_fn = nn.MSELoss(reduction="sum")
optimizer = optim.RMSprop(model.parameters(), lr=1e-3)

for step in range(STEPS):
    loss = loss_fn(model(features), y)
    if step % 100 == 99:
        print(f"step {step + 1} loss {loss.item():.6f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

linear = model[0]
print(f"result: y = {linear.bias.item():.6f} + {linear.weight[:, 0].item():.6f} x "
      f"+ {linear.weight[:, 1].item():.6f} x^2 + {linear.weight[:, 2].item():.6f} x^3")
