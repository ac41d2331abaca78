"""Issue 15, the defects that gave silent wrong numbers, each side by side with PyTorch:
log-softmax and cross entropy at huge logits on the Numba backend (item 1), NaN losses from
a masked (-inf) logit (item 2), silent float64 promotion of integer input (item 4), and a
gradcheck that passed while checking nothing (item 5)."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.autograd.gradcheck import GradcheckError
from minigrad.errors import DTypeError
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# rows with a tied maximum, a single maximum, and all classes tied
ROWS = np.array([[1.0, 1.0, -0.5, 0.25], [-1.0, 0.5, 0.5, -2.0], [3.0, 3.0, 3.0, 3.0]])
SCALES = [1e12, 1e14, 1e16, 1e30, -1e30]
COTANGENT = np.array([[0.3, -1.2, 2.0, 0.7], [1.5, 0.2, -0.4, 0.9], [-0.6, 1.1, 0.8, -2.2]])


def _log_softmax_ref(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _torch_leaf(x):
    return torch.tensor(x, requires_grad=True)


@pytest.mark.parametrize("scale", SCALES)
def test_log_softmax_stays_exact_at_huge_logits(backend, scale):
    """Item 1: (x - max) - log(total), so tied classes keep log p = log 1/2 and the
    gradient of every row sums to zero, as the float64 reference and PyTorch."""
    x = ROWS * scale
    t = mg.tensor(x, requires_grad=True)
    y = F.log_softmax(t, 1)
    y.backward(mg.tensor(COTANGENT))
    ref = _log_softmax_ref(x)
    g_ref = COTANGENT - np.exp(ref) * COTANGENT.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.grad.numpy(), g_ref, rtol=1e-12, atol=1e-12)
    theirs = _torch_leaf(x)
    y_torch = TF.log_softmax(theirs, 1)
    y_torch.backward(torch.tensor(COTANGENT))
    np.testing.assert_allclose(y.numpy(), y_torch.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize("scale", SCALES)
def test_cross_entropy_stays_exact_at_huge_logits(backend, scale, reduction):
    """Item 1: the fused cross entropy's loss and gradient (softmax - onehot) at huge logits
    equal the float64 reference and PyTorch; each row's gradient sums to zero."""
    x, target = ROWS * scale, np.array([0, 2, 3])
    t = mg.tensor(x, requires_grad=True)
    loss = F.cross_entropy(t, mg.tensor(target), reduction=reduction)
    loss.sum().backward()
    log_p = _log_softmax_ref(x)
    rows = np.arange(3)
    count = 1 if reduction == "none" else 3
    g_ref = np.exp(log_p)
    g_ref[rows, target] -= 1
    losses = -log_p[rows, target]
    np.testing.assert_allclose(loss.numpy(), losses if reduction == "none" else losses.mean(),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.grad.numpy(), g_ref / count, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.grad.numpy().sum(axis=1), 0, atol=1e-12)
    theirs = _torch_leaf(x)
    TF.cross_entropy(theirs, torch.tensor(target), reduction=reduction).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


# class 1 of row 0 and class 2 of row 1 are masked; row 3's class 0, the stand-in an
# ignored sample gathers, is masked too
MASKED = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf], [1.0, 2.0, 3.0],
                   [-np.inf, 1.0, 0.0]])
MASKED_TARGET = np.array([0, 1, 2, 1])
CLASS_LOSS_ARGS = {"plain": {}, "weight": {"weight": [1.0, 0.5, 2.0]},
                   "ignore": {"ignore_index": 1}, "smoothing": {"label_smoothing": 0.1}}


def _class_loss_pair(kwargs, backend_name):
    """``kwargs`` for minigrad and for torch (the weight as each one's tensor)."""
    if "weight" not in kwargs:
        return kwargs, kwargs
    weight = kwargs["weight"]
    return ({"weight": mg.tensor(weight, dtype=mg.float64, backend=backend_name)},
            {"weight": torch.tensor(weight, dtype=torch.float64)})


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("case", list(CLASS_LOSS_ARGS))
def test_cross_entropy_of_a_masked_logit_is_what_torch_gives(backend, case, reduction):
    """Item 2: a -inf logit on a non-target class leaves the loss finite (label smoothing,
    which averages over every class, gives inf, as in PyTorch) and the gradient finite."""
    mine_kw, torch_kw = _class_loss_pair(CLASS_LOSS_ARGS[case], backend)
    x = mg.tensor(MASKED, requires_grad=True)
    loss = F.cross_entropy(x, mg.tensor(MASKED_TARGET), reduction=reduction, **mine_kw)
    loss.sum().backward()
    theirs = _torch_leaf(MASKED)
    expected = TF.cross_entropy(theirs, torch.tensor(MASKED_TARGET), reduction=reduction,
                                **torch_kw)
    expected.sum().backward()
    assert not np.isnan(loss.numpy()).any()
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("case", ["plain", "weight", "ignore"])
def test_nll_of_log_softmax_with_a_masked_logit_is_finite(backend, case, reduction):
    """Item 2: nll_loss(log_softmax(x)) gathers the target's log p (0 * -inf was NaN)."""
    mine_kw, torch_kw = _class_loss_pair(CLASS_LOSS_ARGS[case], backend)
    x = mg.tensor(MASKED, requires_grad=True)
    loss = F.nll_loss(F.log_softmax(x, 1), mg.tensor(MASKED_TARGET), reduction=reduction,
                      **mine_kw)
    loss.sum().backward()
    theirs = _torch_leaf(MASKED)
    expected = TF.nll_loss(TF.log_softmax(theirs, 1), torch.tensor(MASKED_TARGET),
                           reduction=reduction, **torch_kw)
    expected.sum().backward()
    assert np.isfinite(loss.numpy()).all()
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


INTEGERS = [[1, 2, 3], [4, 5, 2]]


@pytest.mark.parametrize("name", ["exp", "log", "sqrt"])
def test_float_producing_ops_of_integers_give_the_default_float(name):
    """Item 4: exp, log and sqrt of an int64 tensor are float32 (the default float), as
    PyTorch, not NumPy's float64; under set_default_dtype(float64) they follow it."""
    out = getattr(mg, name)(mg.tensor(INTEGERS))
    expected = getattr(torch, name)(torch.tensor(INTEGERS))
    assert out.dtype == mg.float32 and expected.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)
    mg.set_default_dtype(mg.float64)
    try:
        assert getattr(mg, name)(mg.tensor(INTEGERS)).dtype == mg.float64
    finally:
        mg.set_default_dtype(mg.float32)


def _raises_like_torch(mine, theirs, match):
    """``mine()`` raises what ``theirs()`` does in PyTorch (a RuntimeError), naming ``match``."""
    with pytest.raises(RuntimeError):
        theirs()
    with pytest.raises(RuntimeError, match=match):
        mine()


def test_linear_refuses_integer_input_with_the_conversion():
    """Item 4: an int64 batch into a float32 Linear raises at the layer, naming both dtypes
    and the fix, as PyTorch raises (it used to give float64, then fail in backward)."""
    layer, reference = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    _raises_like_torch(lambda: layer(mg.tensor(INTEGERS)),
                       lambda: reference(torch.tensor(INTEGERS)),
                       r"linear: .*int64, float32.*\.float\(\)")


def test_a_module_given_float64_raises_at_its_first_op_with_the_fix():
    """Item 4: a float32 model fed float64 data says which conversion to make."""
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                    torch.nn.Linear(4, 1))
    data = np.ones((2, 3))
    _raises_like_torch(lambda: model(mg.tensor(data)), lambda: reference(torch.tensor(data)),
                       r"linear: .*float64, float32.*\.float\(\)")


def test_a_numpy_array_into_linear_is_refused_as_in_torch():
    """Item 4: a NumPy float64 array is no tensor: PyTorch raises TypeError (minigrad gave a
    float64 result)."""
    data = np.ones((1, 3))
    with pytest.raises(TypeError):
        torch.nn.Linear(3, 2)(data)
    with pytest.raises(TypeError, match="linear: input must be a Tensor, got ndarray"):
        nn.Linear(3, 2)(data)


def test_matmul_of_int_and_float_raises_naming_both_dtypes():
    """Item 4: int @ float raises as in PyTorch; int @ int stays int64."""
    a, b = mg.tensor(INTEGERS), mg.ones(3, 2)
    _raises_like_torch(lambda: a @ b, lambda: torch.tensor(INTEGERS) @ torch.ones(3, 2),
                       r"matmul: .*int64, float32")
    with pytest.raises(DTypeError):
        b.T @ a.T
    product = a @ a.T
    assert product.dtype == mg.int64
    np.testing.assert_array_equal(product.numpy(),
                                  (torch.tensor(INTEGERS) @ torch.tensor(INTEGERS).T).numpy())


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss"])
def test_pointwise_losses_of_integers(loss):
    """Item 4: two integer tensors raise (PyTorch has no integer kernel); an integer target
    joins a float input's dtype, as in PyTorch, instead of giving float64."""
    ints, floats = [[1, 2, 3]], [[0.5, 2.0, 4.5]]
    _raises_like_torch(lambda: getattr(F, loss)(mg.tensor(ints), mg.tensor(ints)),
                       lambda: getattr(TF, loss)(torch.tensor(ints), torch.tensor(ints)),
                       f"{loss}: expected a floating point input, got int64")
    for a, b in ((floats, ints), (ints, floats)):
        out = getattr(F, loss)(mg.tensor(a), mg.tensor(b))
        expected = getattr(TF, loss)(torch.tensor(a), torch.tensor(b))
        assert out.dtype == mg.float32 and expected.dtype == torch.float32
        np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_integers_raises_as_in_torch(name):
    """Item 4: PyTorch's softmax has no integer form; minigrad gave float64."""
    _raises_like_torch(lambda: getattr(F, name)(mg.tensor(INTEGERS), 1),
                       lambda: getattr(TF, name)(torch.tensor(INTEGERS), 1),
                       rf"{name}: expected a floating point input, got int64.*\.float\(\)")


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_binary_cross_entropy_refuses_an_integer_target(name):
    """Item 4: BCE targets are probabilities: an int64 target raises, as in PyTorch."""
    _raises_like_torch(lambda: getattr(F, name)(mg.full((1, 3), 0.5), mg.tensor([[0, 1, 1]])),
                       lambda: getattr(TF, name)(torch.full((1, 3), 0.5),
                                                 torch.tensor([[0, 1, 1]])),
                       rf"{name}: target must be a floating point tensor.*int64")


@pytest.fixture
def x64():
    return mg.randn(3, dtype=mg.float64, requires_grad=True)


def test_gradcheck_of_a_function_returning_no_tensor_raises(x64):
    """Item 5: ``gradcheck(lambda a: 3.0, ...)`` returned True having checked nothing."""
    with pytest.raises(TypeError, match="gradcheck: fn returned float"):
        mg.autograd.gradcheck(lambda a: 3.0, (x64,))


def test_gradcheck_of_outputs_that_need_no_grad_raises(x64):
    """Item 5: outputs that do not depend on any input that requires grad fail the check
    (minigrad is stricter here than PyTorch, which passes them when the numerical gradient
    is zero); ``raise_exception=False`` reports False."""
    def constant(a):
        return mg.ones(3, dtype=mg.float64)

    with pytest.raises(GradcheckError, match="none of the outputs require grad"):
        mg.autograd.gradcheck(constant, (x64,))
    assert mg.autograd.gradcheck(constant, (x64,), raise_exception=False) is False
    with pytest.raises(GradcheckError):
        mg.autograd.gradcheck(lambda a: a.detach() * 2, (x64,))


def test_gradcheck_still_checks_a_function_with_one_constant_output(x64):
    """Item 5: a differentiable output next to a constant one is checked, as in PyTorch."""
    def pair(a):
        return a * 2, mg.ones(3, dtype=mg.float64)

    assert mg.autograd.gradcheck(pair, (x64,))
    assert torch.autograd.gradcheck(
        lambda a: (a * 2, torch.ones(3, dtype=torch.float64)),
        (torch.randn(3, dtype=torch.float64, requires_grad=True),))
