"""Motif-recovery metrics on hand-built cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu

from captum_genomics.metrics import (
    avg_match_percent,
    information_content,
    motif_recovery,
)


def one_hot_codes(codes: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.eye(4)[codes].transpose(0, 2, 1).copy()).float()


def test_avg_match_perfect_half_and_undefined():
    codes = np.array([[0, 1, 2, 3, 0, 1]])
    x = one_hot_codes(codes)
    mask = np.array([[False, True, True, True, True, False]])
    assert avg_match_percent(x.clone(), x, mask) == 100.0
    attr = x.clone()
    attr[0, :, 1] = torch.tensor([1.0, 0.0, 0.0, 0.0])  # wrong base at position 1
    attr[0, :, 2] = torch.tensor([0.0, 0.0, -1.0, 0.5])  # wrong base at position 2
    assert avg_match_percent(attr, x, mask) == 50.0
    with pytest.warns(UserWarning, match="undefined"):
        assert np.isnan(avg_match_percent(attr, x, np.zeros((1, 6), dtype=bool)))


def test_avg_match_averages_over_sequences_and_accepts_nlc():
    x = one_hot_codes(np.array([[0, 0, 0, 0], [1, 1, 1, 1]]))
    attr = x.clone()
    attr[1, :, 0] = torch.tensor([1.0, 0, 0, 0])
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    expected = 100 * (1.0 + 0.75) / 2
    assert avg_match_percent(attr, x, mask) == pytest.approx(expected)
    nlc = avg_match_percent(attr.transpose(1, 2), x.transpose(1, 2), mask, layout="NLC")
    assert nlc == pytest.approx(expected)
    with pytest.raises(ValueError, match="motif_mask"):
        avg_match_percent(attr, x, mask[:, :3])


def test_information_content_known_values():
    ic = information_content([[1, 0, 0, 0], [0.25] * 4, [0.5, 0.5, 0, 0]])
    np.testing.assert_allclose(ic, [2.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="sum to 1"):
        information_content([[0.5, 0.5, 0.5, 0]])


def test_recovery_perfect_inverted_and_ties():
    mask = np.array([[False, True, True, False, False]])
    perfect = motif_recovery([[0, 5, 4, 1, 2]], mask)
    assert perfect["auroc"] == 1.0 and perfect["aupr"] == 1.0
    inverted = motif_recovery([[9, 0, 1, 8, 7]], mask)
    assert inverted["auroc"] == 0.0
    assert inverted["aupr"] == pytest.approx((1 / 4 + 2 / 5) / 2)
    flat = motif_recovery(np.ones((1, 5)), mask)
    assert flat["auroc"] == 0.5 and flat["aupr"] == pytest.approx(2 / 5)


def test_recovery_excludes_low_information_motif_positions():
    mask = np.array([[False, True, True, False]])
    info = np.array([[0.0, 2.0, 0.05, 0.0]])
    scores = np.array([[0.0, 3.0, -9.0, 1.0]])
    out = motif_recovery(scores, mask, information=info)
    assert out["auroc"] == 1.0  # the low-information motif position is left out
    assert motif_recovery(scores, mask)["auroc"] == 0.5


def test_recovery_without_both_classes_is_nan():
    with pytest.warns(UserWarning, match="both"):
        out = motif_recovery(np.ones((2, 4)), np.zeros((2, 4), dtype=bool))
    assert np.isnan(out["auroc"]) and out["n_sequences"] == 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), length=st.integers(4, 60))
def test_auroc_agrees_with_mann_whitney(seed, length):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 5, size=length).astype(float)  # many ties
    mask = rng.random(length) < 0.3
    if mask.all() or not mask.any():
        mask[0], mask[-1] = True, False
    u = mannwhitneyu(scores[mask], scores[~mask]).statistic
    expected = u / (mask.sum() * (~mask).sum())
    assert motif_recovery(scores[None], mask[None])["auroc"] == pytest.approx(expected)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), length=st.integers(4, 40))
def test_aupr_agrees_with_definition(seed, length):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size=length).astype(float)
    labels = rng.random(length) < 0.4
    if not labels.any() or labels.all():
        labels[0], labels[-1] = True, False
    # step-wise precision-recall over distinct thresholds, high to low
    total, previous_recall = 0.0, 0.0
    for t in np.unique(scores)[::-1]:
        chosen = scores >= t
        precision = labels[chosen].mean()
        recall = labels[chosen].sum() / labels.sum()
        total += precision * (recall - previous_recall)
        previous_recall = recall
    assert motif_recovery(scores[None], labels[None])["aupr"] == pytest.approx(total)
