from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from captum_genomics.gggp import Grammar, LocalDataset
from captum_genomics.motifs import (
    ENRICHMENT_COLUMNS,
    benjamini_hochberg,
    default_splicing_motifs,
    fit_motif_surrogate,
    motif_changes,
    motif_enrichment,
    scan_motifs,
)


@pytest.fixture(scope="module")
def changes(planted_dataset, planted_motifs):
    return motif_changes(planted_dataset, planted_motifs)


def test_changes_balance_the_occurrence_counts(planted_dataset, changes, planted_motifs):
    ref_counts = scan_motifs(planted_dataset.reference, planted_motifs).counts()[0]
    edited = scan_motifs(planted_dataset.sequences, planted_motifs).counts()
    np.testing.assert_array_equal(edited - ref_counts, changes.gained - changes.lost)
    assert changes.lost[:, 0].sum() > 30 and changes.lost[:, 1].sum() > 30
    assert changes.reference_occurrences.start.tolist() == [30, 110, 190, 65, 145, 215]
    np.testing.assert_array_equal(changes.lost, changes.lost_occurrences.counts())
    np.testing.assert_array_equal(changes.gained, changes.gained_occurrences.counts())


def test_lost_occurrences_are_the_touched_reference_windows(planted_dataset, changes):
    population = planted_dataset.population(Grammar(max_distance=10_000))
    for i in range(40):
        valid = population.valid[i]
        pos, ref_len = population.pos[i, valid], population.ref_len[i, valid]
        expected = set()
        for m, start in zip(changes.reference_occurrences.motif,
                            changes.reference_occurrences.start):
            end = start + 6
            if any(start < p + r and end > p for p, r in zip(pos, ref_len)):
                expected.add((int(m), int(start)))
        lost = changes.lost_occurrences.for_sequence(i)
        assert set(zip(lost.motif.tolist(), lost.start.tolist())) == expected


def test_window_scan_equals_full_scan(planted_dataset, changes, planted_motifs):
    motifs = default_splicing_motifs() + planted_motifs
    windows = motif_changes(planted_dataset, motifs, threshold=1e-2, strands="both")
    full = motif_changes(planted_dataset, motifs, threshold=1e-2, strands="both", scan="full")
    assert windows.gained.sum() > 100
    np.testing.assert_array_equal(windows.gained, full.gained)
    np.testing.assert_array_equal(windows.lost, full.lost)
    for name in ("sequence", "motif", "start", "end", "strand", "score"):
        np.testing.assert_array_equal(getattr(windows.gained_occurrences, name),
                                      getattr(full.gained_occurrences, name))


def test_enrichment_ranks_the_planted_loss_first(planted_dataset, changes):
    original = planted_dataset.provenance["original_score"]
    assert original == 3.0
    table = motif_enrichment(changes, planted_dataset.scores, original)
    assert table.columns == ENRICHMENT_COLUMNS and len(table) == 4
    top = dict(zip(table.columns, table.rows[0]))
    assert (top["motif"], top["direction"]) == ("A_planted", "lost")
    assert top["q_value"] < 1e-6 and top["difference"] < -0.5
    assert top["cliffs_delta"] < -0.9 and top["cohens_d"] < -1
    for row in table.rows:
        record = dict(zip(table.columns, row))
        if record["motif"] == "B_decoy":
            assert np.isnan(record["q_value"]) or record["q_value"] > 0.05
    q = table.column("q_value")
    finite = q[~np.isnan(q)]
    assert (np.diff(finite) >= 0).all()


def test_enrichment_statistics_by_hand():
    from captum_genomics.motifs.analysis import MotifChanges
    from captum_genomics.motifs.scan import Occurrences

    lost = np.array([[1], [1], [0], [0], [0]])
    empty = Occurrences.empty(["m"], 5)
    changes = MotifChanges(("m",), np.zeros_like(lost), lost, empty, empty, empty)
    scores = np.array([0.0, 0.2, 1.0, 0.9, 0.8])
    table = motif_enrichment(changes, scores, original_score=1.0)
    row = dict(zip(table.columns, table.rows[0]))
    assert (row["motif"], row["direction"], row["n_with"], row["n_without"]) == ("m", "lost", 2, 3)
    assert row["mean_change_with"] == pytest.approx(-0.9)
    assert row["mean_change_without"] == pytest.approx(-0.1)
    assert row["cliffs_delta"] == -1.0 and row["u_statistic"] == 0.0
    untestable = dict(zip(table.columns, table.rows[1]))
    assert untestable["direction"] == "gained" and np.isnan(untestable["p_value"])
    with pytest.raises(ValueError, match="5 individuals"):
        motif_enrichment(changes, scores[:3], 1.0)


def test_benjamini_hochberg_matches_scipy():
    rng = np.random.default_rng(2)
    p = rng.random(50) ** 3
    np.testing.assert_allclose(benjamini_hochberg(p), false_discovery_control(p))
    with_nan = np.append(p, np.nan)
    q = benjamini_hochberg(with_nan)
    assert np.isnan(q[-1])
    np.testing.assert_allclose(q[:-1], false_discovery_control(p))


def test_surrogate_recovers_the_planted_motif(planted_dataset, changes):
    fit = fit_motif_surrogate(changes, planted_dataset.scores,
                              planted_dataset.provenance["original_score"])
    top = fit.ranking().rows[0]
    assert top[:2] == ("A_planted", "lost") and top[2] < -0.8
    assert fit.fidelity["r2"] > 0.9 and fit.fidelity["spearman"] > 0.8
    assert fit.fidelity["n_test"] == 125 and fit.fidelity["n_train"] == 375
    b_lost = fit.feature_names.index(("B_decoy", "lost"))
    assert abs(fit.coefficients[b_lost]) < 0.1
    np.testing.assert_allclose(fit.predict(np.zeros((1, 4))), [fit.intercept])
    with pytest.raises(ValueError, match="test_fraction"):
        fit_motif_surrogate(changes, planted_dataset.scores, 3.0, test_fraction=1.0)
    with pytest.raises(ValueError, match="alpha"):
        fit_motif_surrogate(changes, planted_dataset.scores, 3.0, alpha=-1)


def test_changes_of_an_unparsable_dataset_and_bad_mode(planted_dataset, planted_motifs):
    odd = LocalDataset(planted_dataset.reference, ["Inversion[3,9]"], ["A"], [0.0], [0], [0.0])
    with pytest.raises(ValueError, match="Inversion"):
        motif_changes(odd, planted_motifs)
    with pytest.raises(ValueError, match="scan"):
        motif_changes(planted_dataset, planted_motifs, scan="fast")


@pytest.mark.parametrize("scan", ["windows", "full"])
def test_changes_by_hand_at_ends_and_junctions(planted_motifs, scan):
    reference = "TGCATG" + "AAAA" + "TGCACCTG" + "AAAA" + "TGCATG"  # copies at 0 and 22
    cases = {
        "Deletion[0,1]": (0, 1),  # breaks the first copy
        "Insertion[25,C]": (0, 1),  # splits the last copy
        "Insertion[22,GG]": (0, 0),  # just before the last copy: it moves, intact
        "Insertion[10,TGCATG]": (1, 0),  # inserts a copy
        "Deletion[26,28]": (0, 1),  # cuts the end of the last copy
        "": (0, 0),
        "Deletion[14,16]": (1, 0),  # TGCA|CC|TG -> TGCATG across the junction
        "SNV[0,A]|SNV[27,A]": (0, 2),
    }
    dataset = LocalDataset(reference, list(cases), ["A"] * len(cases), np.zeros(len(cases)),
                           np.zeros(len(cases)), np.zeros(len(cases)))
    changes = motif_changes(dataset, planted_motifs[:1], scan=scan)
    np.testing.assert_array_equal(changes.gained[:, 0], [g for g, _ in cases.values()])
    np.testing.assert_array_equal(changes.lost[:, 0], [lost for _, lost in cases.values()])
    junction = changes.gained_occurrences.for_sequence(6)
    assert junction.start.tolist() == [10] and junction.end.tolist() == [16]
    assert changes.individuals("A_planted", "lost").tolist() == [0, 1, 4, 7]
