from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from captum_genomics.gggp.archive import Archive, Binning
from captum_genomics.gggp.grammar import Grammar
from captum_genomics.gggp.population import apply_population, format_phenotypes, parse_phenotypes
from captum_genomics.gggp.prune import drop_each_unit, prune_archive, prune_result
from captum_genomics.gggp.search import Evaluator, SearchSettings, search

GRAMMAR = Grammar()
SNV_CODE = [kind.name for kind in GRAMMAR.kinds].index("SNV")
REFERENCE = "ACGT" * 10


class EvenSNVScorer:
    """``step * (SNVs at even positions) + size_weight * units``: every other unit is
    removable when ``size_weight`` is 0."""

    def __init__(self, step: float = 0.1, size_weight: float = 0.0) -> None:
        self.step, self.size_weight = step, size_weight
        self.calls = 0

    def __call__(self, batch):
        self.calls += 1
        pop = batch.population
        even = (pop.kind == SNV_CODE) & (pop.pos % 2 == 0)
        return np.minimum(1.0, self.step * even.sum(axis=1) + self.size_weight * pop.n_units)


PHENOTYPES = [
    "SNV[2,A]|SNV[5,A]|Deletion[10,12]",  # SNV[5] then the deletion can go
    "SNV[4,C]|SNV[6,C]",  # both count: nothing to drop
    "SNV[7,A]|Insertion[20,TT]",  # becomes Insertion[20,TT]
    "SNV[9,A]|Insertion[20,TT]",  # becomes Insertion[20,TT] too: a duplicate
]


def _archive(scorer):
    space = GRAMMAR.bind(REFERENCE)
    pop = parse_phenotypes(PHENOTYPES, GRAMMAR)
    evaluator = Evaluator(space, scorer, batch_size=4)
    scores, keys, _ = evaluator(pop)
    archive = Archive(Binning(), target_size=100)
    archive.add(keys, scores, pop, 1, np.ones(len(pop)))
    return archive, evaluator


def _phenotypes(archive):
    return format_phenotypes(archive.entries()[0], GRAMMAR)


def test_drop_each_unit_lists_every_one_unit_removal():
    variants, owner = drop_each_unit(
        parse_phenotypes(["SNV[1,A]|SNV[3,A]|SNV[5,A]", "SNV[8,A]"], GRAMMAR)
    )
    assert owner.tolist() == [0, 0, 0]
    assert format_phenotypes(variants, GRAMMAR) == [
        "SNV[3,A]|SNV[5,A]",
        "SNV[1,A]|SNV[5,A]",
        "SNV[1,A]|SNV[3,A]",
    ]


def test_one_pass_drops_the_first_removable_unit_and_duplicates():
    scorer = EvenSNVScorer()
    archive, evaluator = _archive(scorer)
    before = evaluator.evaluations
    report = prune_archive(archive, evaluator)
    assert _phenotypes(archive) == [
        "SNV[2,A]|Deletion[10,12]",
        "SNV[4,C]|SNV[6,C]",
        "Insertion[20,TT]",
    ]
    assert (report.pruned, report.units_removed, report.duplicates, report.passes) == (3, 3, 1, 1)
    assert report.evaluations == evaluator.evaluations - before == 8  # 3 + 2 + 2 + 2 - 1 shared
    assert len(archive) == 3 and archive.counts.sum() == 3


def test_repeat_removes_every_removable_unit_and_scores_are_exact():
    scorer = EvenSNVScorer()
    archive, evaluator = _archive(scorer)
    report = prune_archive(archive, evaluator, repeat=True)
    assert _phenotypes(archive) == ["SNV[2,A]", "SNV[4,C]|SNV[6,C]", "Insertion[20,TT]"]
    assert report.passes == 2 and report.units_removed == 4
    pop, scores, _, _ = archive.entries()
    np.testing.assert_array_equal(scores, scorer(apply_population(GRAMMAR.bind(REFERENCE), pop)))


def test_tolerance_is_measured_against_the_archived_score():
    # every unit adds 0.001: never the same at 4 decimals, within a tolerance of 0.0015 once
    scorer = EvenSNVScorer(size_weight=0.001)
    archive, evaluator = _archive(scorer)
    assert prune_archive(archive, evaluator, repeat=True).units_removed == 0
    archive, evaluator = _archive(scorer)
    report = prune_archive(archive, evaluator, repeat=True, tolerance=0.0015)
    assert _phenotypes(archive)[0] == "SNV[2,A]|Deletion[10,12]"  # a second step drifts 0.002
    assert report.units_removed == 3
    archive, evaluator = _archive(scorer)
    prune_archive(archive, evaluator, repeat=True, tolerance=0.0025)
    assert _phenotypes(archive)[0] == "SNV[2,A]"
    pop, scores, _, _ = archive.entries()
    np.testing.assert_allclose(scores, scorer(apply_population(GRAMMAR.bind(REFERENCE), pop)))


def test_a_budget_stops_pruning_and_reports_it():
    archive, evaluator = _archive(EvenSNVScorer())
    report = prune_archive(archive, evaluator, max_evaluations=2)
    assert not report.complete and report.evaluations == 2
    assert len(archive) == 4  # nothing removable among the two variants scored


def _search(scorer, **kw):
    kw.setdefault("max_evaluations", 600)
    settings = SearchSettings(population_size=40, archive_size=200, n_bins=8, **kw)
    return search("ACGT" * 30, scorer, grammar=GRAMMAR, settings=settings, seed=3)


def test_search_prunes_at_the_end_and_at_chosen_generations():
    plain = _search(EvenSNVScorer(0.125))
    pruned = _search(EvenSNVScorer(0.125), prune="end", prune_repeat=True)
    assert pruned.prune_evaluations > 0
    assert pruned.evaluations == plain.evaluations + pruned.prune_evaluations
    assert pruned.pruning[-1]["generation"] == "end" and pruned.pruning[-1]["units_removed"] > 0
    assert pruned.locality["mean_units"] < plain.locality["mean_units"]
    assert pruned.locality["mean_edit_distance"] < plain.locality["mean_edit_distance"]
    record = pruned.provenance()
    assert record["prune_evaluations"] == pruned.prune_evaluations
    assert record["units_removed"] == pruned.pruning[-1]["units_removed"]
    bins, _ = pruned.archive.binning.assign(pruned.archive.scores)
    np.testing.assert_array_equal(pruned.archive.counts, np.bincount(bins, minlength=8))
    during = _search(EvenSNVScorer(0.125), prune_generations=(2,))
    assert during.evaluations <= 600 and during.log[2]["prune_evaluations"] > 0
    assert [row["prune_evaluations"] for row in during.log].count(0) == len(during.log) - 1
    assert during.pruning[0]["generation"] == 2


def test_prune_result_leaves_the_search_result_unchanged():
    result = _search(EvenSNVScorer(0.125))
    scores = result.archive.scores.copy()
    pruned = prune_result(result, EvenSNVScorer(0.125), repeat=True)
    np.testing.assert_array_equal(result.archive.scores, scores)
    assert pruned.archive.mean_units < result.archive.mean_units
    assert pruned.evaluations == result.evaluations + pruned.prune_evaluations
    assert pruned.prune_evaluations > 0 and pruned.pruning[-1]["generation"] == "end"


@pytest.mark.parametrize("tolerance, repeat", [(None, False), (0.05, True)])
def test_prune_result_equals_pruning_at_the_end_of_the_search(tolerance, repeat):
    # both reuse what the search scored, so they spend the same new evaluations
    after = prune_result(_search(EvenSNVScorer(0.125, 0.01)), EvenSNVScorer(0.125, 0.01),
                         tolerance=tolerance, repeat=repeat)
    during = _search(EvenSNVScorer(0.125, 0.01), prune="end", prune_tolerance=tolerance,
                     prune_repeat=repeat)
    assert format_phenotypes(after.archive.entries()[0], GRAMMAR) == format_phenotypes(
        during.archive.entries()[0], GRAMMAR
    )
    np.testing.assert_array_equal(after.archive.scores, during.archive.scores)
    assert after.evaluations == during.evaluations
    assert after.prune_evaluations == during.prune_evaluations > 0
    assert after.pruning[-1] == during.pruning[-1]
    assert len(after.scored) == after.evaluations


def test_prune_result_does_not_score_again_what_the_search_scored():
    result = _search(EvenSNVScorer(0.125))
    pruned = prune_result(result, EvenSNVScorer(0.125), repeat=True)
    forgetful = prune_result(dataclasses.replace(result, scored={}), EvenSNVScorer(0.125),
                             repeat=True)
    assert format_phenotypes(pruned.archive.entries()[0], GRAMMAR) == format_phenotypes(
        forgetful.archive.entries()[0], GRAMMAR
    )
    assert 0 < pruned.prune_evaluations < forgetful.prune_evaluations
    assert set(result.scored) <= set(pruned.scored) and len(result.scored) == result.evaluations


def test_an_error_while_pruning_keeps_the_unpruned_archive(failing_scorer):
    counting = EvenSNVScorer(0.125)
    plain = _search(counting)
    failing = failing_scorer(EvenSNVScorer(0.125), calls=counting.calls)  # fails on pruning's first
    with pytest.raises(RuntimeError, match="out of memory") as caught:
        _search(failing, prune="end")
    partial = caught.value.partial
    assert partial.stop_reason == "error" and partial.pruning == []
    assert format_phenotypes(partial.archive.entries()[0], GRAMMAR) == format_phenotypes(
        plain.archive.entries()[0], GRAMMAR
    )
