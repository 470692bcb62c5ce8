"""Turn the tutorial scripts (jupytext percent format) into notebooks for the docs build.

Two cells are added. One first, hidden: it gives the kernel the ``__file__`` a script run has
(tutorials find ``tutorials/data`` from it) and shows only what the script prints (no value of
a cell's last expression, as a script run shows none). One last, its code hidden: it displays
the PNG figures the tutorial wrote to its ``OUTPUT`` folder (``NN_*.png``, NN the tutorial's
number). The tutorial's own cells are run unchanged.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
from nbformat.v4 import new_code_cell, new_markdown_cell

FIGURE_CELL = """\
from IPython.display import Image, display
for _png in sorted(OUTPUT.glob({pattern!r})):
    display(Image(filename=str(_png)))"""


def write_notebook(script: Path, folder: Path) -> Path:
    """Write ``folder/<script stem>.ipynb``: the tutorial with its set-up and figure cells.

    Parameters
    ----------
    script : pathlib.Path
        A tutorial, ``tutorials/NN_name.py``.
    folder : pathlib.Path
        Where the notebook goes (``docs/tutorials``).

    Returns
    -------
    pathlib.Path
        The notebook written (unexecuted; myst-nb runs it).
    """
    notebook = jupytext.read(script, fmt="py:percent")
    setup = new_code_cell(f"__file__ = {str(script.resolve())!r}\n"
                          "get_ipython().ast_node_interactivity = 'none'",
                          metadata={"tags": ["remove-cell"]})
    figures = new_code_cell(FIGURE_CELL.format(pattern=f"{script.name[:2]}_*.png"),
                            metadata={"tags": ["remove-input"]})
    notebook.cells = [setup, *notebook.cells,
                      new_markdown_cell("## The figures this tutorial wrote"), figures]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    destination = folder / f"{script.stem}.ipynb"
    jupytext.write(notebook, destination, fmt="ipynb")
    return destination
