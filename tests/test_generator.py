"""``mg.Generator`` (``torch.Generator``): seeding as PyTorch takes seeds, streams that repeat
with their seed and that no other draw disturbs, a state that ``mg.save`` stores and that
resumes the stream, and ``generator=`` in ``mg.rand`` / ``mg.randn`` on every backend."""

import inspect

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def draws(generator, n=6):
    return mg.rand(n, generator=generator).numpy()


# ------------------------------------------------------------------------------ seeding
def test_manual_seed_returns_the_generator_and_sets_the_initial_seed():
    g = mg.Generator()
    assert g.manual_seed(42) is g
    assert g.initial_seed() == 42


def test_a_new_generator_starts_from_pytorchs_default_seed_and_repeats():
    assert mg.Generator().initial_seed() == torch.Generator().initial_seed()
    np.testing.assert_array_equal(draws(mg.Generator()), draws(mg.Generator()))


@pytest.mark.parametrize("seed", [0, 7, -1, -2 ** 63, 2 ** 63, 2 ** 64 - 1])
def test_seeds_are_read_as_pytorch_reads_them(seed):
    """Negative seeds wrap to 64 bits, as ``torch.Generator.manual_seed`` does."""
    assert mg.Generator().manual_seed(seed).initial_seed() == \
        torch.Generator().manual_seed(seed).initial_seed()


@pytest.mark.parametrize("seed", [1.5, "3", True, None])
def test_a_seed_that_is_not_an_integer_raises_runtime_error_as_in_pytorch(seed):
    with pytest.raises(RuntimeError):
        torch.Generator().manual_seed(seed)
    with pytest.raises(RuntimeError, match="manual_seed expected a long"):
        mg.Generator().manual_seed(seed)


@pytest.mark.parametrize("seed", [2 ** 64, -2 ** 63 - 1])
def test_a_seed_out_of_range_raises_value_error_as_in_pytorch(seed):
    with pytest.raises(ValueError):
        torch.Generator().manual_seed(seed)
    with pytest.raises(ValueError, match=r"manual_seed: seed .* outside"):
        mg.Generator().manual_seed(seed)


def test_numpy_integers_are_seeds():
    assert mg.Generator().manual_seed(np.int64(5)).initial_seed() == 5


def test_seed_reseeds_from_entropy_and_reports_the_seed():
    g = mg.Generator()
    seed = g.seed()
    assert isinstance(seed, int) and 0 <= seed < 2 ** 64
    assert g.initial_seed() == seed
    np.testing.assert_array_equal(draws(g), draws(mg.Generator().manual_seed(seed)))
    assert mg.Generator().seed() != seed  # 64 bits of entropy: equal only by a bug


# ------------------------------------------------------------------------------ streams
def test_the_same_seed_gives_the_same_numbers_and_another_seed_others():
    first, second = mg.Generator().manual_seed(3), mg.Generator().manual_seed(3)
    np.testing.assert_array_equal(draws(first), draws(second))
    np.testing.assert_array_equal(draws(first), draws(second))  # the streams go on alike
    assert not np.array_equal(draws(mg.Generator().manual_seed(3)),
                              draws(mg.Generator().manual_seed(4)))


def test_draws_advance_the_stream():
    g = mg.Generator().manual_seed(0)
    assert not np.array_equal(draws(g), draws(g))


def test_reseeding_restarts_the_stream():
    g = mg.Generator().manual_seed(11)
    expected = draws(g)
    draws(g)
    np.testing.assert_array_equal(draws(g.manual_seed(11)), expected)


def test_a_generator_is_independent_of_the_shared_generator():
    g = mg.Generator().manual_seed(5)
    expected = [draws(g) for _ in range(2)]
    g.manual_seed(5)
    mg.manual_seed(123)
    first = draws(g)
    mg.randn(10)  # draws from the shared generator in between change nothing
    mg.manual_seed(9)
    np.testing.assert_array_equal(first, expected[0])
    np.testing.assert_array_equal(draws(g), expected[1])


def test_drawing_from_a_generator_leaves_the_shared_generator_alone():
    state = mg.get_rng_state()
    draws(mg.Generator())
    mg.randn(3, generator=mg.Generator())
    assert mg.get_rng_state() == state


def test_a_seed_gives_a_generator_the_numbers_manual_seed_gives_the_shared_one():
    """As in PyTorch, where ``torch.manual_seed(s)`` seeds a generator like any other."""
    mg.manual_seed(21)
    shared = (mg.rand(4).numpy(), mg.randn(3).numpy())
    g = mg.Generator().manual_seed(21)
    np.testing.assert_array_equal(mg.rand(4, generator=g).numpy(), shared[0])
    np.testing.assert_array_equal(mg.randn(3, generator=g).numpy(), shared[1])


# -------------------------------------------------------------------------------- state
def test_state_replays_the_same_draws_and_set_state_returns_the_generator():
    g = mg.Generator().manual_seed(8)
    draws(g)
    state = g.get_state()
    expected = draws(g)
    g.manual_seed(99)
    assert g.set_state(state) is g
    np.testing.assert_array_equal(draws(g), expected)


def test_set_state_restores_the_initial_seed_as_in_pytorch():
    theirs = torch.Generator().manual_seed(1)
    state = theirs.get_state()
    theirs.manual_seed(2).set_state(state)
    ours = mg.Generator().manual_seed(1)
    ours_state = ours.get_state()
    ours.manual_seed(2).set_state(ours_state)
    assert ours.initial_seed() == theirs.initial_seed() == 1


def test_state_is_plain_data_that_a_checkpoint_stores(tmp_path):
    g = mg.Generator().manual_seed(2 ** 64 - 1)
    draws(g)
    mg.save({"generator": g.get_state()}, tmp_path / "g.ckpt")
    expected = draws(g)
    restored = mg.Generator().set_state(mg.load(tmp_path / "g.ckpt")["generator"])
    assert restored.initial_seed() == 2 ** 64 - 1
    np.testing.assert_array_equal(draws(restored), expected)


def test_get_state_is_a_snapshot():
    g = mg.Generator()
    state = g.get_state()
    draws(g)
    assert g.get_state() != state
    assert mg.Generator().get_state() == state


@pytest.mark.parametrize("state", [[1, 2], {"bit_generator": {}}, "state"])
def test_set_state_refuses_what_get_state_did_not_make(state):
    with pytest.raises(TypeError, match="Generator.get_state"):
        mg.Generator().set_state(state)


# ------------------------------------------------------------------ rand / randn
def test_generator_is_keyword_only_in_rand_and_randn_as_in_pytorch():
    for fn in (mg.rand, mg.randn):
        parameter = inspect.signature(fn).parameters["generator"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is None


@pytest.mark.parametrize("fn", [mg.rand, mg.randn])
def test_rand_and_randn_with_a_generator_on_every_backend(backend, fn):
    """Same seed, same numbers on every backend (all draw on the host), in the asked dtype
    and shape, on the default backend."""
    x = fn(2, 3, generator=mg.Generator().manual_seed(4), dtype=mg.float64)
    assert x.backend == backend and tuple(x.shape) == (2, 3) and x.dtype == mg.float64
    mg.set_default_backend("numpy")
    reference = fn(2, 3, generator=mg.Generator().manual_seed(4), dtype=mg.float64)
    np.testing.assert_array_equal(x.numpy(), reference.numpy())


def test_rand_draws_in_zero_one_and_randn_is_standard_normal():
    g = mg.Generator().manual_seed(0)
    uniform = mg.rand(20000, generator=g).numpy()
    normal = mg.randn(20000, generator=g, dtype=mg.float64).numpy()
    assert uniform.min() >= 0.0 and uniform.max() < 1.0 and uniform.dtype == np.float32
    assert abs(normal.mean()) < 0.05 and abs(normal.std() - 1.0) < 0.05


def test_rand_with_a_generator_keeps_requires_grad():
    x = mg.randn(3, generator=mg.Generator(), requires_grad=True)
    assert x.requires_grad and x.grad is None


@pytest.mark.parametrize("generator", [5, np.random.default_rng(0)])
def test_a_generator_that_is_not_mg_generator_is_a_type_error(generator):
    with pytest.raises(TypeError, match=r"randn: generator must be a minigrad Generator"):
        mg.randn(2, generator=generator)


def test_generator_is_on_the_cpu_and_is_pytorchs_name():
    assert mg.Generator().device.type == "cpu"
    assert mg.Generator(device="cpu").device.type == torch.Generator(device="cpu").device.type
    assert "Generator" in mg.__all__ and hasattr(torch, "Generator")


def test_manual_seed_keeps_seeding_the_shared_generator():
    mg.manual_seed(6)
    first = mg.rand(5).numpy()
    mg.manual_seed(6)
    np.testing.assert_array_equal(mg.rand(5).numpy(), first)
