"""Watch training from the inside: each epoch prints every parameter's gradient norm
before and after clipping, and the learning rate StepLR leaves for the next epoch."""

import minigrad as torch
import minigrad.nn as nn
import minigrad.optim as optim

EPOCHS = 6

torch.manual_seed(0)
inputs = torch.randn(32, 10)
true_weights = torch.randn(10, 2)
targets = inputs @ true_weights  # a linear rule the net can learn
model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

for epoch in range(EPOCHS):
    optimizer.zero_grad()
    loss = criterion(model(inputs), targets)
    loss.backward()
    for name, p in model.named_parameters():
        print(f"epoch {epoch} before clipping {name}: {p.grad.norm().item():.6f}")
    total_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    for name, p in model.named_parameters():
        print(f"epoch {epoch} after clipping {name}: {p.grad.norm().item():.6f}")
    optimizer.step()
    scheduler.step()
    print(f"epoch {epoch} loss {loss.item():.6f} total norm {total_norm.item():.6f} "
          f"next lr {scheduler.get_last_lr()[0]:.6f}")
