"""The small GPT of examples/gpt_model.py (the model of gpt_sort.py and gpt_addition.py,
which are too long for tests/test_examples.py's twin runs): a reduced sorting task it must
solve within the suite's budget, its key/value cache against full reruns, weight tying, the
AdamW parameter groups, the schedule, and PyTorch running the same source to the same
numbers."""

import importlib
import importlib.util
import math
import pathlib

import numpy as np
import pytest

import minigrad as mg

EXAMPLES_DIR = pathlib.Path(__file__).resolve().parent.parent / "examples"
SIZES = {"n_layer": 2, "d_model": 16, "n_head": 2}
# NOTE: seeds 0-4 all scored 100% of the 200 held-out sequences with these settings (and
# 90-100% after only 150 steps), while attention without the causal mask (training that
# reads the answer it must write) fails the bound. About 5 s of CPU on 2 cores.
SMALL_SORT = {"length": 5, "base": 4, "steps": 400, "num_test": 200, "warmup_steps": 50,
              "n_layer": 2, "d_model": 32, "n_head": 4, "log_every": 0, "shown": 2}
REQUIRED_ACCURACY = 0.98


@pytest.fixture(scope="module")
def examples():
    """gpt_model and gpt_sort, imported from examples/ as the scripts import each other."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(EXAMPLES_DIR))
        return importlib.import_module("gpt_model"), importlib.import_module("gpt_sort")


@pytest.fixture()
def gpt(examples):
    return examples[0]


def small_model(gpt, vocab_size=7, block_size=12):
    return gpt.GPT(vocab_size, block_size, **SIZES).double()


def test_sorter_reaches_high_held_out_accuracy(examples, capsys):
    accuracy = examples[1].main(**SMALL_SORT, seed=0)
    printed = capsys.readouterr().out
    assert accuracy >= REQUIRED_ACCURACY, printed
    assert f"held-out exact accuracy {100 * accuracy:.2f}%" in printed
    assert printed.count(" -> ") == SMALL_SORT["shown"]


def test_sort_problems_pair_each_sequence_with_its_sorted_digits(examples):
    prompts, answers = examples[1].sort_problems(mg.arange(4 ** 5), 5, 4)
    digits = np.array([[i // 4 ** k % 4 for k in range(5)] for i in range(4 ** 5)])
    np.testing.assert_array_equal(prompts.numpy(), digits)
    np.testing.assert_array_equal(answers.numpy(), np.sort(digits, axis=1))


@pytest.mark.parametrize("options", [{"top_k": 1}, {"temperature": 0.7, "top_k": 4}, {}],
                         ids=["greedy", "top-k", "full-softmax"])
def test_cache_generates_the_tokens_a_full_rerun_generates(gpt, options):
    model = small_model(gpt).eval()
    prompt = mg.randint(0, 7, (5, 4))
    runs = []
    for use_cache in (True, False):
        mg.manual_seed(1)
        runs.append(model.generate(prompt, 8, use_cache=use_cache, **options).numpy())
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0][:, :4], prompt.numpy())
    assert runs[0].shape == (5, 12)


def test_cached_logits_are_the_full_forward_logits(gpt):
    model = small_model(gpt).eval()
    tokens = mg.randint(0, 7, (3, 12))
    with mg.no_grad():
        full = model(tokens).numpy()
        cache = [None] * SIZES["n_layer"]
        steps = [model(tokens[:, :5], cache)] + [model(tokens[:, i:i + 1], cache)
                                                  for i in range(5, 12)]
    np.testing.assert_allclose(np.concatenate([s.numpy() for s in steps], axis=1), full,
                               rtol=1e-12, atol=1e-14)
    assert cache[0][0].shape == (3, SIZES["n_head"], 12, SIZES["d_model"] // SIZES["n_head"])


def test_cache_refuses_what_it_cannot_serve(gpt):
    model = small_model(gpt, block_size=6).eval()
    with pytest.raises(ValueError, match="exceed block_size 6"):
        model.generate(mg.zeros(1, 4, dtype=mg.int64), 4)
    cache = [None] * SIZES["n_layer"]
    model(mg.zeros(1, 2, dtype=mg.int64), cache)
    with pytest.raises(ValueError, match="feed one token"):
        model(mg.zeros(1, 2, dtype=mg.int64), cache)


def test_head_is_the_token_embedding(gpt):
    model = small_model(gpt)
    assert model.head.weight is model.tok_emb.weight
    parameters = list(model.parameters())
    assert len({id(p) for p in parameters}) == len(parameters)
    assert "head.weight" not in dict(model.named_parameters())
    inputs, targets = gpt.next_token_pairs(mg.randint(0, 7, (4, 3)), mg.randint(0, 7, (4, 3)))
    gpt.train(model, lambda: (inputs, targets), steps=2)
    assert model.head.weight is model.tok_emb.weight


def test_weight_decay_falls_on_linear_matrices_only(gpt):
    model = small_model(gpt)
    decayed, kept = gpt.make_optimizer(model, lr=1e-3, weight_decay=0.1).param_groups
    names = {id(p): name for name, p in model.named_parameters()}
    matrices = {f"blocks.{i}.{layer}.weight" for i in range(SIZES["n_layer"])
                for layer in ("attn.qkv", "attn.proj", "mlp.0", "mlp.2")}
    assert {names[id(p)] for p in decayed["params"]} == matrices
    assert {names[id(p)] for p in kept["params"]} == set(names.values()) - matrices
    assert (decayed["weight_decay"], kept["weight_decay"]) == (0.1, 0.0)


def test_warmup_then_cosine_down_to_the_floor(gpt):
    optimizer = mg.optim.SGD([mg.nn.Parameter(mg.zeros(1))], lr=2.0)
    scheduler = gpt.warmup_cosine(optimizer, warmup_steps=4, total_steps=14, floor=0.1)
    rates = []
    for _ in range(16):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    expected = [2.0 * (step + 1) / 4 for step in range(4)] + [
        2.0 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1, (step - 4) / 10))))
        for step in range(4, 16)]
    np.testing.assert_allclose(rates, expected, rtol=1e-12)


def test_pytorch_running_the_same_source_computes_the_same(gpt, tmp_path):
    """The example is PyTorch code: with its import lines pointed at torch, the same
    weights give the same logits, the same generation and the same three training steps
    (AdamW groups, clipping, the schedule, the tied weight's two gradients)."""
    torch = pytest.importorskip("torch", reason="parity needs: pip install 'minigrad[parity]'")
    from test_examples import torch_source

    ported = tmp_path / "gpt_model_torch.py"
    ported.write_text(torch_source(EXAMPLES_DIR / "gpt_model.py"))
    spec = importlib.util.spec_from_file_location("gpt_model_torch", ported)
    torch_gpt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(torch_gpt)

    ours = small_model(gpt)
    theirs = torch_gpt.GPT(7, 12, **SIZES).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    assert theirs.head.weight is theirs.tok_emb.weight
    tokens = np.random.default_rng(0).integers(0, 7, (6, 8))
    with torch.no_grad():
        expected = theirs(torch.tensor(tokens)).numpy()
    with mg.no_grad():
        np.testing.assert_allclose(ours(mg.tensor(tokens)).numpy(), expected, rtol=1e-10)
    prompt = tokens[:, :4]
    np.testing.assert_array_equal(
        ours.generate(mg.tensor(prompt), 8, top_k=1).numpy(),
        theirs.generate(torch.tensor(prompt), 8, top_k=1).numpy())

    pairs = (gpt.next_token_pairs(mg.tensor(prompt), mg.tensor(tokens[:, 4:])),
             torch_gpt.next_token_pairs(torch.tensor(prompt), torch.tensor(tokens[:, 4:])))
    for model, module, batch in ((ours, gpt, pairs[0]), (theirs, torch_gpt, pairs[1])):
        module.train(model, lambda batch=batch: batch, steps=3, lr=1e-2, warmup_steps=2)
    after = {name: p.detach().numpy() for name, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), after[name], rtol=1e-8, atol=1e-10,
                                   err_msg=name)
