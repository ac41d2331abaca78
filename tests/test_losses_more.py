"""The losses added for PyTorch parity, beyond the registry sweeps (which hold every F form's
values and gradients against PyTorch): the modules against ``torch.nn``, the deprecated
``size_average`` / ``reduce`` flags, kl_div's reductions, argument and shape errors, dtype
rules, and PyTorch's special cases (BCE's log clamp, Gaussian NLL's eps clamp, the Stirling
term)."""

import inspect
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.errors import DTypeError, ShapeError
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

NEW_LOSSES = ["BCELoss", "HuberLoss", "SmoothL1Loss", "KLDivLoss", "CosineEmbeddingLoss",
              "MarginRankingLoss", "SoftMarginLoss", "GaussianNLLLoss", "PoissonNLLLoss"]
ALL_LOSSES = NEW_LOSSES + ["MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss",
                           "BCEWithLogitsLoss"]


def _inputs(name, rng):
    """Float64 arguments for the loss ``name`` (off every kink), and which of them are
    labels (compared without gradient)."""
    x, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    signs = np.where(rng.random((6, 4)) < 0.5, -1.0, 1.0)
    if name == "BCELoss":
        return [rng.uniform(0.05, 0.95, (6, 4)), rng.random((6, 4))], ()
    if name == "KLDivLoss":
        return [x, rng.uniform(0.05, 1.0, (6, 4))], ()
    if name == "CosineEmbeddingLoss":
        return [x, x + 0.5 * y, signs[:, 0]], (2,)
    if name == "MarginRankingLoss":
        return [x, x + np.where(rng.random((6, 4)) < 0.5, -1.0, 1.0), signs], ()
    if name == "SoftMarginLoss":
        return [x, signs], (1,)
    if name == "GaussianNLLLoss":
        return [x, y, rng.uniform(0.2, 2.0, (6,))], ()
    if name == "PoissonNLLLoss":
        return [rng.uniform(0.2, 3.0, (6, 4)), rng.choice([0.5, 2.0, 3.5, 6.0], (6, 4))], ()
    return [x, x + np.where(rng.random((6, 4)) < 0.5, 0.3, 2.0) * signs], ()  # Huber, L1


MODULE_CASES = {
    "BCELoss": {"reduction": "sum"},
    "HuberLoss": {"delta": 0.5, "reduction": "none"},
    "SmoothL1Loss": {"beta": 0.5},
    "KLDivLoss": {"reduction": "batchmean"},
    "CosineEmbeddingLoss": {"margin": 0.2, "reduction": "none"},
    "MarginRankingLoss": {"margin": 0.5, "reduction": "sum"},
    "SoftMarginLoss": {},
    "GaussianNLLLoss": {"full": True, "eps": 1e-3},
    "PoissonNLLLoss": {"log_input": False, "full": True, "reduction": "sum"},
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NEW_LOSSES)
def test_module_matches_torch_nn(name, dtype):
    """The module passes its constructor arguments on: loss and every gradient as torch.nn."""
    arrays, labels = _inputs(name, np.random.default_rng(3))
    arrays = [a.astype(dtype) for a in arrays]
    ours = [mg.tensor(a, requires_grad=i not in labels) for i, a in enumerate(arrays)]
    theirs = [torch.tensor(a, requires_grad=i not in labels) for i, a in enumerate(arrays)]
    out = getattr(nn, name)(**MODULE_CASES[name])(*ours)
    expected = getattr(torch.nn, name)(**MODULE_CASES[name])(*theirs)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-10}
    assert out.dtype == getattr(mg, dtype)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **tol)
    cotangent = np.random.default_rng(4).standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(mg.tensor(cotangent))
    expected.backward(torch.tensor(cotangent))
    for mine, torch_tensor in zip(ours, theirs):
        if torch_tensor.requires_grad:
            np.testing.assert_allclose(mine.grad.numpy(), torch_tensor.grad.numpy(), **tol)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_constructor_arguments_are_torchs_in_order(name):
    """Positional calls mean the same in both (e.g. ``CrossEntropyLoss(w, None, 2)``)."""
    ours = inspect.signature(getattr(nn, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.nn, name).__init__).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.values()]


LEGACY = [(None, False), (False, None), (True, True), (False, False), (True, None)]


@pytest.mark.parametrize("size_average, reduce", LEGACY)
@pytest.mark.parametrize("name", ["BCELoss", "SmoothL1Loss", "KLDivLoss", "SoftMarginLoss",
                                  "PoissonNLLLoss", "MarginRankingLoss", "MSELoss"])
def test_deprecated_flags_map_to_torchs_reduction(name, size_average, reduce):
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        ours = getattr(nn, name)(size_average=size_average, reduce=reduce, reduction="sum")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(torch.nn, name)(size_average=size_average, reduce=reduce)
    assert ours.reduction == theirs.reduction


@pytest.mark.parametrize("size_average, reduce", LEGACY)
def test_deprecated_flags_of_the_functional_forms(size_average, reduce):
    rng = np.random.default_rng(5)
    x, t = rng.standard_normal((3, 4)), np.where(rng.random((3, 4)) < 0.5, -1.0, 1.0)
    with pytest.warns(UserWarning, match="deprecated"):
        out = F.soft_margin_loss(mg.tensor(x), mg.tensor(t), size_average, reduce)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = TF.soft_margin_loss(torch.tensor(x), torch.tensor(t), size_average, reduce)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- kl_div
def test_kl_div_mean_warns_and_batchmean_divides_by_the_batch():
    x = F.log_softmax(mg.randn(5, 3, dtype=mg.float64), 1)
    t = F.softmax(mg.randn(5, 3, dtype=mg.float64), 1)
    with pytest.warns(UserWarning, match="batchmean"):
        mean = F.kl_div(x, t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batchmean = F.kl_div(x, t, reduction="batchmean")
        total = F.kl_div(x, t, reduction="sum")
    assert batchmean.item() == pytest.approx(total.item() / 5, rel=1e-12)
    assert mean.item() == pytest.approx(total.item() / 15, rel=1e-12)
    assert nn.KLDivLoss(reduction="batchmean")(x, t).item() == pytest.approx(batchmean.item())


def test_batchmean_is_kl_divs_alone():
    with pytest.raises(ValueError, match="batchmean"):
        nn.HuberLoss(reduction="batchmean")
    with pytest.raises(ValueError, match="batchmean"):
        F.poisson_nll_loss(mg.randn(3), mg.rand(3), reduction="batchmean")
    with pytest.raises(ValueError, match="avg"):
        F.kl_div(mg.randn(3), mg.rand(3), reduction="avg")


@pytest.mark.parametrize("name", NEW_LOSSES)
def test_reduction_names_are_validated(name):
    with pytest.raises(ValueError, match="average"):
        getattr(nn, name)(reduction="average")


# ----------------------------------------------------------------------------- BCE
def test_binary_cross_entropy_clamps_each_log_at_minus_100():
    p = mg.tensor([0.0, 1.0, 1.0], dtype=mg.float64, requires_grad=True)
    t = mg.tensor([1.0, 0.0, 1.0], dtype=mg.float64)
    losses = F.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_array_equal(losses.numpy(), [100.0, 100.0, 0.0])
    losses.sum().backward()
    expected = torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64, requires_grad=True)
    TF.binary_cross_entropy(expected, torch.tensor(t.numpy()), reduction="sum").backward()
    np.testing.assert_allclose(p.grad.numpy(), expected.grad.numpy())  # 1e12 = 1 / eps


def test_binary_cross_entropy_errors():
    p, t = mg.rand(3, 2), mg.rand(3, 2)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(p * 2 - 1, t)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: target \(2, 3\) and input"):
        F.binary_cross_entropy(p, t.reshape(2, 3))
    with pytest.raises(TypeError, match="floating point"):
        F.binary_cross_entropy(p, mg.tensor([[1, 0], [0, 1], [1, 1]]))
    with pytest.raises(ShapeError, match=r"shapes \(3, 2\), \(3,\) do not broadcast"):
        F.binary_cross_entropy(p, t, mg.ones(3))
    with pytest.raises(ShapeError, match=r"weight \(2, 3, 2\) does not broadcast to"):
        F.binary_cross_entropy(p, t, mg.ones(2, 3, 2))
    with pytest.raises(DTypeError, match="float64"):
        F.binary_cross_entropy(p, t.double())


# ----------------------------------------------------------------------------- Huber, smooth L1
def test_huber_and_smooth_l1_check_their_parameter():
    x = mg.randn(4)
    with pytest.raises(RuntimeError, match="delta must be positive"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(RuntimeError, match="beta must not be negative"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match=r"weight \(1, 4\) and input \(4,\)"):
        F.huber_loss(x, x, weight=mg.ones(1, 4))


def test_a_target_of_another_shape_broadcasts_with_torchs_warning():
    x, t = np.random.default_rng(6).standard_normal((2, 4, 3))
    t = t[0]
    with pytest.warns(UserWarning, match=r"target size \(\(3,\)\).*input size \(\(4, 3\)\)"):
        out = F.huber_loss(mg.tensor(x), mg.tensor(t), delta=0.5)
    with pytest.warns(UserWarning):
        expected = TF.huber_loss(torch.tensor(x), torch.tensor(t), delta=0.5)
    assert out.item() == pytest.approx(expected.item(), rel=1e-12)
    with pytest.raises(ShapeError, match=r"smooth_l1_loss: shapes \(4, 3\), \(2,\)"):
        F.smooth_l1_loss(mg.tensor(x), mg.zeros(2, dtype=mg.float64))


def test_smooth_l1_with_beta_zero_is_l1_and_huber_is_beta_times_smooth_l1():
    x, t = mg.randn(5, 2, dtype=mg.float64), mg.randn(5, 2, dtype=mg.float64)
    assert F.smooth_l1_loss(x, t, beta=0.0).item() == pytest.approx(F.l1_loss(x, t).item())
    assert F.huber_loss(x, t, delta=0.3).item() == pytest.approx(
        0.3 * F.smooth_l1_loss(x, t, beta=0.3).item(), rel=1e-12)


# ----------------------------------------------------------------------------- margin losses
def test_cosine_embedding_loss_shape_errors():
    x = mg.randn(3, 4)
    with pytest.raises(ShapeError, match="0-d or 1-d"):
        F.cosine_embedding_loss(x, x, mg.ones(3, 1))
    with pytest.raises(ShapeError, match=r"1-d target expects 2-d inputs, got \(4,\)"):
        F.cosine_embedding_loss(x[0], x[0], mg.ones(3))
    with pytest.raises(ShapeError, match=r"\(3,\), \(5,\)"):
        F.cosine_embedding_loss(x, x, mg.ones(5))


def test_margin_ranking_loss_needs_inputs_of_one_rank():
    with pytest.raises(RuntimeError, match=r"input1 \(3, 4\), input2 \(3, 4\) and target \(4,\)"):
        F.margin_ranking_loss(mg.randn(3, 4), mg.randn(3, 4), mg.ones(4))


def test_soft_margin_loss_stays_finite_where_torchs_float32_form_overflows():
    x = mg.tensor([-200.0, 200.0, 3.0])
    losses = F.soft_margin_loss(x, mg.tensor([1.0, -1.0, 1.0]), reduction="none")
    expected = TF.soft_margin_loss(torch.tensor([-200.0, 200.0, 3.0]),
                                   torch.tensor([1.0, -1.0, 1.0]), reduction="none")
    assert not torch.isfinite(expected[:2]).any()
    np.testing.assert_allclose(losses.numpy(), [200.0, 200.0, expected[2].item()], rtol=1e-6)


@pytest.mark.parametrize("loss", ["soft_margin_loss", "margin_ranking_loss",
                                  "cosine_embedding_loss"])
def test_integer_labels_are_promoted_to_the_input_dtype(loss):
    x = mg.randn(4, 3)
    labels = mg.tensor([1, -1, -1, 1])
    args = {"soft_margin_loss": (x, labels.reshape(4, 1)),
            "margin_ranking_loss": (x[:, 0], x[:, 1], labels),
            "cosine_embedding_loss": (x, x.flip(0), labels)}[loss]
    out = getattr(F, loss)(*args)
    assert out.dtype == mg.float32
    floats = [a.float() if a is labels or a.ndim == 2 and a.shape[1] == 1 else a for a in args]
    assert out.item() == pytest.approx(getattr(F, loss)(*floats).item(), rel=1e-6)


# ----------------------------------------------------------------------------- Gaussian NLL
def test_gaussian_nll_eps_clamp_is_not_differentiated():
    """Variances below eps are used as eps; their gradient passes the clamp, as PyTorch's."""
    rng = np.random.default_rng(7)
    x, t = rng.standard_normal((2, 5, 3)) * 0.01
    var = np.abs(rng.standard_normal((5, 3))) * 1e-7
    ours = [mg.tensor(a, requires_grad=True) for a in (x, t, var)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, t, var)]
    out = F.gaussian_nll_loss(*ours, eps=1e-6)
    expected = TF.gaussian_nll_loss(*theirs, eps=1e-6)
    assert out.item() == pytest.approx(expected.item(), rel=1e-10)
    out.backward()
    expected.backward()
    for mine, torch_tensor in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), torch_tensor.grad.numpy(), rtol=1e-10)
    assert np.all(ours[2].grad.numpy() != 0)


@pytest.mark.parametrize("var_shape", [(4,), (1, 1), (2, 3), (3, 4, 1)])
def test_gaussian_nll_refuses_var_of_a_shape_torch_refuses(var_shape):
    x = mg.randn(3, 4)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, x, mg.ones(*var_shape))
    with pytest.raises(ValueError, match="incorrect size"):
        TF.gaussian_nll_loss(torch.randn(3, 4), torch.randn(3, 4), torch.ones(*var_shape))


def test_gaussian_nll_negative_variance_and_bad_reduction():
    x = mg.randn(3, 4)
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(x, x, -mg.ones(3, 4))
    with pytest.raises(ValueError, match="negative"):
        nn.GaussianNLLLoss()(x, x, -1.0)
    with pytest.raises(ValueError, match="reduction"):
        F.gaussian_nll_loss(x, x, 1.0, reduction="batchmean")
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(True)  # keyword-only, as PyTorch


# ----------------------------------------------------------------------------- Poisson NLL
@pytest.mark.parametrize("log_input", [True, False])
def test_poisson_full_adds_stirling_only_above_one(log_input):
    rate = mg.tensor([0.5, 1.5, 2.0, 4.0, 3.0], dtype=mg.float64)
    counts = mg.tensor([0, 1, 2, 7, 30])
    full = F.poisson_nll_loss(rate, counts, log_input, full=True, reduction="none")
    plain = F.poisson_nll_loss(rate, counts, log_input, reduction="none")
    k = counts.numpy().astype(np.float64)
    stirling = np.where(k > 1, k * np.log(np.maximum(k, 1)) - k
                        + 0.5 * np.log(2 * np.pi * np.maximum(k, 1)), 0)
    np.testing.assert_allclose(full.numpy() - plain.numpy(), stirling, rtol=1e-12, atol=1e-15)
    expected = TF.poisson_nll_loss(torch.tensor(rate.numpy()), torch.tensor(k), log_input,
                                   full=True, reduction="none")
    np.testing.assert_allclose(full.numpy(), expected.numpy(), rtol=1e-12)


def test_poisson_full_target_gradient_is_finite_at_zero_counts():
    """Where PyTorch's gradient is nan (0 * log 0 through the masked term), ours is that of
    the unmasked part alone: -x, or -log(x + eps)."""
    rate = mg.tensor([0.5, 2.0], dtype=mg.float64)
    counts = mg.tensor([0.0, 0.0], dtype=mg.float64, requires_grad=True)
    F.poisson_nll_loss(rate, counts, full=True, reduction="sum").backward()
    np.testing.assert_allclose(counts.grad.numpy(), [-0.5, -2.0])


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("loss", ["huber_loss", "kl_div", "poisson_nll_loss",
                                  "soft_margin_loss"])
def test_float32_and_float64_do_not_mix(loss):
    with pytest.raises(DTypeError, match=r"\.float\(\) or \.double\(\)"):
        getattr(F, loss)(mg.rand(3), mg.rand(3, dtype=mg.float64), reduction="sum")


def test_integer_inputs_are_refused():
    with pytest.raises(TypeError, match="huber_loss: input must be a floating point tensor"):
        F.huber_loss(mg.tensor([1, 2]), mg.tensor([1, 3]))


def test_mean_of_no_elements_is_nan_as_in_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = F.smooth_l1_loss(mg.zeros(0, 3), mg.zeros(0, 3))
    assert np.isnan(out.item()) and np.isnan(TF.smooth_l1_loss(torch.zeros(0, 3),
                                                               torch.zeros(0, 3)).item())
