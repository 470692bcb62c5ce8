"""Errors that name the user's problem, not a raw numpy or torch one (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from captum_genomics.attr.gggp import GGGPPerturbationExplainer
from captum_genomics.dna.codec import one_hot
from captum_genomics.gggp.grammar import Grammar
from captum_genomics.gggp.search import SearchSettings

REFERENCE = "".join("ACGT"[i] for i in np.random.default_rng(0).integers(0, 4, 60))


class TinyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, 2, 5)

    def forward(self, x):
        return self.conv(x).mean(dim=2)


def test_gggp_model_returning_numpy_is_a_clear_type_error():
    model = TinyNet().eval()
    explainer = GGGPPerturbationExplainer(
        lambda x: model(x).detach().numpy(), grammar=Grammar(roi=(20, 40)),
        settings=SearchSettings(max_evaluations=100, population_size=20))
    with pytest.raises(TypeError, match=r"returned numpy.ndarray, not a torch.Tensor.*"
                                        r"torch.as_tensor"):
        explainer.attribute(one_hot(REFERENCE), target=0)
