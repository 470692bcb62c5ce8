"""explain_deltas (every delta score above a cut-off, batched IG) and its files."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest
import torch

from captum_genomics.example_data import example_fasta_path
from captum_genomics.variants import (
    DELTA_KINDS,
    EXPLAIN_SUMMARY_COLUMNS,
    DeltaAttributionWriter,
    Variant,
    explain_delta,
    explain_deltas,
    read_delta_attribution,
)

GENES = "tests/fixtures/spliceai/genes.tsv"
DISTANCE = 10
VARIANTS = [Variant("chr10", 94555, "C", "A"), Variant("chr10", 94665, "C", "CAG"),
            Variant("10", 94850, "GAA", "G"), Variant("chr10", 94660, "TG", "CA"),
            Variant("chr10", 94556, "G", "<DEL>"), Variant("chr10", 50000, "N", "A"),
            Variant("chr10", 94555, "G", "A")]


@pytest.fixture(scope="module")
def explained(table, model):
    """Every (variant, gene, kind) of VARIANTS (min_score 0), three windows per IG call."""
    return list(explain_deltas(model, example_fasta_path(), VARIANTS, table, min_score=0.0,
                               distance=DISTANCE, n_steps=64, windows_per_call=3))


def test_every_item_is_complete(explained, table):
    # symbolic, outside-every-gene and REF-mismatch variants are skipped; SNV, insertion,
    # deletion and MNP each give 4 kinds in FAKE_PLUS and TUBB8, in variant, gene, kind order
    expected = [(v, gene, kind) for v in VARIANTS[:4] for gene in ("FAKE_PLUS", "TUBB8")
                for kind in DELTA_KINDS]
    assert [(r.variant, r.gene, r.kind) for r in explained] == expected
    for result in explained:
        assert result.attributions.shape == (1, 4, 80 + 2 * DISTANCE + 1)
        assert result.start == result.variant.pos - 40 - DISTANCE
        total = float(result.attributions.sum())
        assert total == pytest.approx(result.delta, abs=2e-3 + 0.02 * abs(result.delta))
        assert result.convergence_delta == pytest.approx(total - result.delta)


@pytest.mark.parametrize("number", [0, 9, 19, 31])  # SNV, insertion, deletion, MNP
def test_batched_items_equal_explain_delta(explained, table, model, number):
    item = explained[number]
    alone = explain_delta(model, example_fasta_path(), item.variant, table, item.kind,
                          gene=item.gene, distance=DISTANCE, n_steps=64)
    assert (alone.offset, alone.gene) == (item.offset, item.gene)
    assert alone.delta == pytest.approx(item.delta, abs=1e-9)
    torch.testing.assert_close(item.attributions, alone.attributions, rtol=1e-6, atol=1e-9)


def test_min_score_and_kinds_filter(explained, table, model):
    kinds = ("AL", "DG")
    chosen = [r for r in explained if r.kind in kinds]
    deltas = sorted(abs(r.delta) for r in chosen)
    cut = (deltas[len(deltas) // 2 - 1] + deltas[len(deltas) // 2]) / 2
    filtered = list(explain_deltas(model, example_fasta_path(), VARIANTS, table, kinds=kinds,
                                   min_score=cut, distance=DISTANCE, n_steps=8))
    above = [(r.variant, r.gene, r.kind) for r in chosen if abs(r.delta) >= cut]
    assert 0 < len(above) < len(chosen)
    assert [(r.variant, r.gene, r.kind) for r in filtered] == above
    assert all(abs(r.delta) >= cut for r in filtered)


def test_files_round_trip(explained, tmp_path):
    with DeltaAttributionWriter(tmp_path) as writer:
        paths = [writer.add(result) for result in explained[:6]]
    assert [p.name for p in paths] == [f"{n:05d}.npz" for n in range(1, 7)]
    for path, result in zip(paths, explained):
        back = read_delta_attribution(path)
        for name in ("attributions", "ref_attributions", "alt_attributions"):
            torch.testing.assert_close(getattr(back, name), getattr(result, name).cpu(),
                                       rtol=0, atol=0)
        for name in ("start", "gene", "kind", "offset", "ref_score", "alt_score", "delta",
                     "convergence_delta", "variant"):
            assert getattr(back, name) == getattr(result, name), name
    with open(writer.summary, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert tuple(rows[0]) == EXPLAIN_SUMMARY_COLUMNS
    assert [r["file"] for r in rows] == [p.name for p in paths]
    for row, result in zip(rows, explained):
        assert (row["chrom"], int(row["pos"]), row["alt"], row["gene"], row["kind"]) == (
            result.variant.chrom, result.variant.pos, result.variant.alt, result.gene,
            result.kind)
        assert float(row["delta"]) == result.delta
        per_base = result.attributions[0].sum(0)
        top = int(per_base.abs().argmax())
        assert int(row["top_base_pos"]) == result.start + top
        assert float(row["top_base_attribution"]) == pytest.approx(float(per_base[top]))
        assert float(row["convergence_delta"]) == result.convergence_delta
    assert not list(tmp_path.glob("*.captum-genomics-tmp"))


def test_writer_errors(explained, tmp_path):
    with pytest.raises(RuntimeError, match="boom"), DeltaAttributionWriter(tmp_path) as writer:
        writer.add(explained[0])
        raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00001.npz"]  # no summary
    without = dataclasses.replace(explained[0], variant=None)
    with pytest.raises(ValueError, match="no variant"), DeltaAttributionWriter(tmp_path) as w:
        w.add(without)
    with pytest.raises(FileNotFoundError, match="not a directory"):
        DeltaAttributionWriter(tmp_path / "missing")


@pytest.mark.parametrize(("options", "message"), [({"kinds": ("AG", "XX")}, "kind"),
                                                  ({"min_score": -0.1}, "min_score"),
                                                  ({"min_score": np.nan}, "min_score"),
                                                  ({"windows_per_call": 0}, "windows_per_call"),
                                                  ({"distance": -1}, "distance")])
def test_argument_errors(table, model, options, message):
    with pytest.raises(ValueError, match=message):
        next(explain_deltas(model, example_fasta_path(), VARIANTS, table, **options))
