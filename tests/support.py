"""Helpers shared by test modules (import as ``from tests.support import ...``)."""

from __future__ import annotations

import importlib.metadata

import pytest


def installed(distribution: str) -> bool:
    """Whether a distribution is installed, without importing it."""
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


needs_spliceai = pytest.mark.skipif(
    not installed("spliceai"),
    reason="needs the published SpliceAI weights: pip install --no-deps spliceai==1.3.1",
)
needs_cispliceai = pytest.mark.skipif(
    not installed("cispliceai"),
    reason="needs the CI-SpliceAI weights: pip install --no-deps cispliceai==1.2.2",
)
