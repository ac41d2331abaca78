"""Module hooks: forward, forward-pre and full-backward hooks, what they see, what they may
replace, and removal by handle."""

import numpy as np

import minigrad as mg
from minigrad import nn


def test_forward_hook_sees_inputs_and_output_and_can_replace_it():
    layer = nn.Linear(3, 2)
    calls = []
    handle = layer.register_forward_hook(lambda m, inputs, out: calls.append((m, inputs, out)))
    x = mg.randn(4, 3)
    out = layer(x)
    ((module, inputs, seen),) = calls
    assert module is layer and inputs[0] is x and seen is out
    handle.remove()
    layer(x)
    assert len(calls) == 1

    replace = layer.register_forward_hook(lambda m, inputs, out: out * 0)
    assert not np.any(layer(x).numpy())
    replace.remove()
    np.testing.assert_array_equal(layer(x).numpy(), out.numpy())


def test_forward_pre_hook_can_replace_the_inputs():
    layer = nn.Identity()
    seen = []
    handle = layer.register_forward_pre_hook(lambda m, inputs: seen.append(inputs))
    x = mg.randn(2)
    layer(x)
    assert seen[0][0] is x
    handle.remove()
    layer.register_forward_pre_hook(lambda m, inputs: (inputs[0] * 2,))
    np.testing.assert_array_equal(layer(x).numpy(), 2 * x.numpy())


def _hooked_mlp():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    calls = {}
    for index in (0, 2):
        model[index].register_full_backward_hook(
            lambda m, grad_input, grad_output, index=index: calls.setdefault(
                index, (grad_input, grad_output)))
    return model, calls


def test_full_backward_hook_receives_output_and_input_gradients():
    model, calls = _hooked_mlp()
    x = mg.randn(5, 3, requires_grad=True)
    cotangent = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    (model(x) * mg.tensor(cotangent)).sum().backward()

    w0, b0, w2 = (model[0].weight.numpy(), model[0].bias.numpy(), model[2].weight.numpy())
    pre = x.numpy() @ w0.T + b0
    g_hidden = cotangent @ w2  # dL/d(input of layer 2) = dL/d(output of tanh)
    g_pre = g_hidden * (1 - np.tanh(pre) ** 2)  # dL/d(output of layer 0)

    (g_in2,), (g_out2,) = calls[2]
    np.testing.assert_allclose(np.asarray(g_out2), cotangent, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(g_in2), g_hidden, rtol=1e-5, atol=1e-6)
    (g_in0,), (g_out0,) = calls[0]
    np.testing.assert_allclose(np.asarray(g_out0), g_pre, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(g_in0), x.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(g_in0), g_pre @ w0, rtol=1e-5, atol=1e-6)


def test_full_backward_hook_matches_autograd_grad():
    model, calls = _hooked_mlp()
    x = mg.randn(5, 3)
    hidden = model[1](model[0](x))
    out = model[2](hidden)
    (g_hidden,) = mg.autograd.grad(out.sum(), [hidden], retain_graph=True)
    out.sum().backward()
    np.testing.assert_allclose(np.asarray(calls[2][0][0]), g_hidden.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(calls[2][1][0]), np.ones((5, 2), np.float32))


def test_full_backward_hook_gets_none_for_an_input_without_grad():
    model, calls = _hooked_mlp()
    model(mg.randn(5, 3)).sum().backward()
    grad_input, grad_output = calls[0]
    assert grad_input == (None,)
    assert np.asarray(grad_output[0]).shape == (5, 4)


def test_full_backward_hook_gradients_are_tensors():
    # as in PyTorch, hooks get Tensors, so torch-style hook code (g.abs().max()) ports unchanged
    model, calls = _hooked_mlp()
    model(mg.randn(5, 3, requires_grad=True)).sum().backward()
    (g_in,), (g_out,) = calls[2]
    assert isinstance(g_in, mg.Tensor) and isinstance(g_out, mg.Tensor)


def test_removed_backward_hook_is_not_called():
    layer = nn.Linear(3, 2)
    calls = []
    handle = layer.register_full_backward_hook(lambda *args: calls.append(args))
    handle.remove()
    layer(mg.randn(4, 3, requires_grad=True)).sum().backward()
    assert calls == []
