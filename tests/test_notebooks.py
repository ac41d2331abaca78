"""The teaching notebooks in notebooks/ run top to bottom in a fresh kernel without an error,
are stored clean (no outputs, no execution counts), and end with an exercise."""

import pathlib

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
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell


def _read(path):
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="session")
def jupyter_path(tmp_path_factory):
    """A folder holding a ``python3`` kernel spec that starts *this* interpreter.

    NOTE: a ``python3`` spec found elsewhere (a user-wide one, say) may start another Python
    that lacks minigrad or has an older one; a spec written here, put first on JUPYTER_PATH,
    makes the kernel run the code under test, in a fresh venv as anywhere else.
    """
    prefix = tmp_path_factory.mktemp("kernel")
    kernelspec.install(kernel_name="python3", prefix=str(prefix))
    return prefix / "share" / "jupyter"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, jupyter_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    monkeypatch.delenv("MINIGRAD_SAVE_GALLERY", raising=False)  # tests write no images
    notebook = _read(path)
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT,
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    dirty = [index for index, cell in enumerate(_read(path).cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert dirty == [], (f"{path.name}: code cells {dirty} have stored outputs or execution "
                         "counts; clear them before committing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_ends_with_an_exercise(path):
    last = _read(path).cells[-1]
    assert last.cell_type == "markdown" and "Exercise" in last.source, (
        f"{path.name} should end with a markdown cell holding an Exercise")
