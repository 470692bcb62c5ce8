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


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_ig_names_a_dtype_mismatch(dtype):
    from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients

    ig = GenomicIntegratedGradients(TinyNet().eval())
    x = one_hot(REFERENCE, dtype=dtype)
    with pytest.raises(TypeError, match=f"inputs are {dtype} but the model's parameters are "
                                        r"torch.float32.*inputs.to\(torch.float32\)"):
        ig.attribute(x, target=0, n_steps=4)
    attr = ig.attribute(x.float(), target=0, n_steps=4)
    assert attr.dtype == torch.float32 and torch.isfinite(attr).all()


class SameConv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, 1, 5, padding=2)

    def forward(self, x):
        return self.conv(x)[:, 0]


def test_ig_output_window_past_the_input_says_so():
    from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients

    ig = GenomicIntegratedGradients(SameConv().eval())
    x = one_hot(REFERENCE)
    with pytest.raises(ValueError, match=r"output_window \(55, 70\) reaches past the input.*"
                                         r"length 60; end the window at or before 62"):
        ig.attribute(x, output_window=(55, 70), receptive_field=2, n_steps=4)
    inside = ig.attribute(x, output_window=(55, 60), receptive_field=2, n_steps=4)
    assert inside.shape == x.shape and inside[..., :53].abs().sum() == 0


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_ig_names_a_dtype_mismatch_inside_a_plain_function(dtype):
    from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients

    model = TinyNet().eval()
    ig = GenomicIntegratedGradients(lambda x: model(x))  # no parameters to read a dtype from
    x = one_hot(REFERENCE, dtype=dtype)
    with pytest.raises(TypeError, match=f"forward_func failed on {dtype} inputs with a dtype "
                                        r"mismatch.*inputs.float\(\)") as caught:
        ig.attribute(x, target=0, n_steps=4)
    assert isinstance(caught.value.__cause__, RuntimeError)
    attr = ig.attribute(x.float(), target=0, n_steps=4)
    assert attr.dtype == torch.float32 and torch.isfinite(attr).all()


def test_ig_passes_other_model_errors_through_unchanged():
    from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients

    def broken(x):
        raise RuntimeError("CUDA out of memory")

    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        GenomicIntegratedGradients(broken).attribute(one_hot(REFERENCE), target=0, n_steps=4)
