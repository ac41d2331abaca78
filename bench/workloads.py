"""The workloads of ``bench/run.py``, each built for every competitor that can run it.

A builder returns ``run(n)``, ``n`` iterations of the workload, ready for
``harness.measure``. minigrad and PyTorch run the same source (``lib`` is ``minigrad`` or
``torch``; their APIs agree), the hand-written NumPy network its own; all start from the same
weights and data, drawn here with NumPy from fixed seeds.

- W1: MLP 784-512-512-10, BatchNorm1d + ReLU + Dropout(0.2) after each hidden layer, batch
  128, cross entropy, SGD(lr 0.01, momentum 0.9), clip_grad_norm_(1.0), StepLR(step_size=100,
  gamma=0.9): one training step per iteration.
- W2: SimpleNet Linear(10, 5)-ReLU-Linear(5, 2), batch 32, MSE, the same SGD and clipping:
  a step so small that it times the framework.
- W3a-c: forward + backward of BatchNorm1d(1024) and LayerNorm(1024) on (256, 1024) and of
  Dropout(0.5) on (256, 4096).
- W3d, W3e: forward + backward of Conv2d(16, 16, 3, padding=1) and MaxPool2d(2) on
  (64, 16, 28, 28).
- W4: clip_grad_norm_ over 200 gradients of 10 to 100,000 elements.
- W5: W1 on the NumPy backend with every mg.diagnostics recorder attached, next to W1 bare:
  the price of watching training.
- W6: LeNet-5 with BatchNorm2d on 28x28 images, batch 64, cross entropy, SGD(lr 0.01,
  momentum 0.9), clip_grad_norm_(1.0): one training step per iteration.
- W8: a GPT of 2 Pre-LN layers, d_model 64, 4 heads, context 32, batch 32, vocabulary 16,
  AdamW and clip_grad_norm_(1.0): one training step (``transformer.py``); W8a: the causal
  attention op alone, forward + backward on (32, 4, 128, 16).
"""

import contextlib
import gc
import math
import sys
from dataclasses import dataclass

import handwritten
import harness
import numpy as np
import transformer

import minigrad as mg

MLP = (("linear", 784, 512), ("batch_norm", 512), ("relu",), ("dropout", 0.2),
       ("linear", 512, 512), ("batch_norm", 512), ("relu",), ("dropout", 0.2),
       ("linear", 512, 10))
SIMPLE_NET = (("linear", 10, 5), ("relu",), ("linear", 5, 2))
# conv: (in channels, out channels, kernel); 28 -> 24 -> 12 -> 8 -> 4 pixels a side
LENET = (("conv", 1, 6, 5), ("batch_norm2d", 6), ("relu",), ("max_pool", 2),
         ("conv", 6, 16, 5), ("batch_norm2d", 16), ("relu",), ("max_pool", 2), ("flatten",),
         ("linear", 16 * 4 * 4, 120), ("relu",), ("linear", 120, 84), ("relu",),
         ("linear", 84, 10))
# the nn class of each layer kind, looked up by name when a model is built
LAYER_CLASSES = {"linear": "Linear", "batch_norm": "BatchNorm1d", "batch_norm2d": "BatchNorm2d",
                 "relu": "ReLU", "dropout": "Dropout", "conv": "Conv2d", "max_pool": "MaxPool2d",
                 "flatten": "Flatten"}


@dataclass(frozen=True)
class Training:
    """A network and how one training step treats it."""

    layers: tuple
    batch: int
    loss: str  # "cross_entropy" (integer labels) or "mse" (float targets)
    lr: float = 0.01
    momentum: float = 0.9
    max_norm: float = 1.0
    step_size: int = None  # StepLR's, or None for a constant learning rate
    # NOTE: not PyTorch's default 0.1, under which the lr falls below float32's normal range
    # (1e-38) after ~3,500 steps; the updates then work on subnormals, 10-100x slower on
    # x86, and the benchmark would time that. 0.9 keeps it above 1e-7 for 10,000 steps.
    gamma: float = 0.9
    dtype: str = "float32"  # a dtype name both libraries (and NumPy) know
    sample_shape: tuple = None  # one input's shape; None: (the first Linear's in_features,)


W1 = Training(MLP, batch=128, loss="cross_entropy", step_size=100)
W2 = Training(SIMPLE_NET, batch=32, loss="mse")
W6 = Training(LENET, batch=64, loss="cross_entropy", sample_shape=(1, 28, 28))
W8 = transformer.GPTConfig()
ATTENTION_SHAPE = (32, 4, 128, 16)  # W8a's (B, heads, T, d)


def initial_state(layers, dtype="float32", seed=0):
    """PyTorch-named parameters as PyTorch initializes them: Linear and Conv2d weight and
    bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_features or in_channels * k * k;
    BatchNorm weight 1 and bias 0."""
    rng = np.random.default_rng(seed)
    state = {}
    for index, (kind, *args) in enumerate(layers):
        if kind in ("linear", "conv"):
            n_in, n_out = args[:2]
            shape = (n_out, n_in) if kind == "linear" else (n_out, n_in, args[2], args[2])
            bound = 1 / math.sqrt(math.prod(shape[1:]))
            state[f"{index}.weight"] = rng.uniform(-bound, bound, shape)
            state[f"{index}.bias"] = rng.uniform(-bound, bound, n_out)
        elif kind in ("batch_norm", "batch_norm2d"):
            state[f"{index}.weight"] = np.ones(args[0])
            state[f"{index}.bias"] = np.zeros(args[0])
    return {name: array.astype(dtype) for name, array in state.items()}


def batch(training, seed=1):
    """A fixed input batch and its targets (labels, or float targets for MSE)."""
    rng = np.random.default_rng(seed)
    first, last = training.layers[0], training.layers[-1]
    sample = training.sample_shape or (first[1],)
    x = rng.standard_normal((training.batch, *sample)).astype(training.dtype)
    if training.loss == "cross_entropy":
        return x, rng.integers(0, last[2], training.batch)
    return x, rng.standard_normal((training.batch, last[2])).astype(training.dtype)


@contextlib.contextmanager
def built_with(lib, backend):
    """Make new minigrad tensors live on ``backend`` while a workload is built (tensors keep
    their backend afterwards); nothing for torch."""
    if lib is not mg:
        yield
        return
    previous = mg.get_default_backend()
    mg.set_default_backend(backend)
    try:
        yield
    finally:
        mg.set_default_backend(previous)


# ------------------------------------------------------------------------------- training
def framework_trainer(lib, training, backend="numpy", instrument=None):
    """``(model, step)`` for minigrad or torch: ``step()`` trains once on the fixed batch;
    ``instrument(model, optimizer)``, if given, attaches recorders first."""
    nn = lib.nn
    dtype = getattr(lib, training.dtype)
    with built_with(lib, backend):
        model = nn.Sequential(*(getattr(nn, LAYER_CLASSES[kind])(*args)
                                for kind, *args in training.layers))
        state = initial_state(training.layers, training.dtype)
        model.to(dtype).load_state_dict({k: lib.tensor(v) for k, v in state.items()},
                                        strict=False)
        x, target = (lib.tensor(a, dtype=dtype if a.dtype.kind == "f" else None)
                     for a in batch(training))
    params = list(model.parameters())
    loss_fn = nn.CrossEntropyLoss() if training.loss == "cross_entropy" else nn.MSELoss()
    optimizer = lib.optim.SGD(params, lr=training.lr, momentum=training.momentum)
    scheduler = None
    if training.step_size is not None:
        scheduler = lib.optim.lr_scheduler.StepLR(optimizer, training.step_size, training.gamma)
    clip = nn.utils.clip_grad_norm_
    if instrument is not None:
        instrument(model, optimizer)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        clip(params, training.max_norm)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        return loss

    return model, step


def handwritten_trainer(training, draw_mask=None, seed=0):
    """``(network, step)`` for the hand-written NumPy network, masks from ``draw_mask``
    (by default drawn as minigrad's NumPy backend draws them, from a generator seeded
    with ``seed``)."""
    if draw_mask is None:
        rng = np.random.default_rng(seed)

        def draw_mask(shape, p, dtype):
            return handwritten.dropout_mask(rng, shape, p, dtype)

    network = handwritten.Network(training.layers,
                                  initial_state(training.layers, training.dtype), draw_mask)
    trainer = handwritten.Trainer(network, training.loss, training.lr, training.momentum,
                                  training.max_norm, training.step_size, training.gamma)
    x, target = batch(training)
    return network, lambda: trainer.step(x, target)


def attach_diagnostics(model, optimizer):
    """Every ``mg.diagnostics`` recorder on one model: what W5 prices."""
    mg.diagnostics.GradientNorms(model, optimizer)
    mg.diagnostics.ActivationStats(model)
    mg.diagnostics.LearningRates(optimizer)


def diagnostics_builders(training):
    """The NumPy backend's training step bare and with every recorder attached."""
    def trainer(instrument):
        return lambda: repeat(framework_trainer(mg, training, "numpy", instrument)[1])
    return {"minigrad numpy": trainer(None),
            "minigrad numpy + diagnostics": trainer(attach_diagnostics)}


def repeat(step):
    def run(n):
        for _ in range(n):
            step()

    return run


def training_builders(training):
    """Competitor -> builder of ``run(n)``, n training steps."""
    return competitors(lambda lib, backend: repeat(framework_trainer(lib, training, backend)[1]),
                       by_hand=lambda: repeat(handwritten_trainer(training)[1]))


# ------------------------------------------------------------------------------- layers
def layer_forward_backward(make_layer, shape):
    """Competitor -> builder of ``run(n)``: n forward + backward passes of ``make_layer(lib)``
    on a fixed input of ``shape`` with a fixed random cotangent of the output's shape, the
    input's gradient reset each time."""
    x_array = np.random.default_rng(2).standard_normal(shape, dtype=np.float32)

    def build(lib, backend):
        with built_with(lib, backend):
            layer = make_layer(lib)
            x = lib.tensor(x_array, requires_grad=True)
            out_shape = tuple(layer(x).shape)
            g = lib.tensor(np.random.default_rng(3).standard_normal(out_shape, dtype=np.float32))

        def run(n):
            for _ in range(n):
                x.grad = None
                layer(x).backward(g)

        return run

    return competitors(build)


# ------------------------------------------------------------------------------- clipping
CLIP_DECAY = 0.9999


def gradient_shapes(count=200, smallest=10, largest=100_000, seed=3):
    """``count`` shapes of log-uniform size in [smallest, largest]: 2-D (rows, 100) for the
    big ones, as weight matrices, 1-D below 1,000 elements, as biases."""
    rng = np.random.default_rng(seed)
    sizes = np.exp(rng.uniform(math.log(smallest), math.log(largest), count)).astype(int)
    return [(int(n) // 100, 100) if n >= 1000 else (int(n),) for n in sizes]


def clip_many(lib, backend):
    """``run(n)``: n calls of clip_grad_norm_ over 200 gradients.

    Every call must clip (as in training with fresh gradients, where the norm is above
    max_norm) yet the gradients must not shrink towards subnormals over thousands of calls,
    so max_norm falls by ``CLIP_DECAY`` per call: each call scales by ~0.9999 (a real
    multiply: in float32 0.9999 != 1), and 10,000 calls lose only a factor e.
    """
    rng = np.random.default_rng(4)
    with built_with(lib, backend):
        params = [lib.tensor(np.zeros(shape, np.float32), requires_grad=True)
                  for shape in gradient_shapes()]
        for p in params:
            p.grad = lib.tensor(rng.standard_normal(tuple(p.shape), dtype=np.float32))
    clip = lib.nn.utils.clip_grad_norm_
    max_norm = [float(clip(params, math.inf))]

    def run(n):
        for _ in range(n):
            max_norm[0] *= CLIP_DECAY
            clip(params, max_norm[0])

    return run


# ------------------------------------------------------------------------------- competitors
def competitors(framework, numba=True, by_hand=None):
    """Competitor name -> zero-argument builder, for those that can run here:
    ``framework(lib, backend)`` gives the minigrad (NumPy, Numba) and torch entries,
    ``by_hand()`` the hand-written one."""
    builders = {"minigrad numpy": lambda: framework(mg, "numpy")}
    if numba and "numba" in mg.available_backends():
        builders["minigrad numba"] = lambda: framework(mg, "numba")
    if by_hand is not None:
        builders["hand-written"] = by_hand
    if harness.torch is not None:
        builders["torch"] = lambda: framework(harness.torch, None)
    return builders


CONV_INPUT = (64, 16, 28, 28)  # the single-layer rows' input: a LeNet-sized feature map


@dataclass(frozen=True)
class Workload:
    id: str
    what: str
    unit: str  # what one iteration is: "step" or "call"
    builders: dict  # competitor -> () -> run(n)


def workloads():
    """Every workload, with the competitors available on this machine."""
    return [
        Workload("W1", "MLP 784-512-512-10, BN+ReLU+Dropout, batch 128, CE, SGD, clip, StepLR",
                 "step", training_builders(W1)),
        Workload("W2", "SimpleNet 10-5-2, batch 32, MSE, SGD, clip", "step",
                 training_builders(W2)),
        Workload("W3a", "BatchNorm1d(1024) fwd+bwd, (256, 1024)", "call",
                 layer_forward_backward(lambda lib: lib.nn.BatchNorm1d(1024), (256, 1024))),
        Workload("W3b", "LayerNorm(1024) fwd+bwd, (256, 1024)", "call",
                 layer_forward_backward(lambda lib: lib.nn.LayerNorm(1024), (256, 1024))),
        Workload("W3c", "Dropout(0.5) fwd+bwd, (256, 4096)", "call",
                 layer_forward_backward(lambda lib: lib.nn.Dropout(0.5), (256, 4096))),
        Workload("W3d", "Conv2d(16, 16, 3, padding=1) fwd+bwd, (64, 16, 28, 28)", "call",
                 layer_forward_backward(lambda lib: lib.nn.Conv2d(16, 16, 3, padding=1),
                                        CONV_INPUT)),
        Workload("W3e", "MaxPool2d(2) fwd+bwd, (64, 16, 28, 28)", "call",
                 layer_forward_backward(lambda lib: lib.nn.MaxPool2d(2), CONV_INPUT)),
        Workload("W4", "clip_grad_norm_ over 200 grads of 10-100k elements", "call",
                 competitors(clip_many, numba=False)),
        Workload("W5", "W1 with mg.diagnostics recording gradients, activations, lr", "step",
                 diagnostics_builders(W1)),
        Workload("W6", "LeNet-5 + BatchNorm2d, 28x28, batch 64, CE, SGD, clip", "step",
                 training_builders(W6)),
        Workload("W8", "GPT 2x Pre-LN, d 64, 4 heads, T 32, batch 32, vocab 16, AdamW, clip",
                 "step", competitors(lambda lib, backend: repeat(
                     transformer.gpt_trainer(lib, W8, built_with, backend)[1]))),
        Workload("W8a", "causal scaled_dot_product_attention fwd+bwd, (32, 4, 128, 16)",
                 "call", competitors(lambda lib, backend: transformer.attention_forward_backward(
                     lib, ATTENTION_SHAPE, built_with, backend))),
    ]


# ------------------------------------------------------------------------------- memory
def _status_mib(field):
    """A memory line of /proc/self/status (``VmRSS``, ``VmHWM``) in MiB; None off Linux."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak():
    """Set VmHWM back to the current RSS (Linux 4.0+); False where that cannot be done."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _lifetime_peak_mib():
    """The process's peak RSS from getrusage (no reset possible), or None on Windows."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)  # bytes there, KiB here


def memory_profile(steps=500, samples=(100, 500)):
    """Resident memory of W1 training on minigrad's NumPy backend, in MiB: before the first
    step, after each step in ``samples``, and the peak over the ``steps`` (VmHWM reset just
    before the first step; where that is impossible, the lifetime peak of the process)."""
    gc.collect()
    _, step = framework_trainer(mg, W1, "numpy")
    resettable = _reset_peak()
    result = {"steps": steps, "baseline_mib": _status_mib("VmRSS"), "rss_mib": {}}
    for index in range(1, steps + 1):
        step()
        if index in samples:
            result["rss_mib"][index] = _status_mib("VmRSS")
    if resettable:
        result["peak_mib"], result["peak_source"] = _status_mib("VmHWM"), "VmHWM over the steps"
    else:
        result["peak_mib"], result["peak_source"] = _lifetime_peak_mib(), "process lifetime"
    return result
