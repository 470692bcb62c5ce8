from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import entropy

from captum_genomics.gggp.fitness import (
    binfiller,
    frontier_distance,
    get_fitness,
    iad,
    open_bins,
)


def test_binfiller_hand_computed():
    counts = np.array([10, 0, 3, 9])  # T = 40 // 4 = 10, overflow above 10.5
    bins = np.array([1, 0, 2, 3, 3, 3, 0, -1])
    got = binfiller(bins, counts, 40)
    np.testing.assert_allclose(got, [1.0, 0.0, 0.7, 0.1, 0.1, -1.0, -1.0, -1.0])


def test_binfiller_reference_scale():
    counts = np.zeros(40, int)
    counts[5] = 125
    counts[6] = 100
    bins = np.array([5, 6, 7])
    np.testing.assert_allclose(binfiller(bins, counts, 5000), [0.0, 0.2, 1.0])
    crowd = np.full(32, 6)  # the 32nd sees 100 + 31 = 131 <= 1.05 * 125; the 33rd 132 > 131.25
    got = binfiller(crowd, counts, 5000)
    np.testing.assert_allclose(got, 0.2)
    assert binfiller(np.full(33, 6), counts, 5000)[-1] == -1.0
    with pytest.raises(ValueError, match="target_size"):
        binfiller(bins, counts, 39)


def test_iad_hand_computed():
    counts = np.array([1, 1, 0, 0])
    ln4 = math.log(4)
    base = math.log(2) / ln4
    to_new = math.log(3) / ln4 - base
    to_full = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / ln4 - base
    np.testing.assert_allclose(iad(np.array([2, 0, 1, -1]), counts), [to_new, to_full, to_full, 0])
    np.testing.assert_allclose(iad(np.array([0, 3]), np.zeros(4, int)), [0.0, 0.0])


@given(st.lists(st.integers(0, 30), min_size=2, max_size=12), st.data())
@settings(deadline=None, max_examples=50)
def test_iad_is_entropy_gain(counts, data):
    counts = np.array(counts)
    b = data.draw(st.integers(0, counts.size - 1))
    after = counts.copy()
    after[b] += 1

    def h(c):
        return entropy(c) / math.log(c.size) if c.sum() else 0.0

    assert iad(np.array([b]), counts)[0] == pytest.approx(h(after) - h(counts), abs=1e-12)


@given(
    st.lists(st.integers(-1, 9), max_size=40),
    st.lists(st.integers(0, 30), min_size=10, max_size=10),
)
@settings(deadline=None, max_examples=50)
def test_binfiller_matches_sequential_definition(bins, counts):
    bins, counts = np.array(bins, dtype=int), np.array(counts)
    per_bin = 100 // 10
    running = counts.copy()
    expected = []
    for b in bins:
        if b < 0:
            expected.append(-1.0)
            continue
        expected.append(-1.0 if running[b] > 1.05 * per_bin else 1 - counts[b] / per_bin)
        running[b] += 1
    np.testing.assert_allclose(binfiller(bins, counts, 100), expected)


def test_get_fitness():
    assert get_fitness("BinFiller") is binfiller and get_fitness("iad") is iad
    assert get_fitness(len) is len
    with pytest.raises(ValueError, match="unknown fitness"):
        get_fitness("novelty")


def test_open_bins_binfiller_and_iad():
    counts = np.array([10, 0, 3, 12])  # BinFiller T = 10: bins below 10 admit
    np.testing.assert_array_equal(open_bins(binfiller, counts, 40), [False, True, True, False])
    uniform = np.array([5, 5, 5, 0])  # IAD: only the empty bin raises the entropy
    np.testing.assert_array_equal(open_bins(iad, uniform, 40), [False, False, False, True])


def test_frontier_distance_hand_computed():
    admitting = np.array([False, True, False, False, False, True, False])
    bins = np.array([0, 1, 2, 3, 4, 6, -1])
    np.testing.assert_array_equal(frontier_distance(bins, admitting), [1, 0, 1, 2, 1, 1, 7])
    nothing_admits = np.zeros(7, bool)
    np.testing.assert_array_equal(frontier_distance(bins, nothing_admits), np.zeros(7))


@given(st.lists(st.booleans(), min_size=1, max_size=30), st.data())
@settings(max_examples=60, deadline=None)
def test_frontier_distance_is_the_nearest_admitting_bin(admitting, data):
    admitting = np.array(admitting)
    n = admitting.size
    bins = np.array(data.draw(st.lists(st.integers(-1, n - 1), min_size=1, max_size=20)))
    got = frontier_distance(bins, admitting)
    targets = np.flatnonzero(admitting)
    for b, d in zip(bins, got):
        if targets.size == 0:
            assert d == 0
        elif b < 0:
            assert d == n
        else:
            assert d == np.abs(targets - b).min()
