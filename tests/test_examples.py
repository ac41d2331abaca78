"""The programs in examples/ are PyTorch code whose import lines alone name minigrad. Each
runs here twice, on minigrad and with those lines pointed back at torch, from the same
initial weights and data, and the two runs must print the same lines with the same numbers
to float32 rounding."""

import contextlib
import io
import math
import pathlib
import re
import runpy

import numpy as np
import pytest

import minigrad

torch = pytest.importorskip(
    "torch", reason="comparing the examples with PyTorch needs: pip install 'minigrad[parity]'")

EXAMPLES_DIR = pathlib.Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))
# NOTE: the GPT programs train for a minute each on data drawn with randint and randperm,
# which SharedDraws does not share between the runs: tests/test_gpt_tasks.py checks them
# (a smaller sorting task, and PyTorch running gpt_model.py to the same numbers)
# NOTE: ddp_digits.py trains data-parallel under mpiexec: tests/test_distributed.py runs it
CHECKED_ELSEWHERE = {
    **dict.fromkeys(("gpt_model.py", "gpt_sort.py", "gpt_addition.py"),
                    "a GPT program: tests/test_gpt_tasks.py checks it"),
    "ddp_digits.py": "a data-parallel program for mpiexec: tests/test_distributed.py runs it",
    "ddp_batchnorm_stats.py": "a data-parallel program for mpiexec: "
                              "tests/test_ddp_batchnorm_stats.py runs it"}
TWIN_RUNS = [pytest.param(path, id=path.stem, marks=pytest.mark.skipif(
    path.name in CHECKED_ELSEWHERE, reason=CHECKED_ELSEWHERE.get(path.name, "")))
    for path in EXAMPLES]
IMPORT_LINE = re.compile(r"^(import|from) minigrad\b", re.MULTILINE)
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
# NOTE: both runs compute in float32, whose rounding (eps 1.2e-7) differs between the two
# libraries through summation order and fused kernels. Over the few hundred contracting
# steps the programs take, the measured gap stays below 1e-5 relative; 1e-4 leaves room
# while a wrong gradient, clipping or schedule moves the losses by percents. ATOL covers
# values printed with six decimals that round either side of the last digit, near zero.
RTOL, ATOL = 1e-4, 2e-6


class SharedDraws:
    """One NumPy generator feeding a framework's random draws in call order: ``randn`` and
    the initialization of ``nn.Linear`` and ``nn.Conv2d``. Fresh for each run, so both
    frameworks draw the same numbers wherever the program asks for them in the same order."""

    def __init__(self, framework):
        self.framework = framework
        self.rng = np.random.default_rng(0)

    def randn(self, *size, dtype=None, requires_grad=False, device=None):
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        return self.framework.tensor(self.rng.standard_normal(size),
                                     dtype=dtype or self.framework.float32,
                                     requires_grad=requires_grad, device=device)

    def reset_layer(self, layer):
        """PyTorch's default for Linear and Conv2d: weight and bias uniform in
        +-1/sqrt(fan_in), fan_in = in_features, or in_channels / groups * kh * kw."""
        fan_in = math.prod(layer.weight.shape[1:])
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        with self.framework.no_grad():
            for param in (layer.weight, layer.bias):
                if param is not None:
                    values = self.rng.uniform(-bound, bound, size=tuple(param.shape))
                    param.copy_(self.framework.tensor(values, dtype=param.dtype))


def torch_source(path):
    """The program with its minigrad imports pointed at torch."""
    return IMPORT_LINE.sub(r"\1 torch", path.read_text())


def run(script, framework, monkeypatch):
    """Runs ``script`` in this process with ``framework``'s draws shared; its printed lines."""
    draws = SharedDraws(framework)
    output = io.StringIO()
    with monkeypatch.context() as patch, contextlib.redirect_stdout(output):
        patch.setattr(framework, "randn", draws.randn)
        # NOTE: a plain function, so that the layer arrives as its argument
        for layer_class in (framework.nn.Linear, framework.nn.Conv2d):
            patch.setattr(layer_class, "reset_parameters",
                          lambda layer: draws.reset_layer(layer))
        runpy.run_path(str(script), run_name="__main__")
    return output.getvalue().splitlines()


def assert_same_output(ours, theirs):
    assert theirs, "the PyTorch run printed nothing"
    assert len(ours) == len(theirs), (
        f"minigrad printed {len(ours)} lines, PyTorch {len(theirs)}:\n"
        + "\n".join(ours) + "\n---\n" + "\n".join(theirs))
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        where = f"line {index}: minigrad {mine!r}, PyTorch {reference!r}"
        assert NUMBER.sub("#", mine) == NUMBER.sub("#", reference), where
        got = [float(value) for value in NUMBER.findall(mine)]
        expected = [float(value) for value in NUMBER.findall(reference)]
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=where)


@pytest.mark.parametrize("path", TWIN_RUNS)
def test_example_prints_what_pytorch_prints(path, tmp_path, monkeypatch):
    ported = tmp_path / path.name
    ported.write_text(torch_source(path))
    theirs = run(ported, torch, monkeypatch)
    ours = run(path, minigrad, monkeypatch)
    assert_same_output(ours, theirs)


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_names_minigrad_only_in_its_imports(path):
    lines = path.read_text().splitlines()
    assert any(IMPORT_LINE.match(line) for line in lines), f"{path.name} imports no minigrad"
    stray = [line for line in lines if "minigrad" in line and not IMPORT_LINE.match(line)]
    assert stray == []
    assert "minigrad" not in torch_source(path)


def test_readme_lists_every_example():
    readme = (EXAMPLES_DIR / "README.md").read_text()
    listed = set(re.findall(r"`(\w+\.py)`", readme))
    assert listed == {path.name for path in EXAMPLES}
