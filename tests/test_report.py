"""The HTML report: one self-contained file that parses, embeds its figures, escapes text,
states versions, and is written atomically."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from html.parser import HTMLParser  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from captum_genomics import __version__  # noqa: E402
from captum_genomics.report import software_versions, write_report  # noqa: E402


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.images, self.cells, self._cell = [], [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag == "td":
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag == "td":
            self.cells.append(self._cell)
            self._cell = None


@pytest.fixture
def figure():
    fig, ax = plt.subplots()
    ax.plot(np.arange(5))
    yield fig
    plt.close(fig)


def test_report_is_one_parseable_file_with_images_tables_and_versions(tmp_path, figure):
    path = tmp_path / "report.html"
    write_report(path, "IG <run>", {"model": "spliceai 1.3.1 <weights>", "steps": 20},
                 figures=[("a figure", figure), ("its axes", figure.axes[0])],
                 tables=[("recovery", ["method", "AUROC"], [["uniform", 0.96312], ["<b>", 1]])],
                 notes=["what it showed & why"])
    text = path.read_text()
    parsed = Collector()
    parsed.feed(text)
    parsed.close()
    assert len(parsed.images) == 2
    assert all(src.startswith("data:image/png;base64,") for src in parsed.images)
    assert "<b>" not in text and "&lt;b&gt;" in text
    assert "IG &lt;run&gt;" in text and "what it showed &amp; why" in text
    assert "<b>" in parsed.cells and "0.9631" in parsed.cells  # escaped, read back as text
    assert "spliceai 1.3.1 <weights>" in parsed.cells
    versions = software_versions()
    assert set(versions) >= {"captum-genomics", "captum", "torch", "numpy", "python"}
    assert versions["captum-genomics"] == __version__
    for package, version in versions.items():
        assert package in parsed.cells and version in parsed.cells
    assert "<script" not in text and "http" not in text.replace("http-equiv", "")


def test_report_is_atomic_on_failure(tmp_path, figure):
    path = tmp_path / "report.html"
    path.write_text("previous")
    with pytest.raises(ValueError, match="row 1 has 1 cells for 2 columns"):
        write_report(path, "t", {}, figures=[("f", figure)],
                     tables=[("bad", ["a", "b"], [[1, 2], [3]])])
    with pytest.raises(TypeError, match="matplotlib Figure or Axes"):
        write_report(path, "t", {}, figures=[("f", "not a figure")])
    assert path.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_report_needs_an_existing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_report(tmp_path / "missing" / "report.html", "t", {})
