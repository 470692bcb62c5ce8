"""The documentation source agrees with the package, the tutorials and CI (Sphinx not run).

CI builds the site with ``sphinx-build -W`` (``.ci/run``); these checks catch the usual drift
in a second: a tutorial missing from the toctree, a public name or module missing from the API
reference, a build command that differs between the docs and CI.
"""

from __future__ import annotations

import configparser
import importlib.util
import re
from pathlib import Path

import pytest

import captum_genomics

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BUILD_COMMAND = "SMALL=1 sphinx-build -W -b html docs docs/_build/html"


def _api_reference():
    spec = importlib.util.spec_from_file_location("docs_api_reference", DOCS / "api_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _toctree_entries(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    blocks = re.findall(r"```\{toctree\}\n(.*?)```", text, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.strip().startswith(":")]


def test_every_tutorial_is_in_the_toctree():
    tutorials = sorted(p.stem for p in (ROOT / "tutorials").glob("[0-9]*.py"))
    listed = [entry.removeprefix("tutorials/") for entry in _toctree_entries(DOCS / "tutorials.md")]
    assert tutorials, "no tutorials found"
    assert listed == tutorials, "docs/tutorials.md must list tutorials/NN_*.py in order"


def test_every_toctree_entry_is_a_page():
    pages = [DOCS / "index.md", DOCS / "tutorials.md"]
    for page in pages:
        for entry in _toctree_entries(page):
            if entry.startswith("tutorials/"):
                assert (ROOT / f"{entry}.py").is_file(), f"{page.name}: {entry} has no script"
            else:
                assert (page.parent / f"{entry}.md").is_file(), f"{page.name}: no {entry}.md"


def test_api_reference_covers_every_public_name_and_module():
    api = _api_reference()
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    generated = api.generated_section(text)
    listed = api.names_listed(text + generated)
    assert set(captum_genomics.__all__) <= listed, set(captum_genomics.__all__) - listed
    modules = api.names_listed(generated.split("## Modules")[1])
    for expected in ("attr", "dna", "models", "splicing", "gggp", "plot", "report", "export"):
        assert expected in modules
    assert not {"sequence", "shuffle", "baselines", "scoring", "cli"} & modules, (
        "deprecated shims and the command line are not API pages")


def test_hand_written_groups_name_only_public_names():
    api = _api_reference()
    autosummary_names = set(re.findall(r"^ {3}(\w+)$", (DOCS / "api.md").read_text(), flags=re.M))
    assert autosummary_names <= set(captum_genomics.__all__), (
        autosummary_names - set(captum_genomics.__all__))
    assert api.is_deprecated_shim(ROOT / "captum_genomics" / "sequence.py")
    assert not api.is_deprecated_shim(ROOT / "captum_genomics" / "dna")


def test_build_command_is_the_same_in_the_docs_and_ci():
    assert BUILD_COMMAND in (DOCS / "README.md").read_text(encoding="utf-8")
    assert BUILD_COMMAND in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_docs_extra_lists_the_build_tools():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    extra = config["options.extras_require"]["docs"]
    for package in ("sphinx", "myst-nb", "jupytext", "furo", "sphinx-copybutton"):
        assert re.search(rf"^{re.escape(package)}>=", extra, flags=re.M), package


def test_generated_paths_are_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    for path in ("docs/_build/", "docs/tutorials/", "docs/generated/", "docs/_api_generated.md"):
        assert path in ignored, path


@pytest.mark.parametrize("page", sorted(p.name for p in (DOCS / "explainers").glob("*.md")))
def test_explainer_pages_draw_a_figure(page):
    text = (DOCS / "explainers" / page).read_text(encoding="utf-8")
    assert "{code-cell}" in text and "captum_genomics.plot" in text
