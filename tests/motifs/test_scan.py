from __future__ import annotations

import itertools

import numpy as np
import pytest

from captum_genomics.dna.alphabet import text_to_codes
from captum_genomics.motifs import Motif, Occurrences, default_splicing_motifs, scan_motifs

EPS = 1e-4  # memelite's pseudocount inside the log


def _log_odds(pwm: np.ndarray) -> np.ndarray:
    return np.log2(pwm + EPS) + 2.0


def oracle(codes: np.ndarray, motif: Motif, strand: str) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: score of every window without N, and its exact p-value by enumerating
    all 4**w words."""
    pwm = motif.pwm if strand == "+" else motif.pwm[::-1, ::-1]
    table = _log_odds(pwm)
    w = motif.width
    words = np.array(list(itertools.product(range(4), repeat=w)))
    all_scores = np.sort(table[words, np.arange(w)].sum(axis=1))
    n = codes.size - w + 1
    scores = np.full(n, -np.inf)
    for s in range(n):
        window = codes[s : s + w]
        if (window < 4).all():
            scores[s] = table[window, np.arange(w)].sum()
    p = 1.0 - np.searchsorted(all_scores, scores - 1e-9) / all_scores.size
    return scores, p


@pytest.fixture(scope="module")
def background():
    rng = np.random.default_rng(11)
    seqs = ["".join("ACGT"[i] for i in rng.integers(0, 4, n)) for n in (400, 257, 90)]
    seqs[1] = seqs[1][:100] + "TGCATG" + "NNNN" + seqs[1][110:]
    return seqs


@pytest.mark.parametrize("strands", ["+", "both"])
def test_scan_matches_brute_force_oracle(background, strands):
    motifs = [Motif.from_consensus("a", "TGCATG"), Motif("soft", np.random.default_rng(1)
                                                         .dirichlet(np.ones(4), 5).T)]
    threshold = 1e-2
    found = scan_motifs(background, motifs, threshold=threshold, strands=strands)
    assert found.n_sequences == 3 and found.motif_names == ("a", "soft")
    assert len(found) > 10
    for i, text in enumerate(background):
        codes = text_to_codes(text)
        for m, motif in enumerate(motifs):
            for strand in ("+", "-") if strands == "both" else ("+",):
                scores, p = oracle(codes, motif, strand)
                mine = found.take((found.sequence == i) & (found.motif == m)
                                  & (found.strand == strand))
                np.testing.assert_allclose(mine.score, scores[mine.start], atol=1e-4)
                assert (mine.end - mine.start == motif.width).all()
                # binned p-values: clear hits are found, reported ones are near the threshold
                clear = set(np.flatnonzero(p < threshold / 2).tolist())
                assert clear <= set(mine.start.tolist())
                assert (p[mine.start] < 2 * threshold).all()
                np.testing.assert_allclose(mine.p_value, p[mine.start], rtol=0.5)
    if strands == "+":
        assert set(found.strand.tolist()) == {"+"}
    else:
        assert set(found.strand.tolist()) == {"+", "-"}


def test_windows_with_n_are_not_reported_and_codes_equal_text(background):
    motif = Motif.from_consensus("a", "TGCATG")
    text = background[1]
    found = scan_motifs(text, motif, threshold=1e-3)
    assert 100 in found.start.tolist()
    assert not any("N" in text[s:e] for s, e in zip(found.start, found.end))
    codes = scan_motifs(text_to_codes(text), motif, threshold=1e-3)
    np.testing.assert_array_equal(codes.start, found.start)
    # nine of ten bases then N would pass (p ~ 3e-5) if N were scored as neutral; so would the
    # same nine bases at the end of a sequence shorter than the others of its batch
    long = Motif.from_consensus("long", "TGCATGCATG")
    rows = ["TGCATGCATN" + "A" * 20, "AAATGCATGCAT", "C" * 30, "TGCATGCATG"]
    got = scan_motifs(rows, long, threshold=1e-3)
    assert got.sequence.tolist() == [3] and got.start.tolist() == [0]


def test_reverse_strand_coordinates_are_forward():
    motif = Motif.from_consensus("a", "TGCATG")
    found = scan_motifs("GGGCATGCAGG", motif, threshold=1e-3, strands="both")
    assert found.strand.tolist() == ["-"] and found.start.tolist() == [3]
    assert found.end.tolist() == [9]


def test_occurrence_helpers(background):
    motifs = default_splicing_motifs()
    found = scan_motifs(background, motifs)
    counts = found.counts()
    assert counts.shape == (3, len(motifs)) and counts.sum() == len(found)
    one = found.for_sequence(1)
    assert len(one) == counts[1].sum() and set(one.sequence.tolist()) <= {1}
    table = found.to_table()
    assert len(table) == len(found)
    assert table.columns[:3] == ("sequence", "motif", "start")
    np.testing.assert_array_equal(table.column("start"), found.start)
    order = np.lexsort((found.strand, found.start, found.motif, found.sequence))
    np.testing.assert_array_equal(order, np.arange(len(found)))
    empty = scan_motifs("A" * 3, motifs)
    assert len(empty) == 0 and empty.counts().shape == (1, len(motifs))
    assert len(Occurrences.empty(["x"])) == 0


def test_table_to_tsv(tmp_path, background):
    found = scan_motifs(background[:1], default_splicing_motifs())
    path = tmp_path / "hits.tsv"
    found.to_table().to_tsv(path)
    lines = path.read_text().splitlines()
    assert lines[0].split("\t") == list(found.to_table().columns)
    assert len(lines) == len(found) + 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"strands": "-"}, "strands"),
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 2.0}, "threshold"),
        ({"motifs": []}, "Motif"),
        ({"motifs": [Motif.from_consensus("a", "AC")] * 2}, "unique"),
        ({"sequences": "ACGTR"}, "R"),
        ({"sequences": np.array([[0, 1, 7]])}, "0..4|codes"),
    ],
)
def test_scan_rejects_bad_input(kwargs, match):
    args = {"sequences": "ACGT", "motifs": [Motif.from_consensus("a", "AC")]} | kwargs
    with pytest.raises(ValueError, match=match):
        scan_motifs(**args)
