"""The backward engine: graph walking, accumulation, freeing, grad mode, autograd.grad."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function
from minigrad.backends.numpy_backend import NumpyBackend


def test_a_chain_of_100000_ops_backpropagates_without_recursion():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_reused_tensor_accumulates_gradient_from_every_use():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x + x * 3.0 + x).sum()  # dy/dx = 2x + 4
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 8.0, 10.0])


def test_diamond_graph_sums_both_paths_before_going_on():
    x = mg.tensor(2.0, requires_grad=True)
    h = x * x
    y = h * 3.0 + h.exp()  # dy/dx = (3 + e^h) * 2x
    y.backward()
    np.testing.assert_allclose(x.grad.item(), (3 + np.exp(4.0)) * 4.0, rtol=1e-6)


def test_backward_twice_accumulates_into_grad():
    x = mg.tensor([1.0, -1.0], requires_grad=True)
    (x * 2.0).sum().backward()
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_grad_arrays_of_two_leaves_are_not_shared():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.mul_(10.0)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_second_backward_through_freed_graph_raises_clearly():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_saved_arrays_are_freed_after_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.grad_fn.saved_tensors  # noqa: B018 - the access itself must raise


def test_backward_on_a_non_scalar_needs_a_gradient():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2, 2\)"):
        y.backward()
    y.backward(mg.ones(2, 2))
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 2), 2.0))


def test_backward_gradient_of_wrong_shape_names_both_shapes():
    y = mg.tensor([1.0, 2.0], requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        y.backward(mg.ones(3))


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).sum().backward()


def test_no_grad_records_nothing_and_restores_mode():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = x * 2.0
        assert not mg.is_grad_enabled()
        with mg.enable_grad():
            z = x * 2.0
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_and_enable_grad_work_as_decorators():
    @mg.no_grad()
    def evaluate(t):
        return t * 2.0

    x = mg.tensor([1.0], requires_grad=True)
    assert not evaluate(x).requires_grad
    assert mg.is_grad_enabled()


def test_set_grad_enabled_as_call_and_context():
    with mg.set_grad_enabled(False):
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()


def test_autograd_grad_returns_gradients_and_leaves_grad_untouched():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    h = x * w
    y = (h * h).sum()
    g_x, g_h = mg.autograd.grad(y, [x, h])
    np.testing.assert_allclose(g_x.numpy(), 2 * (x * w * w).numpy())
    np.testing.assert_allclose(g_h.numpy(), 2 * h.numpy())
    assert x.grad is None and w.grad is None


def test_autograd_grad_unused_input():
    x = mg.tensor([1.0], requires_grad=True)
    unused = mg.tensor([1.0], requires_grad=True)
    y = (x * 2.0).sum()
    with pytest.raises(RuntimeError, match="not used"):
        mg.autograd.grad(y, [x, unused], retain_graph=True)
    g_x, g_unused = mg.autograd.grad(y, [x, unused], allow_unused=True)
    assert g_unused is None and g_x.item() == 2.0


def test_in_place_change_of_a_saved_input_is_detected():
    w = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = mg.tensor([[1.0, 1.0]], requires_grad=True)
    y = (x @ w).sum()
    with mg.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="modified in place.*version 1.*version 0"):
        y.backward()


def test_in_place_op_on_a_leaf_that_requires_grad_needs_no_grad():
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.mul_(2.0)
    with mg.no_grad():
        w.mul_(2.0)
    assert w.item() == 2.0


def test_mixing_float32_and_float64_raises_naming_op_and_shapes():
    a = mg.ones(2, 3)
    b = mg.ones(3, dtype=mg.float64)
    with pytest.raises(TypeError, match=r"add.*\(2, 3\) float32.*\(3,\) float64"):
        a + b


def test_mixing_backends_raises():
    other = NumpyBackend()  # a second backend instance stands in for another library
    a = mg.ones(2)
    b = mg.Tensor._make(np.ones(2, dtype=np.float32), other)
    with pytest.raises(RuntimeError, match="different backends"):
        a * b


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 6\)"):
        mg.ones(3, 4) @ mg.ones(5, 6)


def test_broadcast_failure_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: .*\(2, 3\) float32, \(4,\) float32"):
        mg.ones(2, 3) + mg.ones(4)


class _Cube(Function):
    """y = x^3; dy/dx = 3x^2 — a user-defined op written the documented way."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x ** 3

    @staticmethod
    def backward(ctx, g_y):
        (x,) = ctx.saved_tensors
        return g_y * ctx.scale * 3 * x ** 2, None


def test_user_function_with_non_tensor_argument():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    assert mg.autograd.gradcheck(lambda t: _Cube.apply(t, 0.5), (x,))
    _Cube.apply(x, 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 24.0])
    assert _Cube.op_name == "_cube"


class _WrongShapeGrad(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g[0, :1]


def test_a_backward_returning_a_wrong_shape_is_named():
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    message = r"_wrong_shape_grad: backward returned .*\(1,\).*\(1, 2\)"
    with pytest.raises(ValueError, match=message):
        _WrongShapeGrad.apply(x).sum().backward()


def test_needs_input_grad_marks_only_tensors_that_require_grad():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b, c):
            seen["needs"] = ctx.needs_input_grad
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    Probe.apply(mg.ones(2, requires_grad=True), mg.ones(2), 3).sum().backward()
    assert seen["needs"] == (True, False, False)


def test_graph_is_inspectable_through_grad_fn():
    x = mg.tensor([1.0], requires_grad=True)
    y = (x * 2.0).exp()
    assert repr(y.grad_fn) == "<ExpBackward>"
    ((mul_node, index),) = y.grad_fn.next_functions
    assert repr(mul_node) == "<MulBackward>" and index == 0
    (accumulator, _), (constant, _) = mul_node.next_functions
    assert repr(accumulator) == "<AccumulateGrad>" and accumulator.variable is x
    assert constant is None
