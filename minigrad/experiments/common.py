"""What the experiments share: a recurrent matrix of chosen spectral radius, one gradient step
with optional norm clipping, command-line and output helpers, and a plain-text table."""

import argparse
import pathlib

import minigrad as mg
from minigrad.nn.utils import clip_grad_norm_, get_total_norm


def scaled_orthogonal(size, radius, dtype=mg.float64):
    """A random ``size`` x ``size`` orthogonal matrix times ``radius``.

    Built as a product of ``size`` random Householder reflections ``I - 2 v v^T / v^T v``, so
    it is orthogonal to rounding error without a QR routine. Every eigenvalue of an orthogonal
    matrix has modulus 1, so the spectral radius of the result is exactly ``radius``, and it
    stretches every vector by that same factor: the cleanest recurrent matrix for watching
    gradients vanish (radius < 1) or explode (radius > 1).
    """
    index = mg.arange(size)
    q = (index.unsqueeze(1) == index).to(dtype)
    for _ in range(size):
        v = mg.randn(size, 1, dtype=dtype)
        q = q - (q @ v) @ v.transpose(0, 1) * (2.0 / float((v * v).sum()))
    return q * radius


def gradient_step(loss, parameters, optimizer, max_norm=None):
    """Backpropagate ``loss``, clip the gradients to total norm ``max_norm`` (none if None)
    and take one optimizer step.

    Returns the gradient norm before clipping and the norm of the gradient the step used, so
    a caller can both trace the raw norm and check that clipping held.
    """
    optimizer.zero_grad()
    loss.backward()
    if max_norm is None:
        raw = used = float(get_total_norm([p.grad for p in parameters]))
    else:
        raw = float(clip_grad_norm_(parameters, max_norm))
        used = float(get_total_norm([p.grad for p in parameters]))
    optimizer.step()
    return raw, used


def parser(description):
    """An argument parser with the ``--output DIR`` every experiment takes."""
    result = argparse.ArgumentParser(description=description)
    result.add_argument("--output", default=".", help="folder for the plots (default: here)")
    return result


def output_file(folder, name):
    """``folder/name``, creating the folder if needed."""
    path = pathlib.Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path / name


def pyplot():
    """matplotlib's pyplot; on the Agg backend (files only, no display needed) unless pyplot
    is already in use, as in a notebook, whose inline figures must keep working."""
    import sys

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def format_table(headers, rows):
    """Rows of already formatted cells as right-aligned, space-separated columns."""
    cells = [list(map(str, headers))] + [list(map(str, row)) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
