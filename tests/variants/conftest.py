"""Fixtures shared by the variant tests: the fixture gene table and a small random SpliceAI."""

from __future__ import annotations

import pytest

from captum_genomics.variants import read_gene_table
from tests.support import random_spliceai

#: Gene table of the upstream-string fixtures (TUBB8 and its neighbours on the embedded chr10).
GENES = "tests/fixtures/spliceai/genes.tsv"


@pytest.fixture(scope="module")
def table():
    """The fixture gene table (a test module may override it, e.g. with grch37)."""
    return read_gene_table(GENES)


@pytest.fixture(scope="module")
def model():
    """A random-weight SpliceAI-80 (seed 1): fast, with meaningless scores."""
    return random_spliceai(80, seed=1)
