"""The teaching notebooks in notebooks/ run top to bottom in a fresh kernel without an error
(their claims are assertions, so a claim that stops holding fails here), are stored clean,
end with an exercise, print their environment first, tag one gallery figure, and each has a
solutions notebook in notebooks/solutions/ that runs too (so every exercise check accepts a
right answer)."""

import base64
import pathlib
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

nbformat = pytest.importorskip(
    "nbformat", reason="the notebook tests need the test extra: pip install 'minigrad[test]'")
nbclient = pytest.importorskip(
    "nbclient", reason="the notebook tests need the test extra: pip install 'minigrad[test]'")
kernelspec = pytest.importorskip(
    "ipykernel.kernelspec",
    reason="the notebook tests need the test extra: pip install 'minigrad[test]'")
pytest.importorskip("matplotlib", reason="the notebooks plot: pip install 'minigrad[demo]'")

NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SOLUTIONS = sorted((NOTEBOOK_DIR / "solutions").glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell
KERNELS_AT_ONCE = 2  # the notebooks pin one BLAS thread each, so two share two cores

sys.path.insert(0, str(NOTEBOOK_DIR))
from make_gallery import gallery_png  # noqa: E402  (the gallery script's own reader)


def _read(path):
    return nbformat.read(path, as_version=4)


def _execute(path):
    """Run one notebook in a fresh kernel; returns (executed notebook, seconds, error)."""
    notebook = _read(path)
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT,
                                     resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except Exception as err:  # reported by the test of this notebook, with the cell
        return notebook, time.perf_counter() - start, err
    return notebook, time.perf_counter() - start, None


def _selected(session):
    """The notebooks that the collected tests (after -k) will ask for, in collection order."""
    paths = [item.callspec.params["path"] for item in session.items
             if "executed" in getattr(item, "fixturenames", ()) and hasattr(item, "callspec")]
    return list(dict.fromkeys(paths))


@pytest.fixture(scope="session")
def executed(tmp_path_factory, request):
    """The selected lessons and solutions, executed two at a time (futures keyed by path).

    NOTE: a ``python3`` kernel spec found elsewhere (a user-wide one, say) may start another
    Python that lacks minigrad or has an older one; the spec written here, put first on
    JUPYTER_PATH, makes every kernel run the code under test.
    """
    prefix = tmp_path_factory.mktemp("kernel")
    kernelspec.install(kernel_name="python3", prefix=str(prefix))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
        pool = ThreadPoolExecutor(KERNELS_AT_ONCE)
        yield {path: pool.submit(_execute, path) for path in _selected(request.session)}
        pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS,
                         ids=[str(p.relative_to(NOTEBOOK_DIR)) for p in LESSONS + SOLUTIONS])
def test_notebook_runs_top_to_bottom(path, executed):
    _, seconds, error = executed[path].result()
    if error is not None:
        raise error  # CellExecutionError names the cell and carries its traceback
    print(f"{path.name}: {seconds:.1f} s")


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_gallery_cell_draws_a_figure(path, executed):
    notebook, _, error = executed[path].result()
    if error is None:
        assert gallery_png(notebook).startswith(b"\x89PNG")


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS,
                         ids=[str(p.relative_to(NOTEBOOK_DIR)) for p in LESSONS + SOLUTIONS])
def test_notebook_is_stored_without_outputs(path):
    dirty = [index for index, cell in enumerate(_read(path).cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert dirty == [], (f"{path.name}: code cells {dirty} have stored outputs or execution "
                         "counts; clear them before committing")


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_ends_with_an_exercise_and_its_checks(path):
    cells = _read(path).cells
    last_markdown = max(i for i, cell in enumerate(cells) if cell.cell_type == "markdown")
    assert "Exercise" in cells[last_markdown].source, (
        f"{path.name}: the last markdown cell should hold the Exercise")
    assert all(cell.cell_type == "code" for cell in cells[last_markdown + 1:])


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_has_a_solutions_notebook(path):
    assert (NOTEBOOK_DIR / "solutions" / f"{path.stem}_solutions.ipynb").exists()


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_pins_threads_and_prints_its_environment_first(path):
    first = next(cell for cell in _read(path).cells if cell.cell_type == "code").source
    assert "manual_seed(" in first and "set_num_threads(1)" in first, first
    assert "print(mg.diagnostics.environment())" in first, first


def test_gallery_reader_refuses_an_untagged_notebook():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    with pytest.raises(ValueError, match="expected one cell tagged 'gallery'"):
        gallery_png(notebook)
    notebook.cells[0].metadata["tags"] = ["gallery"]
    notebook.cells[0].outputs = [nbformat.v4.new_output(
        "display_data", data={"image/png": base64.b64encode(b"\x89PNG..").decode()})]
    assert gallery_png(notebook) == b"\x89PNG.."
