"""Tests of the work bound of incremental scoring (splicing.cones); the bound against the
engine's work is tested with the engine (test_incremental.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from captum_genomics.models.spliceai import SpliceAI, SpliceAIEnsemble
from captum_genomics.splicing import cone_work, plain_work

torch.manual_seed(0)
MODELS = {80: SpliceAI(80).eval()}
ENSEMBLE = SpliceAIEnsemble([SpliceAI(400), SpliceAI(400)]).eval()


def test_cone_work_counts_a_hand_example():
    # SpliceAI-80: four units of width 11, dilation 1, each conv reaching 5 further
    model = MODELS[80]
    macs = 11 * 32 * 32
    full, bound = cone_work(model, [[100]], [[100]], [[101]])
    # output of conv c (c = 1..8) has backward radius 40 - 5c and forward radius 5c
    assert full.tolist() == [macs * sum(2 * (40 - 5 * c) + 1 for c in range(1, 9))]
    assert bound.tolist() == [macs * sum(2 * min(5 * c, 40 - 5 * c) + 1 for c in range(1, 9))]
    # a deletion point: the positions reading both of its sides
    _, point = cone_work(model, [[100]], [[100]], [[100]])
    expected = sum(min(5 * c, 40 - 5 * c) + min(5 * c - 1, 40 - 5 * c) + 1 for c in range(1, 9))
    assert point.tolist() == [macs * expected]
    # two sites sharing positions are counted once: one more position per convolution
    both, _ = cone_work(model, [[100, 101]], [[0]], [[1]])
    assert both[0] - full[0] == 8 * macs
    # an ensemble counts every member
    pair, pair_bound = cone_work(ENSEMBLE, [[150, 180]], [[160]], [[163]])
    one, one_bound = cone_work(ENSEMBLE.members[0], [[150, 180]], [[160]], [[163]])
    assert (pair, pair_bound) == (2 * one, 2 * one_bound) and 0 < one_bound[0] < one[0]
    with pytest.raises(ValueError, match="start <= end"):
        cone_work(model, [[100]], [[5]], [[4]])


def test_plain_work_is_the_cheaper_of_separate_and_merged_windows():
    model = SpliceAI(2000)
    single = model.macs(1)
    sites = np.array([[1000, 1010], [1000, 2500], [1000, 1000]])
    work = plain_work(model, sites)
    assert work.tolist() == [model.macs(11), 2 * single, model.macs(1)]
    assert work[0] < 2 * single and plain_work(model, [[1000]]).tolist() == [single]
    with pytest.raises(TypeError, match="SpliceAI"):
        cone_work(torch.nn.Conv1d(4, 3, 1), [[1]], [[1]], [[2]])
