"""The rules of the losses: 0-d results for unbatched inputs, reduction-name checks,
target range and dtype errors, and ignore_index."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_class_losses_of_an_unbatched_input_are_0d(loss, reduction):
    """As PyTorch: a (C,) input with a 0-d target gives a 0-d loss, for every reduction."""
    out = loss(mg.tensor([0.1, 0.5, -0.2]), mg.tensor(1), reduction=reduction)
    assert out.shape == ()


@pytest.mark.parametrize("loss", [nn.MSELoss, nn.L1Loss, nn.CrossEntropyLoss, nn.NLLLoss,
                                  nn.BCEWithLogitsLoss])
def test_loss_reduction_names_are_validated(loss):
    with pytest.raises(ValueError, match="average"):
        loss(reduction="average")


def test_functional_loss_reduction_names_are_validated():
    x = mg.randn(4, 3)
    with pytest.raises(ValueError, match="batchmean"):
        F.mse_loss(x, x, reduction="batchmean")
    with pytest.raises(ValueError):
        F.cross_entropy(x, mg.tensor([0, 1, 2, 0]), reduction="avg")


@pytest.mark.parametrize("bad", [5, -1])
def test_cross_entropy_out_of_range_target_raises_index_error(bad):
    with pytest.raises(IndexError, match=str(bad)):
        F.cross_entropy(mg.randn(2, 3), mg.tensor([0, bad]))
    with pytest.raises(IndexError, match=str(bad)):
        nn.NLLLoss()(mg.randn(2, 3), mg.tensor([bad, 1]))


def test_cross_entropy_float_target_raises_type_error():
    with pytest.raises(TypeError):
        F.cross_entropy(mg.randn(2, 3), mg.tensor([0.0, 1.0]))


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.2},
                                    {"weight": [1.0, 2.0, 0.5]}], ids=["plain", "smooth",
                                                                       "weight"])
def test_ignore_index_samples_contribute_nothing(kwargs):
    if "weight" in kwargs:
        kwargs = {"weight": mg.tensor(kwargs["weight"])}
    logits = mg.randn(5, 3, requires_grad=True)
    target = mg.tensor([0, -100, 2, 1, -100])
    loss = F.cross_entropy(logits, target, **kwargs)
    loss.backward()
    kept = [0, 2, 3]
    reference = F.cross_entropy(mg.tensor(logits.numpy()[kept]), mg.tensor([0, 2, 1]),
                                **kwargs)
    assert loss.item() == pytest.approx(reference.item(), rel=1e-6)
    assert not np.any(logits.grad.numpy()[[1, 4]])
    per_sample = F.cross_entropy(logits, target, reduction="none", **kwargs).numpy()
    assert per_sample.shape == (5,) and not np.any(per_sample[[1, 4]])


def test_nll_loss_custom_ignore_index():
    log_p = F.log_softmax(mg.randn(4, 3), 1)
    loss = F.nll_loss(log_p, mg.tensor([1, 2, 2, 0]), ignore_index=2)
    expected = -(log_p.numpy()[0, 1] + log_p.numpy()[3, 0]) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)
