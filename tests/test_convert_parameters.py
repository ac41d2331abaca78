"""``nn.utils.parameters_to_vector`` and ``vector_to_parameters`` against PyTorch's, on every
backend: the same vector, gradients that flow back through it, parameters that become views
of the vector, and the same errors."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def model(nn):
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2, bias=False))


def paired():
    torch.manual_seed(0)
    theirs = model(torch.nn)
    ours = model(mg.nn)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def test_parameters_to_vector_matches_torch(backend):
    ours, theirs = paired()
    ours.to(backend)
    vec = mg.nn.utils.parameters_to_vector(ours.parameters())
    want = torch.nn.utils.parameters_to_vector(theirs.parameters())
    assert vec.backend == backend and vec.shape == tuple(want.shape) == (32,)
    np.testing.assert_array_equal(vec.numpy(), want.detach().numpy())


def test_gradients_flow_back_through_the_vector(backend):
    ours, theirs = paired()
    ours.to(backend)
    weights = np.linspace(-1, 1, 32, dtype=np.float32)
    (mg.nn.utils.parameters_to_vector(ours.parameters()) ** 2 * mg.tensor(weights)).sum() \
        .backward()
    (torch.nn.utils.parameters_to_vector(theirs.parameters()) ** 2
     * torch.tensor(weights)).sum().backward()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, err_msg=name)


def test_vector_to_parameters_matches_torch_and_makes_views(backend):
    ours, theirs = paired()
    ours.to(backend)
    values = np.arange(35, dtype=np.float32) / 10  # three entries more than needed: ignored
    vec = mg.tensor(values)
    torch_vec = torch.tensor(values)
    mg.nn.utils.vector_to_parameters(vec, ours.parameters())
    torch.nn.utils.vector_to_parameters(torch_vec, theirs.parameters())
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        assert p.shape == tuple(q.shape), name
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy(), err_msg=name)
    with mg.no_grad():
        vec.mul_(2.0)  # the parameters are views of the vector, as in PyTorch
    torch_vec.mul_(2.0)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy(), err_msg=name)
    assert ours(mg.ones(5, 3)).shape == (5, 2)


def test_vector_to_parameters_gives_the_vectors_dtype_as_torch():
    ours, theirs = paired()
    mg.nn.utils.vector_to_parameters(mg.zeros(32, dtype=mg.float64), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.zeros(32, dtype=torch.float64), theirs.parameters())
    assert [p.dtype.name for p in ours.parameters()] == \
        [str(q.dtype).split(".")[-1] for q in theirs.parameters()] == ["float64"] * 5


@pytest.mark.parametrize("vec, error", [([0.0] * 30, TypeError), ("zeros(31)", RuntimeError)],
                         ids=["not_a_tensor", "too_short"])
def test_vector_to_parameters_errors_match_torch(vec, error):
    ours, theirs = paired()
    for lib, net in ((mg, ours), (torch, theirs)):
        given = lib.zeros(31) if vec == "zeros(31)" else vec
        with pytest.raises(error):
            lib.nn.utils.vector_to_parameters(given, net.parameters())


@pytest.mark.skipif("numba" not in mg.available_backends(), reason="needs a second backend")
def test_parameters_on_two_backends_raise_type_error():
    ours, _ = paired()
    ours[0].to("numba")
    with pytest.raises(TypeError, match="different devices"):
        mg.nn.utils.parameters_to_vector(ours.parameters())
    with pytest.raises(TypeError, match="different devices"):
        mg.nn.utils.vector_to_parameters(mg.zeros(32), ours.parameters())
