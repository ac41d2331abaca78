"""Train one model from the same starting weights under five learning-rate schedules and
print each epoch's learning rate and loss, to compare how the schedules shape training."""

import copy

import minigrad as torch
import minigrad.nn as nn
import minigrad.optim as optim

EPOCHS = 12
LR = 0.05


def make_model():
    return nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 2))


SCHEDULES = {
    "StepLR": lambda opt: optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5),
    "ExponentialLR": lambda opt: optim.lr_scheduler.ExponentialLR(opt, gamma=0.8),
    "CosineAnnealingLR": lambda opt: optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS),
    "CyclicLR": lambda opt: optim.lr_scheduler.CyclicLR(
        opt, base_lr=0.005, max_lr=LR, step_size_up=3),
    "OneCycleLR": lambda opt: optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=EPOCHS),
}

torch.manual_seed(0)
inputs = torch.randn(64, 10)
true_weights = torch.randn(10, 2)
targets = inputs @ true_weights  # a linear rule the net can learn
initial_state = copy.deepcopy(make_model().state_dict())

for name, make_scheduler in SCHEDULES.items():
    model = make_model()
    model.load_state_dict(initial_state)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    for epoch in range(EPOCHS):
        lr = optimizer.param_groups[0]["lr"]
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(inputs), targets)
        loss.backward()
        optimizer.step()
        scheduler.step()
        print(f"{name} epoch {epoch} lr {lr:.6f} loss {loss.item():.6f}")
