"""minGPT's sorting demo on the small GPT of gpt_model.py: the prompt is a sequence of
digits, the answer the same digits in ascending order, generated one token at a time.
Every sequence of LENGTH digits below BASE is a problem; some are held out, and the model
must sort those exactly (all LENGTH tokens right) after training on the others."""

from gpt_model import digits, solve

import minigrad as torch

LENGTH, BASE = 6, 10


def sort_problems(ids, length=LENGTH, base=BASE):
    """Problem ``id``'s prompt is its ``length`` base-``base`` digits, its answer the same
    digits sorted."""
    prompts = digits(ids, length, base)
    return prompts, torch.sort(prompts, dim=1).values


def as_text(prompt, answer):
    """A problem as "302 -> 023"."""
    return f"{''.join(map(str, prompt))} -> {''.join(map(str, answer))}"


def main(length=LENGTH, base=BASE, steps=2000, num_test=2000, **options):
    """Trains and evaluates; ``options`` go to ``solve`` (seed, batch_size, sizes, ...)."""
    return solve(lambda ids: sort_problems(ids, length, base), base ** length, base,
                 num_test=num_test, steps=steps, show=as_text, **options)


if __name__ == "__main__":
    main()
