"""Output equal to SpliceAI 1.3.1's own CLI (TensorFlow, 5 models) on the fixture VCF.

The ``upstream_*.vcf`` fixtures are upstream's outputs, made in a throwaway TensorFlow venv:
``spliceai -I variants.vcf -O upstream_grch37_D50_M0.vcf -R grch37_chr10_1-110000.fa
-A grch37 -D 50 -M 0`` (and likewise ``-A genes.tsv`` / ``-D 10 -M 1``), on the embedded
FASTA. They cover SNVs, multiple ALTs, an MNP, insertions, deletions, ``*``, a REF mismatch,
a missing ALT, a too-long REF, records outside genes and near both FASTA ends, VCF chromosome
names with and without ``chr``, a ``chr``-named gene table and overlapping genes on both
strands. The full ensemble is slow on a CPU, so a few records of each are rescored here; on
the whole files ours was byte-identical to upstream's (checked when the fixtures were made).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from captum_genomics.example_data import example_fasta_path
from captum_genomics.variants import score_vcf
from tests.support import needs_spliceai

pytestmark = [needs_spliceai, pytest.mark.weights, pytest.mark.slow]
FIXTURES = Path("tests/fixtures/spliceai")


@pytest.fixture(scope="module")
def ensemble():
    from captum_genomics.models import load_spliceai

    return load_spliceai("spliceai")


def _lines(path: Path, ids: set[str]) -> list[str]:
    text = path.read_text().splitlines()
    return [line for line in text if line.startswith("#")
            or line.split("\t")[2] in ids]


@pytest.mark.parametrize(("fixture", "annotation", "distance", "mask", "ids"), [
    ("upstream_grch37_D50_M0.vcf", "grch37", 50, False,
     {"v2", "v4", "v5", "v6", "v9", "v12", "v15", "v17"}),
    ("upstream_grch37_D10_M1.vcf", "grch37", 10, True, {"v3"}),
    ("upstream_genes_D50_M0.vcf", FIXTURES / "genes.tsv", 50, False,
     {"v3", "v18", "v20", "v21"}),
])
def test_vcf_equals_upstream(tmp_path, ensemble, fixture, annotation, distance, mask, ids):
    subset = tmp_path / "in.vcf"
    subset.write_text("\n".join(_lines(FIXTURES / "variants.vcf", ids)) + "\n")
    out = tmp_path / "out.vcf"
    score_vcf(subset, out, example_fasta_path(), annotation, distance, mask, model=ensemble,
              batch_size=8, engine="plain")  # the incremental engine: test_incremental.py
    assert _lines(out, ids) == _lines(FIXTURES / fixture, ids)
    assert sum(not line.startswith("#") for line in _lines(out, ids)) == len(ids)
