"""``captum_genomics/gggp/`` is numpy only: no module of it reaches torch through its imports.

A static check over the source (no import runs): every ``import`` in a gggp module, including
those inside functions, is followed through the ``captum_genomics`` modules it names until it
reaches a third-party module. The ``__init__`` files of the packages that hold those modules are
not followed: ``captum_genomics/__init__`` and ``dna/__init__`` re-export the public API, torch
encoders included, while the modules gggp names (e.g. ``dna.alphabet``) are numpy only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import captum_genomics

ROOT = Path(captum_genomics.__file__).parent.parent
PACKAGE = "captum_genomics"
FORBIDDEN = ("torch", "captum")  # Captum itself imports torch
GGGP_MODULES = sorted(
    f"{PACKAGE}.gggp" if path.stem == "__init__" else f"{PACKAGE}.gggp.{path.stem}"
    for path in (ROOT / PACKAGE / "gggp").glob("*.py")
)


def _source(module: str, root: Path) -> Path | None:
    """File of a first-party module (a package's ``__init__.py``), None if not first-party."""
    base = root.joinpath(*module.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _imported(module: str, path: Path) -> set[str]:
    """Absolute names of the modules (and ``from`` targets) that ``path`` imports."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + [node.module or ""])
            else:
                base = node.module
            base = base.rstrip(".")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _loaded(name: str, package: str) -> list[str]:
    """The first-party module ``name`` names (the packages holding it are not followed)."""
    return [name] if name.split(".")[0] == package and name != package else []


def torch_chain(module: str, root: Path = ROOT, package: str = PACKAGE) -> list[str] | None:
    """An import chain from ``module`` to a forbidden module, or None when there is none."""
    chains = {module: [module]}
    todo = [module]
    while todo:
        current = todo.pop()
        for name in sorted(_imported(current, _source(current, root))):
            if name.split(".")[0] in FORBIDDEN:
                return [*chains[current], name]
            for step in _loaded(name, package):
                if step not in chains and _source(step, root) is not None:
                    chains[step] = [*chains[current], step]
                    todo.append(step)
    return None


@pytest.mark.parametrize("module", GGGP_MODULES)
def test_gggp_module_does_not_reach_torch(module):
    chain = torch_chain(module)
    assert chain is None, "gggp/ must stay numpy only; import chain: " + " -> ".join(chain)


def test_every_gggp_module_is_checked():
    assert {"captum_genomics.gggp", "captum_genomics.gggp.search"} <= set(GGGP_MODULES)
    assert len(GGGP_MODULES) >= 8


def test_the_check_follows_indirect_and_local_imports(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("import torch\n")  # the root is not followed
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from . import b\nfrom ..c import helper\n")
    (pkg / "sub" / "b.py").write_text("import numpy as np\n")
    (pkg / "c.py").write_text("def helper():\n    from captum.attr import Lime\n")
    (pkg / "d.py").write_text("from pkg.sub import b\n")
    assert torch_chain("pkg.sub.a", tmp_path, "pkg") == ["pkg.sub.a", "pkg.c", "captum.attr"]
    assert torch_chain("pkg.sub.b", tmp_path, "pkg") is None
    assert torch_chain("pkg.d", tmp_path, "pkg") is None
    (pkg / "sub" / "__init__.py").write_text("from torch import nn\n")  # a sub-package is
    assert torch_chain("pkg.d", tmp_path, "pkg") == ["pkg.d", "pkg.sub", "torch"]
