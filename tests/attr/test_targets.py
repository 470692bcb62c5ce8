"""Captum-style ``target`` reading shared by the explainers."""

from __future__ import annotations

import pytest
import torch

from captum_genomics import GenomicIntegratedGradients, one_hot
from captum_genomics.attr._targets import per_example_targets, select_targets


def test_selects_one_score_per_example():
    out = torch.arange(24.0).view(2, 3, 4)
    torch.testing.assert_close(select_targets(out, per_example_targets((1, 2), 2)),
                               torch.tensor([6.0, 18.0]))
    torch.testing.assert_close(select_targets(out, per_example_targets([(0, 0), (2, -1)], 2)),
                               torch.tensor([0.0, 23.0]))
    per_row = per_example_targets(torch.tensor([2, 1]), 2)
    torch.testing.assert_close(select_targets(out[:, :, 0], per_row), torch.tensor([8.0, 16.0]))


@pytest.mark.parametrize("target, message", [
    (3, r"target \(3,\) is out of range for a model output of shape \(2, 3\)"),
    (-4, r"target \(-4,\) is out of range"),
    ((1, 0), "target has 2 indices per example but the model output has shape"),
])
def test_out_of_range_targets_name_the_output_shape(target, message):
    with pytest.raises(ValueError, match=message):
        select_targets(torch.zeros(2, 3), per_example_targets(target, 2))


def test_explainer_reports_a_bad_target_instead_of_an_index_error():
    model = torch.nn.Sequential(torch.nn.Conv1d(4, 2, 3), torch.nn.AdaptiveMaxPool1d(1),
                                torch.nn.Flatten())
    with pytest.raises(ValueError, match=r"target \(5,\) is out of range"):
        GenomicIntegratedGradients(model).attribute(one_hot(["ACGTACGTAC"]), target=5)


def test_several_values_left_ask_for_a_target():
    with pytest.raises(ValueError, match="pass a target= that selects one"):
        select_targets(torch.zeros(2, 3), None)
