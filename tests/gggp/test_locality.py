"""Score-matched locality: edit distances of two local datasets compared at equal scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.gggp import (
    Grammar,
    individual_edit_distances,
    parse_phenotypes,
    score_matched_locality,
)
from captum_genomics.gggp.locality import edit_distances
from captum_genomics.gggp.population import apply_population

scores_st = st.lists(st.floats(0, 1), min_size=1, max_size=30)


def test_coverage_does_not_count_against_a_dataset_closer_score_for_score():
    # ours: close near the input's score (0.9), far edits only where the baseline never goes
    ours = score_matched_locality([1, 1, 12, 12, 12], [0.91, 0.92, 0.1, 0.2, 0.3],
                                  [3, 4, 5], [0.91, 0.92, 0.93])
    assert np.mean([1, 1, 12, 12, 12]) > np.mean([3, 4, 5])  # the plain means say the opposite
    assert ours["edit_distance"] == pytest.approx(1.0)
    # 0.91 and 0.92 share bin [0.9, 0.925); the baseline's 0.93 lies in the next, which ours lacks
    assert ours["baseline_edit_distance"] == pytest.approx(3.5)
    assert ours["shared_bins"] == 1
    assert ours["share"] == pytest.approx(2 / 5)
    assert ours["baseline_share"] == pytest.approx(2 / 3)


def test_baseline_counts_weigh_the_bins():
    # bin of 0.1 holds 3 baseline entries, bin of 0.9 one: our bin means 2 and 10 weigh 3:1
    out = score_matched_locality([2, 10], [0.1, 0.9], [5, 5, 5, 7], [0.1, 0.11, 0.12, 0.9])
    assert out["edit_distance"] == pytest.approx((3 * 2 + 10) / 4)
    assert out["baseline_edit_distance"] == pytest.approx((15 + 7) / 4)


@settings(max_examples=40, deadline=None)
@given(scores=scores_st, data=st.data())
def test_a_dataset_matched_with_itself_is_as_close_as_itself(scores, data):
    d = data.draw(st.lists(st.integers(0, 30), min_size=len(scores), max_size=len(scores)))
    out = score_matched_locality(d, scores, d, scores)
    assert out["edit_distance"] == pytest.approx(out["baseline_edit_distance"])
    assert out["edit_distance"] == pytest.approx(np.mean(d))
    assert out["share"] == out["baseline_share"] == 1.0


@settings(max_examples=40, deadline=None)
@given(scores=scores_st, base_scores=scores_st, shift=st.integers(0, 9), data=st.data())
def test_shifting_every_distance_shifts_the_matched_distance(scores, base_scores, shift, data):
    d = np.array(data.draw(st.lists(st.integers(0, 20), min_size=len(scores),
                                    max_size=len(scores))))
    b = np.zeros(len(base_scores))
    out = score_matched_locality(d, scores, b, base_scores)
    moved = score_matched_locality(d + shift, scores, b, base_scores)
    if out["shared_bins"]:
        assert moved["edit_distance"] == pytest.approx(out["edit_distance"] + shift)
    else:
        assert np.isnan(moved["edit_distance"]) and moved["share"] == 0.0


@settings(max_examples=30, deadline=None)
@given(scores=scores_st, base_scores=scores_st, copies=st.integers(2, 4), data=st.data())
def test_duplicating_the_baseline_changes_nothing(scores, base_scores, copies, data):
    d = data.draw(st.lists(st.integers(0, 20), min_size=len(scores), max_size=len(scores)))
    b = data.draw(st.lists(st.integers(0, 20), min_size=len(base_scores),
                           max_size=len(base_scores)))
    once = score_matched_locality(d, scores, b, base_scores)
    many = score_matched_locality(d, scores, b * copies, base_scores * copies)
    for key in ("edit_distance", "baseline_edit_distance"):
        np.testing.assert_allclose(many[key], once[key])


def test_no_shared_bin_and_bad_input():
    out = score_matched_locality([1], [0.1], [1], [0.9])
    assert np.isnan(out["edit_distance"]) and out["shared_bins"] == 0
    with pytest.raises(ValueError, match="lengths differ"):
        score_matched_locality([1, 2], [0.1], [1], [0.9])
    with pytest.raises(ValueError, match="outside score_range"):
        score_matched_locality([1], [0.1], [1], [1.5])
    with pytest.raises(ValueError, match="NaN"):
        score_matched_locality([1], [np.nan], [1], [0.5])
    # another score range bins accordingly
    out = score_matched_locality([2], [5.0], [4], [5.1], n_bins=10, score_range=(0, 10))
    assert out["shared_bins"] == 1 and out["edit_distance"] == 2.0


def test_individual_edit_distances_are_exact():
    reference = "ACGTACGTACGTACGTACGT"
    phenotypes = ["SNV[2,A]", "Deletion[3,5]", "Insertion[4,GT]|SNV[10,T]",
                  "SNV[1,A]|SNV[5,A]|Deletion[12,15]"]
    population = parse_phenotypes(phenotypes, Grammar())
    out = individual_edit_distances(apply_population(reference, population).reference,
                                    population)
    rows = apply_population(reference, population).rows()
    assert out.tolist() == [1, 2, 3, 5]
    assert out.tolist() == edit_distances(rows, reference).tolist()
    assert individual_edit_distances(reference, population.take(np.zeros(0, int))).size == 0
