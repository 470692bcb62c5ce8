"""The generated half of the API reference: what ``api.md`` does not list by hand.

``api.md`` groups the public names of ``captum_genomics.__all__`` by topic. At each build,
:func:`write_generated_section` writes ``_api_generated.md`` (git-ignored, included at the end
of ``api.md``): an autosummary of every public name that ``api.md`` does not mention yet, and
one page per public module found in the package, so that a new export or a new subpackage
appears in the reference without editing the docs. Deprecated shims (modules whose docstring
starts with "Deprecated") and the command line (documented on its own pages) are left out.
"""

from __future__ import annotations

import ast
import pkgutil
import re
from pathlib import Path

import captum_genomics

DOCS = Path(__file__).resolve().parent
API_PAGE = DOCS / "api.md"
GENERATED = DOCS / "_api_generated.md"
NOT_IN_REFERENCE = {"cli", "__main__"}


def is_deprecated_shim(path: Path) -> bool:
    """Whether the module at ``path`` (a ``.py`` file or a package folder) is a moved-names shim."""
    source = path / "__init__.py" if path.is_dir() else path
    docstring = ast.get_docstring(ast.parse(source.read_text(encoding="utf-8"))) or ""
    return docstring.startswith("Deprecated")


def public_modules() -> list[str]:
    """Names of the package's public, non-deprecated top-level modules and subpackages, sorted."""
    root = Path(captum_genomics.__file__).parent
    names = []
    for info in pkgutil.iter_modules([str(root)]):
        path = root / info.name if info.ispkg else root / f"{info.name}.py"
        if (info.name.startswith("_") or info.name in NOT_IN_REFERENCE
                or is_deprecated_shim(path)):
            continue
        names.append(info.name)
    return sorted(names)


def names_listed(text: str) -> set[str]:
    """Names an autosummary line or a backticked table cell of ``text`` lists."""
    return set(re.findall(r"^ {3}(\w+)$", text, flags=re.M)) | set(re.findall(r"`(\w+)`", text))


def generated_section(api_text: str) -> str:
    """MyST text documenting the public names ``api_text`` misses, then every public module.

    Parameters
    ----------
    api_text : str
        The hand-written ``api.md``.

    Returns
    -------
    str
        Markdown with eval-rst autosummary blocks.
    """
    listed = names_listed(api_text)
    missing = [name for name in captum_genomics.__all__ if name not in listed]
    parts = []
    if missing:
        parts += ["## Other public names", "", "```{eval-rst}",
                  ".. currentmodule:: captum_genomics", "", ".. autosummary::",
                  "   :toctree: generated", "",
                  *(f"   {name}" for name in missing), "```", ""]
    parts += ["## Modules", "", "Each page documents a module's public names (its `__all__`).",
              "", "```{eval-rst}", ".. currentmodule:: captum_genomics", "",
              ".. autosummary::", "   :toctree: generated",
              "   :template: autosummary/module.rst", "",
              *(f"   {name}" for name in public_modules()), "```", ""]
    return "\n".join(parts)


def write_generated_section() -> Path:
    """Write ``_api_generated.md`` from ``api.md`` and the installed package; return its path."""
    text = generated_section(API_PAGE.read_text(encoding="utf-8"))
    if not GENERATED.exists() or GENERATED.read_text(encoding="utf-8") != text:
        GENERATED.write_text(text, encoding="utf-8")
    return GENERATED
