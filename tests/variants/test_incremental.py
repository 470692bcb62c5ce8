"""The incremental variant engine against the plain forward passes and upstream's strings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from captum_genomics.dna.fasta import _open_fasta
from captum_genomics.example_data import example_fasta_path
from captum_genomics.variants import ENGINES, delta_scores, read_gene_table, score_vcf
from captum_genomics.variants._incremental import predict_incremental
from captum_genomics.variants.delta import _ONE_HOT, _plan, _predict, _Record
from tests.support import needs_spliceai, random_spliceai

FIXTURES = Path("tests/fixtures/spliceai")


@pytest.fixture(scope="module")
def random_model():
    return random_spliceai(10_000, seed=3, affine_sd=0.3)


@pytest.fixture(scope="module")
def fasta():
    handle, _ = _open_fasta(example_fasta_path())
    yield handle
    handle.close()


def _random_variants(fasta, rng, count: int) -> list[_Record]:
    """SNVs, insertions and deletions (VCF-anchored) in TUBB8 (minus) and FAKE_PLUS (plus)."""
    records = []
    for pos in rng.integers(94100, 95400, count):
        pos = int(pos)
        base = str(fasta["chr10"][pos - 1:pos]).upper()
        kind = rng.integers(0, 3)
        if kind == 0:
            alts = tuple(b for b in "ACGT" if b != base)[: rng.integers(1, 4)]
            records.append(_Record("10", pos, base, alts))
        elif kind == 1:
            inserted = "".join(rng.choice(list("ACGT"), rng.integers(1, 6)))
            records.append(_Record("chr10", pos, base, (base + inserted,)))
        else:
            ref = str(fasta["chr10"][pos - 1:pos + int(rng.integers(1, 6))]).upper()
            records.append(_Record("10", pos, ref, (ref[0],)))
    return records


def test_raw_outputs_equal_plain_on_random_variants(random_model, fasta):
    """Property: every REF/ALT track of the incremental engine equals the forward pass."""
    table = read_gene_table(FIXTURES / "genes.tsv")
    rng = np.random.default_rng(7)
    inputs = []
    for record in _random_variants(fasta, rng, 6):
        _plan(fasta, record.chrom, record.pos, record.ref, list(record.alts), table, 10, inputs)
    strands = {item.strand for item in inputs}
    assert strands == {"+", "-"} and any(len(i.alt) != i.ref_len for i in inputs if i.alt)
    plain = _predict(random_model, [(i.text, i.strand) for i in inputs], 8, torch.device("cpu"))
    incremental = predict_incremental(random_model, inputs, _ONE_HOT, 4)
    assert len(plain) == len(incremental) == len(inputs)
    spread = max(float(np.ptp(p[:, 1])) for p in plain)
    assert spread > 1e-2, spread  # the check below would be empty on constant outputs
    for a, b in zip(plain, incremental):
        assert a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-5)


def test_engines_give_the_same_scores(random_model):
    table = read_gene_table(FIXTURES / "genes.tsv")
    scores = {
        engine: delta_scores(random_model, example_fasta_path(), "chr10", 94555, "C",
                             ["A", "CGT"], table, distance=5, engine=engine)
        for engine in ("plain", "incremental", "auto")
    }
    assert len(scores["plain"]) == 4  # 2 ALTs x (FAKE_PLUS, TUBB8)
    for engine in ("incremental", "auto"):
        for a, b in zip(scores["plain"], scores[engine]):
            assert a.positions == b.positions
            np.testing.assert_allclose(b.scores, a.scores, rtol=0, atol=1e-5)


def test_engine_choice_is_checked(random_model):
    table = read_gene_table("grch37")
    args = (example_fasta_path(), "10", 94555, "C", ["A"], table)
    assert ENGINES == ("auto", "incremental", "plain")
    with pytest.raises(ValueError, match="engine must be one of"):
        delta_scores(random_model, *args, engine="fast")
    wrapped = torch.nn.Sequential(random_model)  # not a SpliceAI: no cones to read
    with pytest.raises(ValueError, match="needs a captum_genomics SpliceAI"):
        delta_scores(wrapped, *args, distance=2, engine="incremental")
    auto = delta_scores(wrapped, *args, distance=2)  # auto falls back to the plain path
    plain = delta_scores(random_model, *args, distance=2, engine="plain")
    assert [s.info for s in auto] == [s.info for s in plain]


@pytest.fixture(scope="module")
def ensemble():
    from captum_genomics.models import load_spliceai

    return load_spliceai("spliceai")


@needs_spliceai
@pytest.mark.weights
@pytest.mark.slow
@pytest.mark.parametrize(("fixture", "annotation"), [
    ("upstream_grch37_D50_M0.vcf", "grch37"),
    ("upstream_genes_D50_M0.vcf", FIXTURES / "genes.tsv"),
])
def test_incremental_vcf_equals_upstream_byte_for_byte(tmp_path, ensemble, fixture,
                                                       annotation):
    """The whole fixture VCF (SNVs, several ALTs, MNP, indels, both strands, chr and no-chr
    names, overlapping genes) scored by the incremental engine: upstream's file, unchanged
    (the plain path's output is byte-identical to it too, see test_upstream_strings)."""
    out = tmp_path / "out.vcf"
    score_vcf(FIXTURES / "variants.vcf", out, example_fasta_path(), annotation, 50, False,
              model=ensemble, engine="incremental")
    assert out.read_text() == (FIXTURES / fixture).read_text()
