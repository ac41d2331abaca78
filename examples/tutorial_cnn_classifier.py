"""A small convolutional classifier, laid out like PyTorch's CIFAR-10 tutorial, on synthetic
pictures: each 3x16x16 image is noise with one of four 6x6 shapes drawn somewhere on it, and
its class is the shape. Two convolution + max-pool stages and three linear layers learn the
shapes wherever they sit, with cross entropy and SGD with momentum; the running loss is
printed as training goes, then the accuracy on held-out images, overall and per class."""

import minigrad as torch
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.optim as optim

SHAPES = {
    "bar": ["......",
            "......",
            "######",
            "######",
            "......",
            "......"],
    "column": ["..##..",
               "..##..",
               "..##..",
               "..##..",
               "..##..",
               "..##.."],
    "frame": ["######",
              "#....#",
              "#....#",
              "#....#",
              "#....#",
              "######"],
    "diagonal": ["##....",
                 ".##...",
                 "..##..",
                 "...##.",
                 "....##",
                 ".....#"],
}
CLASSES = tuple(SHAPES)
STENCILS = torch.tensor([[[float(c == "#") for c in row] for row in rows]
                         for rows in SHAPES.values()])  # (classes, 6, 6)
SIZE, SHAPE_SIZE = 16, 6
BATCH_SIZE = 20
EPOCHS = 6


def make_images(n):
    """n images and their labels: image i shows class i % 4's shape (pixels of 3) at a
    corner that moves with i, under noise of standard deviation 1."""
    canvases = []
    for i in range(n):
        top, left = (3 * i) % (SIZE - SHAPE_SIZE + 1), (7 * i) % (SIZE - SHAPE_SIZE + 1)
        bottom, right = SIZE - SHAPE_SIZE - top, SIZE - SHAPE_SIZE - left
        canvases.append(F.pad(STENCILS[i % len(CLASSES)], (left, right, top, bottom)))
    labels = torch.tensor([i % len(CLASSES) for i in range(n)])
    # the shape in every colour channel, under fresh noise
    images = 3.0 * torch.stack(canvases).unsqueeze(1) + torch.randn(n, 3, SIZE, SIZE)
    return images, labels


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3)  # 16x16 -> 14x14, pooled to 7x7
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 3)  # 7x7 -> 5x5, pooled to 2x2
        self.fc1 = nn.Linear(16 * 2 * 2, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, len(CLASSES))

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # every dimension but the batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


torch.manual_seed(0)
train_images, train_labels = make_images(400)
test_images, test_labels = make_images(200)

net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.02, momentum=0.9)

for epoch in range(EPOCHS):
    running_loss = 0.0
    for i, start in enumerate(range(0, len(train_labels), BATCH_SIZE)):
        inputs = train_images[start:start + BATCH_SIZE]
        labels = train_labels[start:start + BATCH_SIZE]
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 5 == 4:  # every 5 mini-batches
            print(f"[{epoch + 1}, {i + 1:2d}] loss: {running_loss / 5:.6f}")
            running_loss = 0.0

with torch.no_grad():
    predicted = net(test_images).argmax(dim=1)
correct = (predicted == test_labels).sum().item()
print(f"accuracy on the {len(test_labels)} test images: {100 * correct / len(test_labels):.1f} %")
for index, name in enumerate(CLASSES):
    mine = test_labels == index
    hits = (predicted[mine] == index).sum().item()
    print(f"accuracy for class {name:8s}: {100 * hits / mine.sum().item():.1f} %")
