"""A small grid search: train the same net with each gradient-clipping threshold under two
learning-rate schedules and print the final loss of every combination."""

import copy

import minigrad as torch
import minigrad.nn as nn
import minigrad.optim as optim

EPOCHS = 15
MAX_NORMS = (0.1, 1.0, 10.0)
SCHEDULERS = {
    "StepLR": lambda opt: optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5),
    "ExponentialLR": lambda opt: optim.lr_scheduler.ExponentialLR(opt, gamma=0.9),
}

torch.manual_seed(0)
inputs = torch.randn(64, 10)
true_weights = torch.randn(10, 2)
targets = inputs @ true_weights  # a linear rule the net can learn
model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
initial_state = copy.deepcopy(model.state_dict())
criterion = nn.MSELoss()

for max_norm in MAX_NORMS:
    for name, make_scheduler in SCHEDULERS.items():
        model.load_state_dict(initial_state)
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        scheduler = make_scheduler(optimizer)
        for _ in range(EPOCHS):
            optimizer.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=max_norm)
            optimizer.step()
            scheduler.step()
        print(f"max_norm {max_norm} {name} final loss {loss.item():.6f}")
