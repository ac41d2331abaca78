"""The project's layering, read from the source with ``ast`` so it cannot erode: tensor ->
ops -> autograd -> backends at the bottom, nn / optim / data on top. Backends know no op,
layer or optimizer (a kernel falls back through ``ctx.fn``); ops and optimizers know no
``nn`` (what both need, like hook handles, lives in ``minigrad.utils``). And files stay
small enough to read: one job each."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minigrad"

# folder -> the packages nothing in it may import
RULES = {
    "minigrad/backends": ("minigrad.ops", "minigrad.nn", "minigrad.optim"),
    "minigrad/optim": ("minigrad.nn",),
    "minigrad/ops": ("minigrad.nn",),
    "minigrad/utils": ("minigrad.nn", "minigrad.optim"),
    "minigrad/onnx": ("minigrad.testing",),  # the exporter never needs the test registry
}
MAX_LINES = {"minigrad": 400, "tests": 500}
# file -> the banned package it may import, and why
EXCEPTIONS = {"minigrad/optim/swa_utils.py": ("minigrad.nn", "it averages whole modules, as "
                                              "torch.optim.swa_utils does")}


def _package_of(path):
    """The dotted package a file belongs to (``minigrad.backends`` for its files)."""
    return ".".join(path.relative_to(ROOT).parent.parts)


def imported_modules(path, package=None):
    """Every module a file imports, at any depth (function-level imports included);
    relative imports are resolved against ``package`` (by default, the file's own)."""
    package = _package_of(path) if package is None else package
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1]
            module = ".".join(base + ([node.module] if node.module else [])) if node.level \
                else node.module
            yield module
            # ``from minigrad import nn`` imports minigrad.nn just as surely
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _is_within(module, package):
    return module == package or module.startswith(package + ".")


def _excepted(path, module):
    allowed = EXCEPTIONS.get(path.relative_to(ROOT).as_posix())
    return allowed is not None and _is_within(module, allowed[0])


@pytest.mark.parametrize("folder", list(RULES))
def test_imports_follow_the_layering(folder):
    banned = RULES[folder]
    offenders = [f"{path.relative_to(ROOT)} imports {module}"
                 for path in sorted((ROOT / folder).rglob("*.py"))
                 for module in imported_modules(path)
                 if any(_is_within(module, b) for b in banned) and not _excepted(path, module)]
    assert offenders == []


def test_the_layering_check_sees_an_offending_import(tmp_path):
    offender = tmp_path / "kernel.py"
    offender.write_text("def f():\n    from minigrad import nn\nfrom ..optim import sgd\n")
    found = set(imported_modules(offender, package="minigrad.backends"))
    assert {"minigrad.nn", "minigrad.optim.sgd"} <= found


@pytest.mark.parametrize("folder", list(MAX_LINES))
def test_no_file_is_longer_than_the_house_limit(folder):
    limit = MAX_LINES[folder]
    too_long = {str(path.relative_to(ROOT)): n for path in sorted((ROOT / folder).rglob("*.py"))
                if (n := len(path.read_text().splitlines())) > limit}
    assert too_long == {}, f"split these by family (limit {limit} lines)"
