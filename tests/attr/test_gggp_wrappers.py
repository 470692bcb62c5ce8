"""GGGPPerturbationExplainer where Captum perturbation explainers go: log_usage wrapping, Lime's
target / additional_forward_args semantics, captum.metrics.infidelity, planted-motif recovery."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum.attr import Lime, PerturbationAttribution
from captum.metrics import infidelity

from captum_genomics.attr.gggp import GGGPPerturbationExplainer
from captum_genomics.gggp import Grammar, SearchSettings
from captum_genomics.synthetic import planted_motif_dataset

MOTIF = "GATTACAGCT"
LENGTH = 160


class PWMNet(torch.nn.Module):
    """Two outputs: sigmoid of the log-sum-exp PWM match of MOTIF (+ shift), and 1 minus it."""

    def __init__(self, centre: float = 17.0) -> None:
        super().__init__()
        pwm = torch.full((1, 4, len(MOTIF)), -2.0)
        pwm[0, torch.tensor(["ACGT".index(c) for c in MOTIF]), torch.arange(len(MOTIF))] = 2.0
        self.register_buffer("pwm", pwm)
        self.centre = centre

    def forward(self, x, shift=None):
        z = torch.logsumexp(torch.nn.functional.conv1d(x, self.pwm)[:, 0], dim=1) - self.centre
        if shift is not None:
            z = z + shift.reshape(-1)
        p = torch.sigmoid(z / 1.5)
        return torch.stack([p, 1 - p], dim=1)


@pytest.fixture(scope="module")
def planted():
    return planted_motif_dataset(2, LENGTH, MOTIF, fraction_positive=1.0, seed=3)


def _explainer(model=None, evaluations=300, **kw):
    return GGGPPerturbationExplainer(
        model or PWMNet(),
        grammar=Grammar(max_units=4),
        settings=SearchSettings(max_evaluations=evaluations, population_size=100),
        **kw,
    )


@pytest.fixture(scope="module")
def explained(planted):
    x = planted.inputs[:1]
    attr, fits = _explainer(evaluations=1200).attribute(x, target=0, return_surrogate=True)
    return x, attr, fits


def test_is_a_captum_perturbation_attribution_with_log_usage_wrapping(planted):
    exp = _explainer()
    assert isinstance(exp, PerturbationAttribution) and not exp.has_convergence_delta()
    assert exp.multiplies_by_inputs
    x = planted.inputs[:1]
    wrapped = GGGPPerturbationExplainer.attribute.__wrapped__
    direct = wrapped(exp, inputs=x, target=0, additional_forward_args=None, seed=2)
    torch.testing.assert_close(direct, exp.attribute(x, target=0, seed=2))
    assert direct.abs().sum() > 0


def test_target_and_additional_args_follow_lime(planted):
    x = planted.inputs
    shift = torch.tensor([0.5, -1.0])
    targets = [0, 1]
    exp = _explainer()
    batch = exp.attribute(x, target=targets, additional_forward_args=(shift,))
    for i in range(2):
        one = exp.attribute(
            x[i : i + 1], target=targets[i], additional_forward_args=(shift[i : i + 1],)
        )
        torch.testing.assert_close(batch[i : i + 1], one)
    as_tensor = exp.attribute(x, target=torch.tensor(targets), additional_forward_args=(shift,))
    torch.testing.assert_close(as_tensor, batch)
    # Lime accepts the very same call
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lime warns that it fits one model per example
        lime = Lime(PWMNet()).attribute(
            x, target=targets, additional_forward_args=(shift,), n_samples=20
        )
    assert lime.shape == batch.shape
    # the shift really reaches the model: without it the first sequence's scores differ
    unshifted = exp.attribute(x[:1], target=0)
    assert not torch.allclose(unshifted, batch[:1])
    # target 0 of a two-output model = a one-output model; target 1 = its complement
    single = _explainer(model=lambda z: PWMNet()(z)[:, 0]).attribute(x[:1])
    torch.testing.assert_close(single, unshifted)
    flipped = exp.attribute(x[:1], target=1).sum(dim=1).reshape(-1)
    corr = np.corrcoef(flipped.numpy(), unshifted.sum(dim=1).reshape(-1).numpy())[0, 1]
    assert corr < -0.95
    with pytest.raises(ValueError, match="one entry per example"):
        exp.attribute(x, target=[0, 1, 0])


def _snv_perturbation(k: int, seed: int):
    """Captum perturb_func: SNVs at ``k`` random positions (to a random other base)."""
    gen = torch.Generator().manual_seed(seed)

    def perturb(inputs):
        n, _, length = inputs.shape
        pos = torch.stack([torch.randperm(length, generator=gen)[:k] for _ in range(n)])
        base = inputs.argmax(dim=1).gather(1, pos)
        new = (base + torch.randint(1, 4, (n, k), generator=gen)) % 4
        perturbed = inputs.clone()
        rows = torch.arange(n)[:, None].expand(n, k)
        perturbed[rows, :, pos] = 0.0
        perturbed[rows, new, pos] = 1.0
        return inputs - perturbed, perturbed

    return perturb


def test_infidelity_of_gggp_attributions_beats_uninformative_ones(explained):
    x, attr, _ = explained
    model = PWMNet()

    def score(attributions):
        return float(
            infidelity(
                model, _snv_perturbation(1, 0), x, attributions, target=0, n_perturb_samples=200
            )
        )

    gggp = score(attr)
    zero = score(torch.zeros_like(attr))
    shuffled = attr[..., torch.randperm(LENGTH, generator=torch.Generator().manual_seed(1))]
    # single SNVs: the lasso (shrunk, additive) halves the squared error of predicting nothing
    assert np.isfinite(gggp) and gggp < 0.7 * zero
    assert gggp < 0.7 * score(shuffled * x)


def test_top_surrogate_positions_are_the_planted_motif(planted, explained):
    x, attr, fits = explained
    per_base = attr.sum(dim=1)[0].numpy()
    mask = planted.motif_mask[0].numpy()
    top = np.argsort(-per_base)[: len(MOTIF)]
    assert mask[top].mean() >= 0.8
    assert fits[0].fidelity["spearman"] > 0.5
    assert fits[0].per_position()[mask].mean() > 0
