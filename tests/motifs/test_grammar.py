from __future__ import annotations

import pytest

from captum_genomics.gggp import (
    Grammar,
    LocalDataset,
    MotifDeletion,
    MotifInsertion,
    MotifMutation,
    SearchSettings,
    search,
)
from captum_genomics.motifs import (
    default_splicing_motifs,
    fit_motif_surrogate,
    load_motifs,
    motif_changes,
    motif_enrichment,
    motif_grammar,
    write_meme,
)

from .conftest import A_STARTS, B_STARTS, intact_a, planted_reference


def _count_a(batch):
    return intact_a(batch.strings())


@pytest.fixture(scope="module")
def searched(planted_motifs):
    reference = planted_reference()
    grammar = motif_grammar(Grammar(max_distance=10_000), reference, planted_motifs)
    settings = SearchSettings(population_size=60, max_evaluations=900, score_range=(0.0, 10.0),
                              n_bins=10, archive_size=600)
    result = search(reference, _count_a, grammar=grammar, settings=settings, seed=0)
    return grammar, LocalDataset.from_search(result)


def test_motif_grammar_puts_its_units_on_the_scanned_occurrences(planted_motifs):
    grammar = motif_grammar(Grammar(max_distance=10_000), planted_reference(), planted_motifs)
    assert [type(k) for k in grammar.kinds[3:]] == [MotifInsertion, MotifDeletion, MotifMutation]
    occurrences = grammar.kinds[4].occurrences
    assert sorted(occurrences.start) == sorted(A_STARTS + B_STARTS)
    assert all(e - s == 6 for s, e in zip(occurrences.start, occurrences.end))
    assert grammar.kinds[:3] == Grammar().kinds


def test_search_with_motif_units_breaks_and_adds_the_planted_motif(searched):
    grammar, dataset = searched
    kinds = {p.split("[")[0] for ph in dataset.phenotypes for p in ph.split("|")}
    assert {"MotifDeletion", "MotifMutation", "MotifInsertion"} <= kinds
    assert dataset.scores.min() <= 1 and dataset.scores.max() >= 4  # below and above the 3 copies


def test_motif_analysis_of_a_motif_grammar_dataset_finds_the_planted_motif(searched,
                                                                          planted_motifs):
    grammar, dataset = searched
    changes = motif_changes(dataset, planted_motifs, grammar=grammar)
    original = dataset.provenance["original_score"]
    assert original == 3.0
    table = motif_enrichment(changes, dataset.scores, original)
    significant = [dict(zip(table.columns, row)) for row in table.rows]
    first = significant[0]
    assert first["motif"] == "A_planted" and first["q_value"] < 1e-6
    # a search's edits co-occur, so breaking the decoy can ride along with breaking A in a
    # one-motif-at-a-time test; the motif surrogate weighs the motifs jointly and drops it
    surrogate = fit_motif_surrogate(changes, dataset.scores, original, seed=0)
    ranking = {(m, d): c for m, d, c in surrogate.ranking().rows}
    assert ranking[("A_planted", "lost")] < -0.5 and ranking[("A_planted", "gained")] > 0.5
    assert abs(ranking[("B_decoy", "lost")]) < 0.05 and abs(ranking[("B_decoy", "gained")]) < 0.05
    assert surrogate.fidelity["r2"] > 0.8


def test_load_motifs_reads_paths_lists_and_the_default(tmp_path, planted_motifs):
    path = tmp_path / "two.meme"
    write_meme(planted_motifs, path)
    assert [m.name for m in load_motifs(path)] == ["A_planted", "B_decoy"]
    assert load_motifs(planted_motifs) == planted_motifs
    assert [m.name for m in load_motifs(None)] == [m.name for m in default_splicing_motifs()]
    with pytest.raises(TypeError, match="MEME file path"):
        load_motifs(["TGCATG"])
    with pytest.raises(TypeError, match="empty list"):
        load_motifs([])
