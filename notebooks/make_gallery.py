"""Regenerate the README gallery (``notebooks/images/<lesson>.png``) from executed notebooks.

Each lesson tags the one code cell whose figure stands for it with the cell tag ``gallery``.
This script runs every lesson top to bottom in a fresh kernel, as the tests do, and writes
that cell's first PNG output, byte for byte what a learner sees in Jupyter:

    python notebooks/make_gallery.py            # every lesson
    python notebooks/make_gallery.py 02 07      # lessons whose names start with these
"""

import base64
import pathlib
import sys

import nbclient
import nbformat

NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parent
IMAGE_DIR = NOTEBOOK_DIR / "images"
TAG = "gallery"


def gallery_png(notebook):
    """The PNG bytes of the tagged cell's first image output (after execution)."""
    tagged = [cell for cell in notebook.cells if TAG in cell.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise ValueError(f"expected one cell tagged {TAG!r}, found {len(tagged)}")
    for output in tagged[0].get("outputs", []):
        if "image/png" in output.get("data", {}):
            return base64.b64decode(output["data"]["image/png"])
    raise ValueError(f"the cell tagged {TAG!r} drew no figure")


def lessons(prefixes=()):
    paths = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    return [p for p in paths if not prefixes or p.name.startswith(tuple(prefixes))]


def main(prefixes):
    IMAGE_DIR.mkdir(exist_ok=True)
    for path in lessons(prefixes):
        notebook = nbformat.read(path, as_version=4)
        nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOK_DIR)}}).execute()
        target = IMAGE_DIR / f"{path.stem}.png"
        target.write_bytes(gallery_png(notebook))
        print(f"wrote {target.relative_to(NOTEBOOK_DIR.parent)}")


if __name__ == "__main__":
    main(sys.argv[1:])
