"""GGGPPerturbationExplainer where Captum perturbation explainers go: log_usage wrapping, Lime's
target / additional_forward_args semantics, captum.metrics.infidelity, planted-motif recovery,
NoiseTunnel and captum.metrics.sensitivity_max (noisy inputs read as their nearest sequences)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum.attr import Lime, NoiseTunnel, PerturbationAttribution
from captum.metrics import infidelity, sensitivity_max

from captum_genomics.attr.gggp import GGGPPerturbationExplainer
from captum_genomics.gggp import Grammar, SearchSettings
from captum_genomics.synthetic import planted_motif_dataset

MOTIF = "GATTACAGCT"
LENGTH = 160
SHORT, BUDGET = 40, 60  # sequence length and evaluations per sequence of the wrapper tests


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
        # admission="all": at these small budgets the fitness-gated archive is a few hundred
        # sequences far from the input, and single-SNV infidelity needs the near ones
        settings=SearchSettings(
            max_evaluations=evaluations, population_size=100, admission="all"
        ),
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


@pytest.fixture(scope="module")
def short():
    """An explainer, one short planted sequence and its plain attribution (target 1)."""
    x = planted_motif_dataset(1, SHORT, MOTIF, fraction_positive=1.0, seed=3).inputs
    exp = _explainer()  # wrappers must forward n_samples: its own budget gives another map
    attr = exp.attribute(x, target=1, n_samples=BUDGET)
    assert attr.abs().max() > 0.1
    return exp, x, attr


@pytest.mark.parametrize("nt_type", ["smoothgrad", "smoothgrad_sq", "vargrad"])
def test_noise_tunnel_with_small_noise_gives_the_plain_attribution(short, nt_type):
    """Every noisy copy reads as the clean sequence, so all copies get its attribution."""
    exp, x, attr = short
    torch.manual_seed(0)
    tunneled = NoiseTunnel(exp).attribute(x, nt_type=nt_type, nt_samples=2, stdevs=0.01,
                                          target=1, n_samples=BUDGET)
    expected = {"smoothgrad": attr, "smoothgrad_sq": attr**2,
                "vargrad": torch.zeros_like(attr)}[nt_type]
    torch.testing.assert_close(tunneled, expected, atol=0, rtol=0)
    noisy = x + 0.01 * torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(exp.attribute(noisy, target=1, n_samples=BUDGET), attr,
                               atol=0, rtol=0)


def _base_change_perturbation(seed: int):
    """Captum perturb_func: one random position moved to the next base, plus noise of 0.01."""
    gen = torch.Generator().manual_seed(seed)

    def perturb(inputs):
        n, _, length = inputs.shape
        rows, pos = torch.arange(n), torch.randint(length, (n,), generator=gen)
        moved = inputs.clone()
        moved[rows, :, pos] = inputs[rows, :, pos].roll(1, dims=1)
        return moved + 0.01 * torch.randn(inputs.shape, generator=gen)

    return perturb


def test_sensitivity_max_is_zero_for_noise_that_keeps_the_sequence(short):
    exp, x, _ = short
    torch.manual_seed(0)
    # the default perturbation moves each channel by at most 0.02: no base changes
    sens = sensitivity_max(exp.attribute, x, n_perturb_samples=2, target=1, n_samples=BUDGET)
    torch.testing.assert_close(sens, torch.zeros(1), atol=0, rtol=0)


def test_sensitivity_max_is_reproducible_and_follows_its_definition(short):
    exp, x, attr = short
    samples = 2
    runs = [
        sensitivity_max(exp.attribute, x, perturb_func=_base_change_perturbation(5),
                        n_perturb_samples=samples, target=1, n_samples=BUDGET)
        for _ in range(2)
    ]
    torch.testing.assert_close(runs[0], runs[1], atol=0, rtol=0)
    moved = _base_change_perturbation(5)(x.repeat_interleave(samples, dim=0))
    changed = exp.attribute(moved, target=1, n_samples=BUDGET)
    expected = ((changed - attr).flatten(1).norm(dim=1) / attr.norm()).max()
    assert torch.isfinite(runs[0]).all() and runs[0].item() > 0
    torch.testing.assert_close(runs[0], expected.reshape(1), atol=0, rtol=1e-6)


def test_a_one_tuple_input_gives_a_one_tuple(short):
    exp, x, attr = short
    (alone,) = exp.attribute((x,), target=1, n_samples=BUDGET)
    torch.testing.assert_close(alone, attr, atol=0, rtol=0)
    (per_locus,), fits = exp.attribute((x,), target=1, n_samples=BUDGET, aggregate="sum",
                                       return_surrogate=True)
    torch.testing.assert_close(per_locus[0], torch.as_tensor(fits[0].per_position()).float())
    torch.testing.assert_close(per_locus, attr.sum(dim=1))
    with pytest.raises(TypeError, match="one one-hot tensor, got a tuple of 2"):
        exp.attribute((x, x), target=1)


def test_inputs_far_from_any_sequence_are_refused(short):
    exp, x, attr = short
    between = x.clone()
    between[0, :, 7] = torch.tensor([0.5, 0.5, 0.0, 0.0])  # as near to A as to C
    with pytest.raises(ValueError, match=r"position 7 .* farther than 0\.433"):
        exp.attribute(between, target=1)
    with pytest.raises(ValueError, match="not a \\(noisy\\) one-hot sequence"):
        exp.generate(between, target=1)
    with pytest.raises(ValueError, match="not a \\(noisy\\) one-hot sequence"):
        exp.attribute(attr / attr.abs().max(), target=1)  # an attribution map by mistake
    with pytest.raises(ValueError, match="reads as N at every position"):
        exp.attribute(0.01 * attr / attr.abs().max(), target=1)
    # within the radius (0.433) a column is read as its base, beyond it refused
    position = int((x[0, 0] == 1).nonzero()[0])
    toward_c = torch.tensor([-1.0, 1.0, 0.0, 0.0]) / 2**0.5
    near, far = x.clone(), x.clone()
    near[0, :, position] += 0.42 * toward_c
    far[0, :, position] += 0.45 * toward_c
    torch.testing.assert_close(exp.attribute(near, target=1, n_samples=BUDGET), attr,
                               atol=0, rtol=0)
    with pytest.raises(ValueError, match=f"position {position} .* 0\\.45 from the nearest"):
        exp.attribute(far, target=1)
