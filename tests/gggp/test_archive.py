from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.gggp.archive import (
    Archive,
    Binning,
    archive_quality,
    quality_components,
)
from captum_genomics.gggp.population import Population


def test_bins_and_edges():
    bins, sub = Binning().assign([0.0, 0.0249, 0.025, 0.05, 0.999, 1.0, -0.1, 1.1, math.nan])
    np.testing.assert_array_equal(bins, [0, 0, 1, 2, 39, 39, -1, -1, -1])
    np.testing.assert_array_equal(sub, [0, 9, 0, 0, 9, 9, -1, -1, -1])
    bins, _ = Binning(10, -5.0, 5.0).assign([-5.0, 0.0, 4.99, 5.0])
    np.testing.assert_array_equal(bins, [0, 5, 9, 9])
    with pytest.raises(ValueError, match="low < high"):
        Binning(40, 1.0, 0.0)


def _h(p):
    return -sum(x * math.log(x) for x in p if x > 0)


def test_quality_hand_computed():
    # 4 bins of 0.25 with 2 sub-bins of 0.125; scores at sub-bin centres
    scores = [0.0625, 0.0625, 0.1875, 0.3125, 0.9375]
    q = quality_components(scores, n_bins=4, n_sub_bins=2, target_size=10, min_per_bin=2)
    size = 0.5
    uniformity = _h([3 / 5, 1 / 5, 1 / 5]) / math.log(4)
    diversity = (_h([2 / 3, 1 / 3]) / math.log(2) + 0 + 0) / 3
    coverage = 1 - 3 / 4
    assert q.size == pytest.approx(size)
    assert q.uniformity == pytest.approx(uniformity)
    assert q.diversity == pytest.approx(diversity)
    assert q.coverage == pytest.approx(coverage)
    expected = 0.3 * size + 0.3 * uniformity + 0.2 * diversity + 0.2 * coverage
    assert q.quality == pytest.approx(expected)
    assert archive_quality(
        scores, n_bins=4, n_sub_bins=2, target_size=10, min_per_bin=2
    ) == pytest.approx(expected)


def test_quality_extremes():
    assert archive_quality([]) == 0.0
    perfect = (np.arange(400) + 0.5) / 400
    assert archive_quality(np.repeat(perfect, 13)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="score_range"):
        archive_quality([0.5, 1.5])


@given(st.lists(st.floats(0, 1), max_size=300), st.integers(1, 400))
@settings(deadline=None, max_examples=40)
def test_quality_is_bounded_and_monotone_in_size(scores, target):
    q = quality_components(scores, target_size=target)
    assert 0.0 <= q.quality <= 1.0 + 1e-12
    assert all(0.0 <= v <= 1.0 + 1e-12 for v in q)
    doubled = quality_components(list(scores) * 2, target_size=target)
    assert doubled.size >= q.size
    assert doubled.uniformity == pytest.approx(q.uniformity)
    assert doubled.diversity == pytest.approx(q.diversity)


def _pop(n):
    return Population.empty(n, 2, 1)


def test_archive_add_rules():
    archive = Archive(Binning(4, 0.0, 1.0, 2), target_size=5, min_per_bin=1)
    archive.exclude([b"ref"])
    keys = [b"a", b"b", b"a", b"ref", b"c", b"d"]
    scores = np.array([0.1, 0.6, 0.2, 0.5, 2.0, 0.9])
    added = archive.add(keys, scores, _pop(6), 0, np.arange(6.0), eligible=[1, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(added, [1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(archive.counts, [1, 0, 1, 0])
    added = archive.add(
        [b"b", b"e", b"f", b"g", b"h"], np.array([0.3, 0.3, 0.8, 1.0, 0.0]), _pop(5), 1, np.zeros(5)
    )
    np.testing.assert_array_equal(added, [0, 1, 1, 1, 0])  # duplicate, then capacity
    assert len(archive) == 5 and archive.full
    pop, scores, gens, fit = archive.entries()
    np.testing.assert_allclose(scores, [0.1, 0.6, 0.3, 0.8, 1.0])
    np.testing.assert_array_equal(gens, [0, 0, 1, 1, 1])
    np.testing.assert_allclose(fit, [0, 1, 0, 0, 0])
    assert len(pop) == 5
    assert archive.quality() == quality_components(
        scores, n_bins=4, n_sub_bins=2, target_size=5, min_per_bin=1
    )


def test_archive_rebuild_recounts_drops_duplicates_and_keeps_exclusions():
    archive = Archive(Binning(4, 0.0, 1.0, 2), target_size=10, min_per_bin=1)
    archive.exclude([b"ref"])
    pop = _pop(3)
    pop.kind[:, 0] = 0
    pop.kind[1, 1] = 0  # units per row: 1, 2, 1
    archive.add([b"a", b"b", b"c"], np.array([0.1, 0.6, 0.9]), pop, 1, np.ones(3))
    assert archive.mean_units == pytest.approx(4 / 3)
    kept = archive.rebuild(
        [b"a", b"a", b"ref"], np.array([0.1, 0.3, 0.9]), pop, np.array([1, 2, 3]), np.ones(3)
    )
    np.testing.assert_array_equal(kept, [1, 0, 0])
    np.testing.assert_array_equal(archive.counts, [1, 0, 0, 0])
    assert len(archive) == 1 and archive.mean_units == 1.0
    assert archive.add([b"b"], np.array([0.6]), _pop(1), 4, np.ones(1)).all()  # b is free again
    np.testing.assert_array_equal(archive.entries()[2], [1, 4])
    assert math.isnan(Archive().mean_units)
