"""One self-contained HTML report per run: settings, versions, figures, tables and notes."""

from __future__ import annotations

import base64
import datetime
import html
import importlib.metadata
import io
import os
import platform
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from captum_genomics import __version__
from captum_genomics._atomic import atomic_open

__all__ = ["figure_png", "save_figures", "software_versions", "write_report"]

_STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;
padding:.25em .6em;text-align:left;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
figure{margin:1em 0 2em}img{max-width:100%}figcaption{color:#444;font-size:.95em}
caption{caption-side:top;text-align:left;font-weight:600;padding:.3em 0}"""


def software_versions() -> dict[str, str]:
    """Versions of Python and of the packages a run's results depend on.

    Returns
    -------
    dict of str to str
        ``captum-genomics``, ``captum``, ``torch``, ``numpy``, ``matplotlib`` and ``python``;
        "not installed" for a missing package.
    """
    versions = {"captum-genomics": __version__}
    for package in ("captum", "torch", "numpy", "matplotlib"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    versions["python"] = platform.python_version()
    return versions


def _cell(value) -> str:
    if isinstance(value, float):
        value = f"{value:.4g}"
    return html.escape(str(value))


def _table(caption: str, columns: Sequence, rows: Iterable[Sequence]) -> str:
    rows = [list(row) for row in rows]
    for i, row in enumerate(rows):
        if len(row) != len(columns):
            raise ValueError(f"table {caption!r}: row {i} has {len(row)} cells for "
                             f"{len(columns)} columns")
    head = "".join(f"<th>{_cell(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>\n"
                   for row in rows)
    # wide tables scroll inside their own box instead of widening the page
    return (f'<div style="overflow-x:auto"><table><caption>{_cell(caption)}</caption>\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody></table></div>\n")


def figure_png(figure, dpi: int = 110) -> bytes:
    """A matplotlib Figure (or an Axes, for its figure) as PNG bytes.

    Raises
    ------
    TypeError
        If ``figure`` is neither.
    """
    figure = getattr(figure, "figure", figure)
    if not hasattr(figure, "savefig"):
        raise TypeError(f"a figure must be a matplotlib Figure or Axes (or PNG bytes), got "
                        f"{type(figure).__name__}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def save_figures(
    directory: str | os.PathLike[str],
    figures: Sequence[tuple[str, str, object]],
    dpi: int = 110,
) -> tuple[list[Path], list[tuple[str, bytes]]]:
    """Render figures once: write each as ``directory/<name>.png`` and keep it for a report.

    Parameters
    ----------
    directory : str or os.PathLike
        Folder of the PNG files (created when missing).
    figures : sequence of tuple
        ``(name, caption, figure)`` with a matplotlib Figure or Axes; ``name`` is the file's
        stem; each figure is closed once written.
    dpi : int, default 110
        Resolution of the PNG files.

    Returns
    -------
    paths : list of pathlib.Path
        The PNG files, in order.
    images : list of (caption, bytes)
        The PNG bytes with their captions: the ``figures`` of :func:`write_report`.
    """
    import matplotlib.pyplot as plt

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths, images = [], []
    for name, caption, figure in figures:
        png = figure_png(figure, dpi)
        plt.close(getattr(figure, "figure", figure))
        path = folder / f"{name}.png"
        with atomic_open(path, "wb") as handle:
            handle.write(png)
        paths.append(path)
        images.append((caption, png))
    return paths, images


def _figure(caption: str, figure) -> str:
    try:
        png = figure if isinstance(figure, bytes) else figure_png(figure)
    except TypeError as error:
        raise TypeError(f"figure {caption!r}: {error}") from None
    data = base64.b64encode(png).decode("ascii")
    text = _cell(caption)
    return (f'<figure><img alt="{text}" src="data:image/png;base64,{data}">'
            f"<figcaption>{text}</figcaption></figure>\n")


def write_report(
    path: str | os.PathLike[str],
    title: str,
    settings: Mapping[str, object],
    figures: Sequence[tuple[str, object]] = (),
    tables: Sequence[tuple[str, Sequence, Iterable[Sequence]]] = (),
    notes: Sequence[str] = (),
) -> None:
    """Write one self-contained HTML file: notes, tables, figures, settings and versions.

    Figures are embedded as PNG (base64), every text is escaped, and the file is written
    atomically: on any error nothing is written and an existing file is left as it was.

    Parameters
    ----------
    path : str or os.PathLike
        The HTML file; its directory must exist.
    title : str
        Title of the page.
    settings : mapping of str to object
        What the run did (command line options, model and weights source, seeds, ...),
        shown as a two-column table.
    figures : sequence of (caption, matplotlib Figure or Axes, or PNG bytes)
        Shown in order, each with its caption (use :func:`figure_png` to render a figure once
        for both a PNG file and the report).
    tables : sequence of (caption, columns, rows)
        ``columns`` is a (C,) sequence of headers and ``rows`` an iterable of (C,) rows;
        floats are shown with 4 significant digits.
    notes : sequence of str
        Paragraphs shown first (what the run showed).

    Raises
    ------
    ValueError
        If a table row does not have one cell per column.
    TypeError
        If a figure is not a matplotlib Figure or Axes.
    """
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
        f"<title>{_cell(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        f"<h1>{_cell(title)}</h1>\n<p>Written {stamp} by captum-genomics {_cell(__version__)}."
        "</p>\n",
        *(f"<p>{_cell(note)}</p>\n" for note in notes),
        *(_table(caption, columns, rows) for caption, columns, rows in tables),
        *(_figure(caption, figure) for caption, figure in figures),
        "<h2>Settings</h2>\n",
        _table("Settings of this run", ("setting", "value"), settings.items()),
        "<h2>Versions</h2>\n",
        _table("Software", ("package", "version"), software_versions().items()),
        "</body>\n</html>\n",
    ]
    document = "".join(parts)
    with atomic_open(path) as handle:
        handle.write(document)
