"""A small GPT, the decoder-only Transformer of minGPT and nanoGPT, with what trains it.

Token and position embeddings, Pre-LN blocks (LayerNorm before attention and before the
MLP, the residual stream left un-normalized), a final LayerNorm and a head that shares its
weight with the token embedding. Training: AdamW with decoupled weight decay on the Linear
matrices only, a linear warm-up into a cosine decay, and clipping by global norm 1.0.
``GPT.generate`` samples with temperature and top-k, keeping every layer's keys and values
so that each new token costs one position's work. The task scripts gpt_sort.py and
gpt_addition.py import this file; run one of them, not this one."""

import math
import time

import minigrad as torch
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.optim.lr_scheduler import LambdaLR

INIT_STD = 0.02


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where each position sees itself and the ones before it.
    ``past`` holds the keys and values of earlier positions, (batch, heads, seen, head_dim)
    each; the call returns the keys and values including the new positions, for the next."""

    def __init__(self, d_model, n_head):
        super().__init__()
        if d_model % n_head:
            raise ValueError(f"CausalSelfAttention: d_model {d_model} is not divisible by "
                             f"n_head {n_head}")
        self.n_head = n_head
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x, past=None):
        batch, length, width = x.shape
        q, k, v = (part.view(batch, length, self.n_head, width // self.n_head).transpose(1, 2)
                   for part in self.qkv(x).split(width, dim=2))
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        # NOTE: is_causal lets query i see keys 0..i, counted from the first key: right when
        # queries and keys start together (training, or a prompt into an empty cache). A
        # single new token after a filled cache may see every key, so it needs no mask.
        y = F.scaled_dot_product_attention(q, k, v, is_causal=past is None)
        return self.proj(y.transpose(1, 2).reshape(batch, length, width)), (k, v)


class Block(nn.Module):
    """x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x)): Pre-LN, which trains
    stably where Post-LN would need a long warm-up (Xiong et al. 2020)."""

    def __init__(self, d_model, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(approximate="tanh"),
                                 nn.Linear(4 * d_model, d_model))

    def forward(self, x, past=None):
        attended, present = self.attn(self.ln_1(x), past)
        x = x + attended
        return x + self.mlp(self.ln_2(x)), present


class GPT(nn.Module):
    """Next-token logits (batch, length, vocab_size) for token ids (batch, length)."""

    def __init__(self, vocab_size, block_size, n_layer=2, d_model=64, n_head=4):
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(block_size, d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        # NOTE: weight tying: reading a token in and scoring it out use one matrix
        self.head.weight = self.tok_emb.weight
        self.apply(init_weights)
        # NOTE: each block adds two projections into the residual stream; GPT-2 scales
        # their initial weights so that the stream's variance does not grow with depth
        for block in self.blocks:
            for projection in (block.attn.proj, block.mlp[2]):
                nn.init.normal_(projection.weight, std=INIT_STD / math.sqrt(2 * n_layer))

    def forward(self, idx, cache=None):
        """``cache``, when given, is a list with one entry per block (None while empty),
        updated in place: then ``idx`` is either the prompt, into an empty cache, or the
        one token that follows what the cache holds."""
        past = cache if cache is not None else [None] * len(self.blocks)
        start = 0 if past[0] is None else past[0][0].shape[2]
        if start + idx.shape[1] > self.block_size:
            raise ValueError(f"GPT: {start + idx.shape[1]} positions exceed block_size "
                             f"{self.block_size}")
        if start and idx.shape[1] != 1:
            raise ValueError(f"GPT: after a filled cache feed one token, got {idx.shape[1]}")
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(start, start + idx.shape[1]))
        for index, block in enumerate(self.blocks):
            x, present = block(x, past[index])
            if cache is not None:
                cache[index] = present
        return self.head(self.ln_f(x))

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True):
        """``idx`` followed by ``max_new_tokens`` sampled tokens, each from the softmax of
        the last logits / temperature, restricted to the ``top_k`` largest (top_k=1 is
        greedy). With ``use_cache`` the prompt runs once and each step feeds only its new
        token; without, each step reruns the whole sequence (same tokens, more work)."""
        cache = [None] * len(self.blocks) if use_cache else None
        fed = idx
        for _ in range(max_new_tokens):
            logits = self(fed, cache)[:, -1, :] / temperature
            if top_k is not None:
                kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, -1:]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            token = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            idx = torch.cat([idx, token], dim=1)
            fed = token if use_cache else idx
        return idx


def init_weights(module):
    """minGPT's initialization: Linear and Embedding weights N(0, 0.02), biases zero."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=INIT_STD)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)


def make_optimizer(model, lr, weight_decay=0.1, betas=(0.9, 0.95)):
    """AdamW whose decoupled weight decay pulls only the Linear matrices toward zero; the
    biases, LayerNorm gains and embeddings (the tied head among them) are left alone."""
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    decay = {id(m.weight) for m in model.modules() if isinstance(m, nn.Linear)} - embeddings
    params = list(model.parameters())
    groups = [{"params": [p for p in params if id(p) in decay], "weight_decay": weight_decay},
              {"params": [p for p in params if id(p) not in decay], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas)


def warmup_cosine(optimizer, warmup_steps, total_steps, floor=0.1):
    """LambdaLR: the rate rises linearly over ``warmup_steps``, then follows a half cosine
    down to ``floor`` times the base rate at ``total_steps``."""
    def factor(step):
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
    return LambdaLR(optimizer, factor)


def train(model, batch, steps, lr=1e-3, warmup_steps=100, log_every=0):
    """``steps`` AdamW steps on ``batch()``'s (inputs, targets); targets of -1 add no loss
    (the prompt positions). Prints the loss every ``log_every`` steps (0: never)."""
    optimizer = make_optimizer(model, lr)
    scheduler = warmup_cosine(optimizer, warmup_steps, steps)
    model.train()
    for step in range(steps):
        inputs, targets = batch()
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                               ignore_index=-1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(f"step {step:5d} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.2e}")


def exact_accuracy(model, prompts, answers):
    """The fraction of rows whose greedy continuation of ``prompts`` is ``answers``
    token for token, and the continuations."""
    model.eval()
    completed = model.generate(prompts, answers.shape[1], top_k=1)[:, prompts.shape[1]:]
    return (completed == answers).all(dim=1).float().mean().item(), completed


def digits(numbers, count, base=10):
    """The ``count`` lowest base-``base`` digits of non-negative int64 ``numbers``, (N,)
    -> (N, count), least significant first."""
    # NOTE: float32 division then floor is exact while numbers < 2**24: the quotient is
    # at least 1 / base**k away from the next integer, more than float32's rounding
    shifted = torch.floor(numbers[:, None] / base ** torch.arange(count)).long()
    return torch.remainder(shifted, base)


def next_token_pairs(prompts, answers):
    """Training rows for prompt-then-answer sequences: inputs are the sequence but its last
    token, targets the sequence shifted by one, -1 where the next token is still prompt
    (the model is scored on answers only, as in minGPT's demos)."""
    ignored = torch.full((prompts.shape[0], prompts.shape[1] - 1), -1)
    return torch.cat([prompts, answers], dim=1)[:, :-1], torch.cat([ignored, answers], dim=1)


def split_problems(num_problems, num_test, generator):
    """Problem ids 0..num_problems-1 shuffled into (train ids, held-out ids)."""
    order = torch.randperm(num_problems, generator=generator)
    return order[num_test:], order[:num_test]


def sample(ids, batch_size, generator):
    """``batch_size`` ids drawn from ``ids`` with replacement."""
    return ids[torch.randint(0, len(ids), (batch_size,), generator=generator)]


def solve(problems, num_problems, vocab_size, *, num_test, steps, show, batch_size=64,
          lr=1e-3, warmup_steps=100, seed=0, log_every=500, shown=4, **sizes):
    """Trains a GPT on a synthetic task and returns its held-out exact accuracy.
    ``problems(ids)`` gives (prompts, answers), int64 (N, P) and (N, A), for problem ids
    (N,) in 0..num_problems-1; ``num_test`` ids never seen in training score the model,
    and ``shown`` of them are printed as ``show(prompt, answer)`` writes a problem from
    its token lists. ``sizes`` go to GPT (n_layer, d_model, n_head)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    train_ids, test_ids = split_problems(num_problems, num_test, generator)
    prompts, answers = problems(test_ids)
    block_size = prompts.shape[1] + answers.shape[1] - 1
    model = GPT(vocab_size, block_size, **sizes)
    print(f"GPT: {sum(p.numel() for p in model.parameters())} parameters, "
          f"{len(train_ids)} training problems, {num_test} held out")
    start = time.perf_counter()
    train(model, lambda: next_token_pairs(*problems(sample(train_ids, batch_size, generator))),
          steps, lr=lr, warmup_steps=warmup_steps, log_every=log_every)
    accuracy, completed = exact_accuracy(model, prompts, answers)
    seconds = time.perf_counter() - start
    for prompt, answer, guess in zip(prompts[:shown].tolist(), answers[:shown].tolist(),
                                     completed[:shown].tolist()):
        verdict = "" if guess == answer else f"   wrong, expected {show(prompt, answer)}"
        print(f"  {show(prompt, guess)}{verdict}")
    print(f"held-out exact accuracy {100 * accuracy:.2f}% after {steps} steps "
          f"({seconds:.0f} s)")
    return accuracy
