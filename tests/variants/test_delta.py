"""Delta scores against an independent computation with SpliceAI member 1."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from captum_genomics.dna.fasta import read_region
from captum_genomics.example_data import example_fasta_path
from captum_genomics.variants import DeltaScore, delta_scores, read_gene_table
from tests.support import needs_spliceai

pytestmark = needs_spliceai
TX_START, TX_END = 92893, 95529  # TUBB8, minus strand


@pytest.fixture(scope="module")
def member1():
    from captum_genomics.models import load_spliceai

    return load_spliceai("spliceai", members=[1])


@pytest.fixture(scope="module")
def table():
    return read_gene_table("grch37")


def _window(pos: int, half: int, ref: str, alt: str) -> tuple[str, str]:
    """Reference and alternative windows as upstream builds them, from read_region."""
    text = read_region(example_fasta_path(), ("chr10", pos - half, pos + half)).upper()
    positions = np.arange(pos - half, pos + half + 1)
    text = "".join("N" if p < TX_START or p > TX_END else b for p, b in zip(positions, text))
    return text, text[:half] + alt + text[half + len(ref):]


def _probs(model, text: str) -> np.ndarray:
    """(L, 3) probabilities of the minus-strand reading of ``text``, in genome order."""
    table = {"A": 0, "C": 1, "G": 2, "T": 3}
    x = torch.zeros(1, 4, len(text))
    for i, base in enumerate(text):
        if base in table:
            x[0, 3 - table[base], len(text) - 1 - i] = 1  # reverse complement
    with torch.no_grad():
        return model(x)[0].numpy().T[::-1]


@pytest.mark.parametrize(("pos", "ref", "alt"), [(94555, "C", "T"), (94665, "C", "CAG"),
                                                 (94850, "GAA", "G")])
def test_scores_match_an_independent_computation(member1, table, pos, ref, alt):
    distance = 10
    (score,) = delta_scores(member1, example_fasta_path(), "10", pos, ref, [alt], table,
                            distance=distance)
    y_ref, y_alt = (_probs(member1, t) for t in _window(pos, 5000 + distance, ref, alt))
    if len(alt) > 1:  # insertion: collapse the inserted positions to their maximum
        y_alt = np.concatenate([y_alt[:distance], y_alt[distance:distance + len(alt)].max(0)[None],
                                y_alt[distance + len(alt):]])
    elif len(ref) > 1:  # deletion: zeros for the deleted positions
        y_alt = np.concatenate([y_alt[:distance + 1], np.zeros((len(ref) - 1, 3)),
                                y_alt[distance + 1:]])
    assert y_ref.shape == y_alt.shape == (2 * distance + 1, 3)
    diff = y_alt - y_ref
    expected = (diff[:, 1].max(), -diff[:, 1].min(), diff[:, 2].max(), -diff[:, 2].min())
    np.testing.assert_allclose(score.scores, expected, atol=1e-5)
    positions = (diff[:, 1].argmax(), diff[:, 1].argmin(), diff[:, 2].argmax(),
                 diff[:, 2].argmin())
    assert score.positions == tuple(int(p) - distance for p in positions)
    assert score.info.startswith(f"{alt}|TUBB8|{expected[0]:.2f}|")
    assert score.info.count("|") == 9


def test_chr_prefix_multiple_alts_and_unsupported_alleles(member1, table):
    fasta = example_fasta_path()
    plain = delta_scores(member1, fasta, "10", 94555, "C", ["A", "G", "<DEL>", "*"], table,
                         distance=5)
    prefixed = delta_scores(member1, fasta, "chr10", 94555, "C", "A,G".split(","), table,
                            distance=5)
    assert [s.info for s in plain] == [s.info for s in prefixed]
    assert [s.allele for s in plain] == ["A", "G"]
    mnp = delta_scores(member1, fasta, "10", 94660, "TG", ["CA"], table, distance=5)
    assert [s.info for s in mnp] == ["CA|TUBB8|.|.|.|.|.|.|.|."]


def test_skipped_records_are_logged(member1, table, caplog):
    fasta = example_fasta_path()
    with caplog.at_level(logging.WARNING, logger="captum_genomics.variants"):
        assert delta_scores(member1, fasta, "10", 94555, "G", ["T"], table) == []
        long_ref = read_region(fasta, ("chr10", 94600, 94700)).upper()
        assert delta_scores(member1, fasta, "10", 94600, long_ref, ["A"], table) == []
        assert delta_scores(member1, fasta, "10", 50000, "N", ["A"], table) == []
    assert "ref issue" in caplog.text and "ref too long" in caplog.text
    assert "50000" not in caplog.text  # outside every gene: silently unscored


def test_mask_zeroes_gains_at_annotated_sites(member1, table):
    fasta = example_fasta_path()
    args = (member1, fasta, "10", 94553, "A", ["G"], table)
    (plain,), (masked,) = delta_scores(*args, distance=10), delta_scores(*args, distance=10,
                                                                          mask=True)
    assert masked.positions == plain.positions
    boundary = table.distances(table.overlapping("10", 94553)[0], 94553)[2]
    for k, gain in enumerate((True, False, True, False)):
        hit = plain.positions[k] == boundary
        expect_zero = hit if gain else not hit
        assert masked.scores[k] == (0 if expect_zero else plain.scores[k])


def test_info_format():
    assert DeltaScore("A", "G", (0.5, -0.0001, 0.125, 1.0), (1, -2, 0, 3)).info == \
        "A|G|0.50|-0.00|0.12|1.00|1|-2|0|3"
