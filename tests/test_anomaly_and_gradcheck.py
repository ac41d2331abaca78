"""detect_anomaly names the op (and line) where NaN/inf first appeared; gradcheck itself."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function, GradcheckError, gradcheck


def test_detect_anomaly_names_the_first_forward_op_and_call_site():
    x = mg.tensor([1.0, -1.0], requires_grad=True)
    with mg.autograd.detect_anomaly():
        h = x * 2.0
        with pytest.raises(mg.autograd.AnomalyError) as info:
            h.sqrt().sum()  # the NaN is born here
    message = str(info.value)
    assert "sqrt produced NaN or inf" in message
    assert "inputs were all finite" in message
    assert "test_anomaly_and_gradcheck.py" in message and "h.sqrt()" in message


def test_detect_anomaly_reports_when_inputs_were_already_bad():
    x = mg.tensor([np.nan, 1.0])
    with mg.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="already held"):
        x * 2.0


def test_detect_anomaly_checks_backward_too():
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    with mg.autograd.detect_anomaly():
        y = x.sqrt().sum()  # finite forward, infinite slope at 0
        with pytest.raises(RuntimeError, match="backward of sqrt returned a NaN or inf"):
            y.backward()


def test_without_anomaly_mode_nan_passes_silently():
    assert np.isnan(mg.tensor([-1.0]).sqrt().item())


def _x(*shape):
    return mg.randn(*shape, dtype=mg.float64, requires_grad=True)


class _OffByOnePercent(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x * 1.01


def test_gradcheck_passes_a_correct_op():
    assert gradcheck(lambda a, b: (a @ b).tanh(), (_x(3, 4), _x(4, 2)))


def test_gradcheck_failure_names_input_element_and_both_values():
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(3,\), float64\) at element "
                                             r"\(\d,\): analytic .* vs numerical"):
        gradcheck(_OffByOnePercent.apply, (_x(3),))


def test_gradcheck_without_raising_returns_false():
    assert gradcheck(_OffByOnePercent.apply, (_x(3),), raise_exception=False) is False


def test_gradcheck_fast_mode_catches_the_same_error():
    assert gradcheck(lambda t: t.exp(), (_x(4),), fast_mode=True)
    with pytest.raises(GradcheckError, match="fast mode"):
        gradcheck(_OffByOnePercent.apply, (_x(4),), fast_mode=True)


def test_gradcheck_warns_on_float32_inputs():
    x = mg.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="float32, not float64"):
        assert gradcheck(lambda t: t * 2.0, (x,), eps=1e-2, atol=1e-2, rtol=1e-2)


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2.0, (mg.ones(2, dtype=mg.float64),))


def test_gradcheck_nondet_tol_catches_a_random_backward():
    rng = np.random.default_rng(0)

    class Noisy(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g + rng.normal(size=g.shape) * 1e-3

    with pytest.raises(GradcheckError, match="not deterministic"):
        gradcheck(Noisy.apply, (_x(3),))
    # with a tolerance above the noise, the (noisy but close) gradient is accepted
    assert gradcheck(Noisy.apply, (_x(3),), nondet_tol=1.0, atol=1e-2)


def test_gradcheck_refuses_a_negative_nondet_tol():
    # a negative tolerance used to switch the determinism check off without a word
    with pytest.raises(ValueError, match="nondet_tol must be a tolerance >= 0, got -1"):
        gradcheck(lambda t: t * 2.0, (_x(3),), nondet_tol=-1)


def test_gradcheck_restores_input_values():
    x = _x(2, 3)
    before = x.numpy().copy()
    gradcheck(lambda t: (t * t).sum(), (x,))
    np.testing.assert_array_equal(x.numpy(), before)
