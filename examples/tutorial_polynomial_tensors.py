"""Fit y = a + b x + c x^2 + d x^3 to sin(x) on [-pi, pi] with bare tensors: autograd
computes the gradients, and the update is written by hand under no_grad."""

import math

import minigrad as torch

STEPS = 1000
LEARNING_RATE = 1e-6

dtype = torch.float32
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

torch.manual_seed(0)
a = torch.randn((), dtype=dtype, requires_grad=True)
b = torch.randn((), dtype=dtype, requires_grad=True)
c = torch.randn((), dtype=dtype, requires_grad=True)
d = torch.randn((), dtype=dtype, requires_grad=True)

for step in range(STEPS):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if step % 100 == 99:
        print(f"step {step + 1} loss {loss.item():.6f}")
    loss.backward()
    # NOTE: the update itself must not be recorded in the graph, hence no_grad
    with torch.no_grad():
        for coefficient in (a, b, c, d):
            coefficient -= LEARNING_RATE * coefficient.grad
            coefficient.grad = None

print(f"result: y = {a.item():.6f} + {b.item():.6f} x + {c.item():.6f} x^2 "
      f"+ {d.item():.6f} x^3")
