"""Sphinx configuration: the API reference from numpy-style docstrings, the tutorials in
``tutorials/*.py`` (jupytext percent files) executed by myst-nb on their SMALL settings.

Build: ``SMALL=1 sphinx-build -W -b html docs docs/_build/html`` (see ``docs/README.md``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS))  # api_reference, tutorial_notebooks
os.environ.setdefault("SMALL", "1")  # tutorials on their small settings unless SMALL=0
# the notebook kernels import this checkout, as autodoc does
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT),
                                                         os.environ.get("PYTHONPATH")]))
# tqdm.auto's notice that ipywidgets is absent is not part of any result
os.environ["PYTHONWARNINGS"] = ",".join(filter(None, ["ignore:IProgress not found",
                                                      os.environ.get("PYTHONWARNINGS")]))

from api_reference import write_generated_section  # noqa: E402
from tutorial_notebooks import write_notebook  # noqa: E402

import captum_genomics  # noqa: E402

project = "captum-genomics"
author = "captum-genomics contributors"
copyright = "captum-genomics contributors, BSD-3-Clause"
release = version = captum_genomics.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
]

write_generated_section()  # _api_generated.md: new public names and modules (api_reference.py)

# Tutorials: written as notebooks from tutorials/*.py at each build (docs/tutorials/ is
# generated and git-ignored), with a set-up cell and a figure cell (tutorial_notebooks.py).
TUTORIALS = DOCS / "tutorials"
shutil.rmtree(TUTORIALS, ignore_errors=True)
TUTORIALS.mkdir()
for script in sorted((ROOT / "tutorials").glob("[0-9]*.py")):
    write_notebook(script, TUTORIALS)

nb_execution_mode = os.environ.get("NB_EXECUTION_MODE", "cache")
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

autosummary_generate = ["api.md", "_api_generated.md"]  # the generated part is excluded as a page
templates_path = ["_templates"]
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_inherit_docstrings = False
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
nitpicky = False
add_module_names = False  # captum_genomics.X is shown as X

exclude_patterns = ["_build", "README.md", "_api_generated.md", "**/.ipynb_checkpoints"]
# .rst first: autosummary writes its stub pages with the first suffix
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
suppress_warnings = ["mystnb.unknown_mime_type"]  # widget outputs, if a cell makes one

html_theme = "furo"
html_title = f"captum-genomics {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
