"""Gradient clipping beyond the positive orders of ``test_clip_grad.py``, checked the way
PyTorch's clip tests in ``test/test_nn.py`` check it: ``norm_type`` 0, negative orders and
-inf (the norm of the per-gradient norms, as PyTorch computes it), ``foreach=`` accepted and
selecting nothing, ``error_if_nonfinite`` at every order, and the warning for an empty
parameter generator. Each against PyTorch.
"""

import math
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn.utils import (
                               clip_grad_norm_,
                               clip_grad_value_,
                               clip_grads_with_norm_,
                               get_total_norm,
)

torch = pytest.importorskip("torch")

ORDERS = [0, -1, -0.5, -2.5, -math.inf, math.inf, 0.5, 3]
RTOL = {"float32": 2e-6, "float64": 1e-14}


def _grads(dtype, zeros=True):
    """Gradients for five parameters: random ones, one with exact zeros, one all zeros, a
    one-element one, and None (a parameter without a gradient)."""
    rng = np.random.default_rng(4)
    with_zeros = rng.standard_normal((2, 5))
    with_zeros[0, [1, 3]] = 0.0
    grads = [rng.standard_normal((3, 4)), with_zeros, np.zeros(3), 3 * rng.standard_normal(1),
             None]
    if not zeros:
        grads = [g if g is None else np.where(g == 0, 0.25, g) for g in grads]
    return [g if g is None else g.astype(dtype) for g in grads]


def _params(lib, grads):
    """One parameter per gradient (zeros like it) holding a copy of it; None: no gradient."""
    params = []
    for g in grads:
        p = lib.nn.Parameter(lib.tensor(np.zeros(1, np.float32) if g is None
                                        else np.zeros_like(g)))
        if g is not None:
            p.grad = lib.tensor(g.copy())
        params.append(p)
    return params


def _grad_arrays(params):
    return [None if p.grad is None else np.asarray(p.grad.numpy()).copy() for p in params]


def _assert_close(got, expected, dtype):
    np.testing.assert_allclose(got, expected, rtol=RTOL[dtype], atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("zeros", [True, False], ids=["with-zeros", "no-zeros"])
@pytest.mark.parametrize("order", ORDERS, ids=str)
def test_clip_grad_norm_every_order_matches_torch(order, zeros, dtype, backend):
    grads = _grads(dtype, zeros)
    m_params, t_params = _params(mg, grads), _params(torch, grads)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning for 0 ** -p: it is the definition
        m_norm = clip_grad_norm_(m_params, 0.5, order)
    t_norm = torch.nn.utils.clip_grad_norm_(t_params, 0.5, order)
    assert m_norm.shape == () and str(m_norm.dtype) == f"minigrad.{dtype}"
    _assert_close(m_norm.numpy(), t_norm.numpy(), dtype)
    for i, (a, e) in enumerate(zip(_grad_arrays(m_params), _grad_arrays(t_params))):
        assert (a is None) == (e is None), f"parameter {i}"
        if a is not None:
            _assert_close(a, e, dtype)


@pytest.mark.parametrize("order", ORDERS, ids=str)
def test_get_total_norm_every_order_matches_torch(order):
    grads = [g for g in _grads("float64") if g is not None]
    for chosen in (grads, grads[:1], grads[2:3]):
        got = get_total_norm([mg.tensor(g) for g in chosen], order)
        expected = torch.nn.utils.get_total_norm([torch.tensor(g) for g in chosen], order)
        _assert_close(got.numpy(), expected.numpy(), "float64")
    single = get_total_norm(mg.tensor(grads[1]), order)
    _assert_close(single.numpy(), torch.nn.utils.get_total_norm(torch.tensor(grads[1]),
                                                                  order).numpy(), "float64")
    assert float(get_total_norm([], order)) == float(torch.nn.utils.get_total_norm([], order))


def test_order_zero_counts_the_gradients_with_a_nonzero_entry():
    """The zeroth "norm" of each gradient counts its non-zero entries, and that of the
    counts counts the gradients with any: 2 here, not the 4 non-zero entries in all."""
    grads = [np.array([0.0, 3.0, -1.0]), np.zeros(4), np.array([[0.0, 5.0]]), np.array([2.0])]
    for lib in (mg, torch):
        total = lib.nn.utils.get_total_norm([lib.tensor(g) for g in grads[:3]], 0)
        assert float(total) == 2.0
        assert float(lib.nn.utils.get_total_norm([lib.tensor(g) for g in grads], 0)) == 3.0


@pytest.mark.parametrize("order", [-1, -2.5, -math.inf])
def test_negative_orders_are_zero_once_an_entry_is_zero(order):
    """A zero anywhere makes a negative-order norm 0; without zeros it is finite and below
    the smallest magnitude, as the power mean with a negative exponent is."""
    values = np.array([0.5, -2.0, 4.0])
    no_zero = float(get_total_norm([mg.tensor(values)], order))
    assert 0 < no_zero <= 0.5 + 1e-15
    assert float(get_total_norm([mg.tensor(values), mg.tensor(np.array([0.0, 1.0]))],
                                order)) == 0.0


@pytest.mark.parametrize("order", [-1, math.inf, -math.inf])
def test_orders_without_an_identity_refuse_an_empty_gradient(order):
    """inf, -inf and negative orders have no value for no entries; PyTorch raises too."""
    for lib in (mg, torch):
        with pytest.raises(RuntimeError, match="norm"):
            lib.nn.utils.get_total_norm([lib.zeros(0), lib.ones(2)], order)
    for lib in (mg, torch):  # positive orders and 0 are fine: 0 for no entries
        assert float(lib.nn.utils.get_total_norm([lib.zeros(0), lib.ones(4)], 2)) == 2.0


NONFINITE = {"nan": np.nan, "inf": np.inf}


@pytest.mark.parametrize("order", ORDERS, ids=str)
@pytest.mark.parametrize("bad", list(NONFINITE))
def test_error_if_nonfinite_at_every_order_as_torch(bad, order):
    """Whether the total is non-finite (0 counts a NaN as non-zero, -inf ignores an inf
    when something smaller exists) and so whether it raises: PyTorch's answer every time;
    when it raises nothing changes, and otherwise the clipped gradients are PyTorch's."""
    grads = _grads("float64", zeros=False)
    grads[1][1, 2] = NONFINITE[bad]
    m_params, t_params = _params(mg, grads), _params(torch, grads)
    raised = {}
    for name, lib, params in (("mg", mg, m_params), ("torch", torch, t_params)):
        try:
            with np.errstate(invalid="ignore"):
                lib.nn.utils.clip_grad_norm_(params, 0.5, order, error_if_nonfinite=True)
            raised[name] = False
        except RuntimeError as error:
            assert "non-finite" in str(error)
            raised[name] = True
    assert raised["mg"] == raised["torch"]
    for a, e in zip(_grad_arrays(m_params), _grad_arrays(t_params)):
        if a is not None:
            np.testing.assert_allclose(a, e, rtol=1e-14, atol=0)


@pytest.mark.parametrize("foreach", [None, True, False])
def test_foreach_is_accepted_and_changes_nothing(foreach):
    grads = _grads("float32")
    reference = _params(mg, grads)
    expected_norm = clip_grad_norm_(reference, 0.5, 3)
    m_params, t_params = _params(mg, grads), _params(torch, grads)
    m_norm = clip_grad_norm_(m_params, 0.5, 3, foreach=foreach)
    t_norm = torch.nn.utils.clip_grad_norm_(t_params, 0.5, 3, foreach=foreach)
    assert m_norm.numpy() == expected_norm.numpy()
    _assert_close(m_norm.numpy(), t_norm.numpy(), "float32")
    assert [None if g is None else g.tobytes() for g in _grad_arrays(m_params)] == \
        [None if g is None else g.tobytes() for g in _grad_arrays(reference)]

    total = get_total_norm([p.grad for p in m_params if p.grad is not None], 1,
                           foreach=foreach)
    clip_grads_with_norm_(m_params, 0.1, total, foreach=foreach)
    t_total = torch.nn.utils.get_total_norm([p.grad for p in t_params if p.grad is not None],
                                            1, foreach=foreach)
    torch.nn.utils.clip_grads_with_norm_(t_params, 0.1, t_total, foreach=foreach)
    clip_grad_value_(m_params, 0.01, foreach=foreach)
    torch.nn.utils.clip_grad_value_(t_params, 0.01, foreach=foreach)
    for a, e in zip(_grad_arrays(m_params), _grad_arrays(t_params)):
        if a is not None:
            _assert_close(a, e, "float32")


def _empty_generator_warnings(lib, parameters, clip="norm"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if clip == "norm":
            norm = lib.nn.utils.clip_grad_norm_(parameters, 1.0)
            assert float(norm) == 0.0
        else:
            lib.nn.utils.clip_grad_value_(parameters, 1.0)
    return [str(w.message) for w in caught]


def test_an_exhausted_parameter_generator_warns_as_torch():
    """A generator used up before clipping (a second ``clip_grad_norm_`` on the same
    ``model.parameters()``, say) clips nothing: PyTorch warns, with this text."""
    texts = {}
    for lib in (mg, torch):
        model = lib.nn.Linear(3, 2)
        parameters = model.parameters()
        list(parameters)
        texts[lib.__name__] = _empty_generator_warnings(lib, parameters)
    assert texts["minigrad"] == texts["torch"] == [
        "`parameters` is an empty generator, no gradient clipping will occur."]


@pytest.mark.parametrize("case", ["empty-list", "fresh-generator"])
def test_no_warning_unless_a_generator_is_empty(case):
    """An empty list is not a mistake worth a warning, and a fresh generator is not empty
    (PyTorch's choices, both)."""
    for lib in (mg, torch):
        parameters = [] if case == "empty-list" else lib.nn.Linear(3, 2).parameters()
        assert _empty_generator_warnings(lib, parameters) == [], lib.__name__


def test_value_clipping_an_empty_generator_does_nothing_quietly():
    """Value clipping does not check for an empty generator (PyTorch 2.13 fails inside its
    device grouping there instead, so this one has no PyTorch side)."""
    parameters = mg.nn.Linear(3, 2).parameters()
    list(parameters)
    assert _empty_generator_warnings(mg, parameters, clip="value") == []
