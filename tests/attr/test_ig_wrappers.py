"""GenomicIntegratedGradients through Captum's wrappers: NoiseTunnel (smoothgrad, smoothgrad_sq,
vargrad), captum.metrics.sensitivity_max and captum.metrics.infidelity, with named baselines set
at construction (Captum's own baseline check admits only numbers and tensors per call)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import NoiseTunnel
from captum.metrics import infidelity, sensitivity_max

from captum_genomics import GenomicIntegratedGradients, make_baselines

NAMES = ["uniform", "zeros", "shuffle"]
N, LENGTH, STEPS = 2, 24, 16


class SmoothCNN(torch.nn.Module):
    """Conv -> softplus -> mean and log-sum-exp over positions -> linear (2 outputs)."""

    def __init__(self, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.conv = torch.nn.Conv1d(4, 4, 5, padding=2)
        self.head = torch.nn.Linear(8, 2)

    def forward(self, x):
        h = torch.nn.functional.softplus(self.conv(x))
        return self.head(torch.cat([h.mean(dim=2), torch.logsumexp(h, dim=2)], dim=1))


@pytest.fixture(scope="module")
def model():
    return SmoothCNN().double().eval()


@pytest.fixture(scope="module")
def x():
    codes = np.random.default_rng(5).integers(0, 4, size=(N, LENGTH))
    return torch.from_numpy(np.eye(4)[codes].transpose(0, 2, 1).copy())


def explainer(model, name):
    return GenomicIntegratedGradients(model, baselines=name, n_shuffles=3, seed=7)


def captum_noise(shape, stdev: float) -> torch.Tensor:
    """The noise NoiseTunnel draws next for inputs of ``shape`` (N * nt_samples, ...)."""
    return torch.normal(0, torch.tensor(stdev).repeat(shape))


def test_construction_baselines_are_the_default_of_every_call(model, x):
    ig = explainer(model, "shuffle")
    plain = GenomicIntegratedGradients(model)
    same = plain.attribute(x, baselines="shuffle", n_shuffles=3, seed=7, target=0)
    torch.testing.assert_close(ig.attribute(x, target=0), same, atol=0, rtol=0)
    # per-call arguments override the explainer's, one at a time
    torch.testing.assert_close(ig.attribute(x, target=0, baselines="uniform"),
                               plain.attribute(x, target=0), atol=0, rtol=0)
    reseeded = plain.attribute(x, baselines="shuffle", n_shuffles=3, seed=8, target=0)
    torch.testing.assert_close(ig.attribute(x, target=0, seed=8), reseeded, atol=0, rtol=0)
    assert not torch.equal(reseeded, same)
    two = plain.attribute(x, baselines="shuffle", n_shuffles=2, seed=7, target=0)
    torch.testing.assert_close(ig.attribute(x, target=0, n_shuffles=2), two, atol=0, rtol=0)
    assert ig.last_n_steps.shape == (N, 2)
    with pytest.raises(ValueError, match="baselines must be one of"):
        GenomicIntegratedGradients(model, baselines="gc_matched")
    with pytest.raises(ValueError, match="n_shuffles"):
        GenomicIntegratedGradients(model, n_shuffles=0)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("nt_type", ["smoothgrad", "smoothgrad_sq", "vargrad"])
def test_noise_tunnel_with_tiny_noise_equals_attribute(model, x, name, nt_type):
    ig = explainer(model, name)
    plain = ig.attribute(x, target=0, n_steps=STEPS)
    torch.manual_seed(0)
    tunneled = NoiseTunnel(ig).attribute(x, nt_type=nt_type, nt_samples=4, stdevs=1e-7,
                                         target=0, n_steps=STEPS, nt_samples_batch_size=3)
    expected = {"smoothgrad": plain, "smoothgrad_sq": plain ** 2,
                "vargrad": torch.zeros_like(plain)}[nt_type]
    assert plain.abs().max() > 1e-3
    torch.testing.assert_close(tunneled, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", NAMES)
def test_noise_tunnel_averages_attributions_of_the_noisy_copies(model, x, name):
    """smoothgrad = mean of attribute over NoiseTunnel's noisy copies, each explained against
    the references of the clean input (for shuffles: the clean sequence's shuffles)."""
    ig, samples, stdev = explainer(model, name), 5, 0.05
    torch.manual_seed(1)
    smooth = NoiseTunnel(ig).attribute(x, nt_type="smoothgrad", nt_samples=samples,
                                       stdevs=stdev, target=0, n_steps=STEPS)
    torch.manual_seed(1)
    noisy = x.repeat_interleave(samples, dim=0) + captum_noise((N * samples, 4, LENGTH), stdev)
    clean_refs = make_baselines(name, x, n_shuffles=3, seed=7)
    noisy_refs = make_baselines(name, noisy, n_shuffles=3, seed=7)
    torch.testing.assert_close(noisy_refs, clean_refs.repeat_interleave(samples, dim=0),
                               atol=0, rtol=0)
    each = ig.attribute(noisy, baselines=noisy_refs, target=0, n_steps=STEPS)
    expected = each.view(N, samples, 4, LENGTH).mean(dim=1)
    torch.testing.assert_close(smooth, expected, atol=1e-12, rtol=0)
    assert not torch.allclose(smooth, ig.attribute(x, target=0, n_steps=STEPS), atol=1e-4)


def test_noise_tunnel_deltas_and_per_call_numbers_override_the_explainer(model, x):
    ig = explainer(model, "shuffle")
    torch.manual_seed(2)
    _, delta = NoiseTunnel(ig).attribute(x, nt_type="smoothgrad", nt_samples=3, stdevs=0.05,
                                         target=0, n_steps=64, return_convergence_delta=True)
    assert delta.shape == (N * 3,) and torch.all(delta.abs() < 1e-6)
    # a number passes Captum's check and replaces the explainer's shuffles for the call
    uniform = NoiseTunnel(ig).attribute(x, nt_type="smoothgrad", nt_samples=2, stdevs=0.0,
                                        baselines=0.25, target=0, n_steps=STEPS)
    torch.testing.assert_close(
        uniform, GenomicIntegratedGradients(model).attribute(x, target=0, n_steps=STEPS))


@pytest.mark.parametrize("name", NAMES)
def test_sensitivity_max_follows_its_definition(model, x, name):
    ig = explainer(model, name)
    shift = 1e-3 * torch.randn(x.shape, generator=torch.Generator().manual_seed(3),
                               dtype=x.dtype)
    sens = sensitivity_max(ig.attribute, x, perturb_func=lambda inp: inp + shift,
                           n_perturb_samples=1, target=0, n_steps=STEPS)
    at_x = ig.attribute(x, target=0, n_steps=STEPS).flatten(1)
    at_shifted = ig.attribute(x + shift, target=0, n_steps=STEPS).flatten(1)
    expected = (at_shifted - at_x).norm(dim=1) / at_x.norm(dim=1)
    torch.testing.assert_close(sens, expected, atol=1e-12, rtol=1e-9)
    # the shifted copies keep their references, so the explanation barely moves
    assert torch.all(sens < 0.05) and torch.all(sens > 0)


@pytest.mark.parametrize("name", NAMES)
def test_sensitivity_max_is_finite_and_reproducible_from_the_seeds(model, x, name):
    ig = explainer(model, name)
    runs = []
    for _ in range(2):
        torch.manual_seed(4)
        runs.append(sensitivity_max(ig.attribute, x, n_perturb_samples=3, target=0,
                                    n_steps=STEPS))
    torch.testing.assert_close(runs[0], runs[1], atol=0, rtol=0)
    assert runs[0].shape == (N,) and torch.all(torch.isfinite(runs[0]))
    assert torch.all(runs[0] > 0) and torch.all(runs[0] < 0.5)


@pytest.mark.parametrize("name", NAMES)
def test_infidelity_of_each_baseline_follows_its_definition(model, x, name):
    samples = 4
    attr = explainer(model, name).attribute(x, target=0, n_steps=STEPS)
    perturbation = 0.1 * torch.randn((N * samples, 4, LENGTH), dtype=x.dtype,
                                     generator=torch.Generator().manual_seed(6))

    def perturb(inputs):
        return perturbation, inputs - perturbation

    infid = infidelity(model, perturb, x, attr, target=0, n_perturb_samples=samples)
    p = perturbation.view(N, samples, 4, LENGTH)
    explained = (attr.unsqueeze(1) * p).sum(dim=(2, 3))
    f_x = model(x)[:, 0]
    f_moved = model((x.unsqueeze(1) - p).flatten(0, 1))[:, 0].view(N, samples)
    expected = ((explained - (f_x[:, None] - f_moved)) ** 2).mean(dim=1)
    torch.testing.assert_close(infid, expected, atol=1e-12, rtol=1e-9)
    assert torch.all(expected > 0)
