"""Fit sin(x) with y = a + b P3(c + d x), where P3(t) = (5 t^3 - 3 t) / 2 is the Legendre
polynomial of degree 3, written as a custom autograd Function with its own backward."""

import math

import minigrad as torch

STEPS = 1000
LEARNING_RATE = 5e-6


class LegendrePolynomial3(torch.autograd.Function):
    """P3(t) = (5 t^3 - 3 t) / 2;  dP3/dt = 3 (5 t^2 - 1) / 2."""

    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return 0.5 * (5 * t ** 3 - 3 * t)

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * t ** 2 - 1)


dtype = torch.float32
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

# NOTE: the fit only converges from near the solution, so the start is fixed, not random
a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)

P3 = LegendrePolynomial3.apply
for step in range(STEPS):
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if step % 100 == 99:
        print(f"step {step + 1} loss {loss.item():.6f}")
    loss.backward()
    with torch.no_grad():
        for coefficient in (a, b, c, d):
            coefficient -= LEARNING_RATE * coefficient.grad
            coefficient.grad = None

print(f"result: y = {a.item():.6f} + {b.item():.6f} * P3({c.item():.6f} + {d.item():.6f} x)")
