"""Autograd for learners, against PyTorch: tensor hooks (when they run, on what, in which
order, what a returned tensor replaces), ``retain_grad`` and the warning for a non-leaf's
``.grad``, the graph seen through ``grad_fn.next_functions``, ``autograd.backward`` and
``grad`` with PyTorch's signatures, and ``inference_mode``."""

import inspect
import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

A_VALUES, B_VALUES = [1.0, -2.0, 0.5], [3.0, 0.25, -1.0]


def _hooked_graph(lib, calls, retain_first):
    """h = a * b, y = 2 * relu(h) + h, loss = sum(y * y), with hooks on every tensor that
    log the gradient they see and double (h) or shift (a) it; h retains its gradient,
    registered before or after its hook (PyTorch fills ``.grad`` last either way)."""
    a = lib.tensor(A_VALUES, requires_grad=True)
    b = lib.tensor(B_VALUES, requires_grad=True)

    def log(name, change=None):
        def hook(g):
            calls.append((name, g.detach().numpy().copy()))
            return None if change is None else change(g)
        return hook

    h = a * b
    if retain_first:
        h.retain_grad()
    h.register_hook(log("h", lambda g: g * 2))
    if not retain_first:
        h.retain_grad()
    y = 2 * h.relu() + h
    y.register_hook(log("y"))
    a.register_hook(log("a", lambda g: g + 1))
    a.register_hook(log("a again"))  # sees the first hook's result
    b.register_hook(log("b"))
    loss = (y * y).sum()
    loss.register_hook(log("loss"))
    return loss, a, b, h


@pytest.mark.parametrize("retain_first", [True, False], ids=["retain-first", "hook-first"])
def test_hooks_run_on_what_and_in_the_order_pytorch_runs_them(retain_first, backend):
    ours, theirs = [], []
    loss, a, b, h = _hooked_graph(mg, ours, retain_first)
    t_loss, t_a, t_b, t_h = _hooked_graph(torch, theirs, retain_first)
    loss.backward()
    t_loss.backward()
    assert [name for name, _ in ours] == [name for name, _ in theirs]
    for (name, g), (_, t_g) in zip(ours, theirs):
        np.testing.assert_allclose(g, t_g, rtol=1e-6, err_msg=name)
    for t, t_t in ((a, t_a), (b, t_b), (h, t_h)):
        np.testing.assert_allclose(t.grad.numpy(), t_t.grad.numpy(), rtol=1e-6)


def test_a_leaf_hook_runs_once_on_the_gradient_summed_over_paths():
    seen = []
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    (x * 2 + x * 3).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [5.0, 5.0])


def test_removed_hooks_stop_and_a_hook_may_remove_itself():
    x = mg.tensor([1.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    once = []

    def remove_myself(g):
        once.append(1)
        own.remove()

    own = x.register_hook(remove_myself)
    for _ in range(2):
        (x * 3).sum().backward()
    assert once == [1] and x.grad.item() == 6.0


def test_hooks_on_one_output_of_a_multi_output_op():
    z = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    t_z = torch.tensor(z.numpy(), requires_grad=True)
    for lib, t in ((mg, z), (torch, t_z)):
        first, second = lib.unbind(t, 0)
        second.register_hook(lambda g: g * 10)
        (first.sum() + (second * second).sum()).backward()
    np.testing.assert_allclose(z.grad.numpy(), t_z.grad.numpy())


def test_retained_gradients_accumulate_and_fill_in_autograd_grad_too():
    results = []
    for lib in (mg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        x.register_hook(lambda g: g + 100)
        y.register_hook(lambda g: g * 2)
        (g_x,) = lib.autograd.grad((y * y).sum(), x, retain_graph=True)
        after_grad = y.grad.numpy().copy()
        (y * y).sum().backward()
        results.append((g_x.numpy(), after_grad, y.grad.numpy(), x.grad.numpy(),
                        y.retains_grad, x.retains_grad))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs)


def test_hook_and_retain_grad_errors_are_pytorchs():
    for lib in (mg, torch):
        plain = lib.ones(2)
        with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that "
                                               "doesn't require gradient"):
            plain.register_hook(print)
        with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has "
                                               "requires_grad=False"):
            plain.retain_grad()
        with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be "
                                               "registered on non-leaf tensors"):
            (lib.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print)
    x = mg.ones(2, requires_grad=True)
    for bad, error, match in ((lambda g: mg.ones(3), RuntimeError, "changed the size"),
                              (lambda g: g.double(), RuntimeError, "changed the type"),
                              (lambda g: 3, TypeError, "returned int")):
        handle = x.register_hook(bad)
        with pytest.raises(error, match=f"hook '<lambda>' .*{match}"):
            (x * 1).sum().backward()
        handle.remove()


def test_reading_grad_of_a_non_leaf_warns_as_pytorch():
    messages = []
    for lib in (mg, torch):
        x = lib.ones(2, requires_grad=True)
        y, kept = x * 2, x * 3
        kept.retain_grad()
        (y + kept).sum().backward()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert y.grad is None and x.grad is not None and kept.grad is not None
        assert [w.category for w in caught] == [UserWarning]
        messages.append(str(caught[0].message))
        assert caught[0].filename == __file__  # it points at the line that read .grad
    assert messages[1].startswith(messages[0])


def test_post_accumulate_grad_hook_sees_the_updated_grad(backend):
    p = mg.ones(2, requires_grad=True)
    seen = []
    p.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (p * 3).sum().backward()
    (p * 3).sum().backward()
    np.testing.assert_array_equal(np.stack(seen), [[3.0, 3.0], [6.0, 6.0]])


def test_a_hook_on_a_leaf_runs_as_soon_as_its_gradient_is_complete():
    for lib in (mg, torch):
        calls = []
        x = lib.ones(2, requires_grad=True)
        w = lib.ones(2, requires_grad=True)
        early = (x * w).exp()
        late = (early * 2).tanh()
        for name, t in (("x", x), ("w", w), ("early", early), ("late", late)):
            t.register_hook(lambda g, name=name, calls=calls: calls.append(name))
        late.sum().backward()
        assert calls == ["late", "early", "x", "w"], lib.__name__


# ------------------------------------------------------------------------------ the graph
def test_grad_fn_names_and_next_functions_have_pytorchs_structure():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    c = mg.tensor([3.0, 4.0])
    t_a, t_c = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0, 4.0])
    node, t_node = (a * c).exp().grad_fn, (t_a * t_c).exp().grad_fn
    assert node.name() == "ExpBackward" and t_node.name() == "ExpBackward0"
    ((mul, index),) = node.next_functions
    ((t_mul, t_index),) = t_node.next_functions
    assert (mul.name(), index) == ("MulBackward", t_index)
    kinds = [[None if n is None else type(n).__name__ for n, _ in fn.next_functions]
             for fn in (mul, t_mul)]
    assert kinds[0] == kinds[1] == ["AccumulateGrad", None]
    (accumulator, _), (t_accumulator, _) = mul.next_functions[0], t_mul.next_functions[0]
    assert accumulator.variable is a and t_accumulator.variable is t_a
    assert accumulator.next_functions == () == t_accumulator.next_functions


def test_walking_next_functions_reaches_every_leaf_once():
    a, b = mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True)
    first, second = mg.unbind(mg.stack([a * b, a.exp()]), 0)
    out = (first + second * 2).sum()
    leaves, seen, stack, outputs = [], set(), [out.grad_fn], {}
    while stack:
        node = stack.pop()
        for nxt, index in node.next_functions:
            if nxt is None:
                continue
            outputs.setdefault(nxt.name(), set()).add(index)
            if nxt in seen:
                continue
            seen.add(nxt)
            if type(nxt).__name__ == "AccumulateGrad":
                leaves.append(nxt.variable)
            stack.append(nxt)
    assert len(leaves) == 2 and {id(t) for t in leaves} == {id(a), id(b)}
    assert outputs["UnbindBackward"] == {0, 1}  # both rows lead to one node


# ----------------------------------------------------------------- backward and grad
@pytest.mark.parametrize("name", ["backward", "grad"])
def test_autograd_entry_points_have_pytorchs_signature(name):
    ours = inspect.signature(getattr(mg.autograd, name)).parameters
    theirs = inspect.signature(getattr(torch.autograd, name)).parameters
    assert [(p.name, p.default) for p in ours.values()] == [
        (p.name, p.default) for p in theirs.values()]
    tensor_ours = inspect.signature(mg.Tensor.backward).parameters
    assert list(tensor_ours) == ["self", "gradient", "retain_graph", "create_graph", "inputs"]


def test_backward_with_inputs_fills_only_theirs():
    results = []
    for lib in (mg, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        m = a * b
        lib.autograd.backward((m * m).sum(), inputs=[a, m])
        results.append((a.grad.numpy(), b.grad is None, m.grad.numpy(), m.retains_grad))
        with pytest.raises(RuntimeError, match="cannot be empty"):
            lib.autograd.backward((a * 2).sum(), inputs=[])
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_backward_and_grad_options():
    x = mg.ones(2, requires_grad=True)
    with pytest.warns(FutureWarning, match="grad_variables"):
        mg.autograd.backward(x * 2, grad_variables=[mg.ones(2)])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        (x * 2).sum().backward(create_graph=True)
    unused = mg.ones(3, requires_grad=True)
    g_x, g_unused = mg.autograd.grad((x * 3).sum(), [x, unused], materialize_grads=True)
    np.testing.assert_array_equal(g_unused.numpy(), np.zeros(3))
    with pytest.raises(ValueError, match="allow_unused to be True"):
        mg.autograd.grad((x * 3).sum(), [unused], allow_unused=False, materialize_grads=True)
    by_name = mg.autograd.grad((x * unused[:2]).sum(), {"x": x, "unused": unused})
    assert list(by_name) == ["x", "unused"]
    np.testing.assert_array_equal(by_name["unused"].numpy(), [1.0, 1.0, 0.0])


# ----------------------------------------------------------------------- inference mode
def test_inference_mode_records_nothing_and_nests_as_pytorch():
    for lib in (mg, torch):
        x = lib.ones(2, requires_grad=True)
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
            assert not (x * 2).requires_grad
            with lib.inference_mode(False):
                assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()
                assert (x * 2).requires_grad
        assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()


def test_enable_grad_inside_inference_mode_still_records_nothing():
    for lib in (mg, torch):
        x = lib.ones(2, requires_grad=True)
        with lib.inference_mode():
            with lib.enable_grad():
                assert not (x * 2).requires_grad
            with lib.set_grad_enabled(True):
                assert not (x * 2).requires_grad
        assert (x * 2).requires_grad


def test_grad_mode_switches_decorate_functions():
    x = mg.ones(2, requires_grad=True)
    for switch in (mg.inference_mode, mg.inference_mode(), mg.no_grad()):
        @switch
        def double(t):
            return t * 2

        assert not double(x).requires_grad and double.__name__ == "double"
    with mg.no_grad():
        assert mg.enable_grad()(lambda: x * 2)().requires_grad
