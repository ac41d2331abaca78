"""The model, data and training step shared by the ``test_optim*.py`` files.

Not a test module (pytest collects only ``test_*.py``); the test files import it by name
because pytest puts tests/ on sys.path. Every helper that builds something takes ``lib``,
minigrad or PyTorch, so the same code builds the twin runs that are compared.
"""

import numpy as np
import pytest

import minigrad as mg

_RNG = np.random.default_rng(1234)
X = _RNG.standard_normal((16, 6))
Y = _RNG.standard_normal((16, 3))
LABELS = _RNG.integers(0, 3, 16)


def label(name, kwargs):
    return f"{name}(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def optimizers(*pairs):
    """pytest params of ``(class name, kwargs)``, each labelled like the constructor call."""
    return [pytest.param(name, kwargs, id=label(name, kwargs)) for name, kwargs in pairs]


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))


def twin_models(torch, dtype="float32"):
    """A torch MLP and a minigrad MLP holding the same weights, in ``dtype``."""
    torch.manual_seed(0)
    t_model, m_model = mlp(torch), mlp(mg)
    if dtype == "float64":
        t_model.double()
        m_model.double()
    m_model.load_state_dict({k: v.numpy() for k, v in t_model.state_dict().items()})
    return t_model, m_model


def make_loss(lib, loss, dtype="float32"):
    """``model -> scalar loss`` on the fixed data, in ``lib`` (torch or minigrad)."""
    x = lib.tensor(X.astype(dtype))
    if loss == "mse":
        target = lib.tensor(Y.astype(dtype))
        return lambda model: lib.nn.functional.mse_loss(model(x), target)
    labels = lib.tensor(LABELS)
    return lambda model: lib.nn.functional.cross_entropy(model(x), labels)


def train_step(optimizer, model, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model)
    loss.backward()
    optimizer.step()
    return loss


def assert_same_weights(t_model, m_model, tol, what):
    for (name, expected), actual in zip(t_model.state_dict().items(),
                                        m_model.state_dict().values()):
        np.testing.assert_allclose(actual, expected.numpy(), rtol=tol, atol=tol,
                                   err_msg=f"{name} {what}")
