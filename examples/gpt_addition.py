"""minGPT's addition demo on the small GPT of gpt_model.py: the prompt is two NDIGIT-digit
numbers, digit by digit (most significant first), the answer their sum's NDIGIT + 1 digits
in reverse, least significant first, so that each digit is written after the ones its
carry depends on. Some of the 10**(2 * NDIGIT) sums are held out for scoring."""

from gpt_model import digits, solve

import minigrad as torch

NDIGIT = 2


def addition_problems(ids, ndigit=NDIGIT):
    """Problem ``id`` = a * 10**ndigit + b: the prompt is a's then b's digits, the answer
    the digits of a + b, least significant first."""
    low_first = digits(ids, 2 * ndigit)
    place = 10 ** torch.arange(ndigit)
    a, b = (low_first[:, ndigit:] * place).sum(dim=1), (low_first[:, :ndigit] * place).sum(dim=1)
    return low_first.flip(1), digits(a + b, ndigit + 1)


def as_text(prompt, answer):
    """A problem as "35 + 77 = 112", the answer's reversed digits read back in order."""
    ndigit = len(prompt) // 2
    a, b, total = (int("".join(map(str, part))) for part in
                   (prompt[:ndigit], prompt[ndigit:], answer[::-1]))
    return f"{a} + {b} = {total}"


def main(ndigit=NDIGIT, steps=3000, num_test=1000, **options):
    """Trains and evaluates; ``options`` go to ``solve`` (seed, batch_size, sizes, ...)."""
    return solve(lambda ids: addition_problems(ids, ndigit), 10 ** (2 * ndigit), 10,
                 num_test=num_test, steps=steps, show=as_text, **options)


if __name__ == "__main__":
    main()
