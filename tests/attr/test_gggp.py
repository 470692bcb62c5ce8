from __future__ import annotations

import numpy as np
import pytest
import torch

from captum_genomics.attr.gggp import (
    ForwardScorer,
    GGGPPerturbationExplainer,
    dataset_one_hot,
)
from captum_genomics.dna.codec import decode, one_hot
from captum_genomics.gggp.dataset import LocalDataset
from captum_genomics.gggp.grammar import Grammar
from captum_genomics.gggp.population import apply_population, parse_phenotypes
from captum_genomics.gggp.search import SearchSettings

MOTIF = "ATGCATTG"
STARTS = (60, 85, 110, 130)


def _reference():
    rng = np.random.default_rng(0)
    seq = list("ACGT"[i] for i in rng.integers(0, 4, 200))
    for s in STARTS:
        seq[s : s + 8] = MOTIF
    return "".join(seq)


class MotifNet(torch.nn.Module):
    """Two outputs: sigmoid of the soft-max PWM match of MOTIF, and its complement."""

    def __init__(self):
        super().__init__()
        pwm = torch.full((1, 4, 8), -2.0)
        pwm[0, torch.tensor(["ACGT".index(c) for c in MOTIF]), torch.arange(8)] = 2.0
        self.register_buffer("pwm", pwm)

    def forward(self, x, shift=None):
        z = torch.logsumexp(torch.nn.functional.conv1d(x, self.pwm)[:, 0], dim=1) - 14.0
        if shift is not None:
            z = z + shift.reshape(-1)
        p = torch.sigmoid(z)
        return torch.stack([p, 1 - p], dim=1)


GRAMMAR = Grammar(roi=(80, 120), max_distance=60)


def _explainer(**kw):
    kw.setdefault("settings", SearchSettings(max_evaluations=1500, population_size=300))
    return GGGPPerturbationExplainer(MotifNet(), grammar=GRAMMAR, **kw)


@pytest.fixture(scope="module")
def inputs():
    return one_hot([_reference()])


@pytest.fixture(scope="module")
def attributed(inputs):
    return _explainer().attribute(inputs, target=0, return_surrogate=True)


def test_attributions_sit_on_observed_bases_and_find_the_motifs(inputs, attributed):
    attr, fits = attributed
    assert attr.shape == inputs.shape and attr.dtype == inputs.dtype
    assert (attr[inputs == 0] == 0).all()
    per_base = attr.sum(dim=1)[0].numpy()
    motif = np.zeros(200, bool)
    for s in STARTS:
        motif[s : s + 8] = True
    editable = ~GRAMMAR.bind(_reference()).forbidden
    assert per_base[motif].mean() > 5 * abs(per_base[~motif & editable].mean())
    assert per_base[motif].mean() > 0
    assert np.isfinite(fits[0].fidelity["r2"]) and fits[0].fidelity["spearman"] > 0.3
    assert (per_base[~editable] == 0).all()


def test_same_seed_same_attributions(inputs, attributed):
    again = _explainer().attribute(inputs, target=0)
    torch.testing.assert_close(again, attributed[0])
    locus = _explainer().attribute(inputs, target=0, per_locus=True)
    assert locus.shape == (1, 200)
    torch.testing.assert_close(locus, attributed[0].sum(dim=1))


def test_nlc_layout_and_tree_surrogate(inputs):
    nlc = inputs.permute(0, 2, 1).contiguous()
    exp = _explainer(
        layout="NLC",
        surrogate="tree",
        settings=SearchSettings(max_evaluations=400, population_size=100),
    )
    nlc_model = exp.forward_func
    exp.forward_func = lambda x: nlc_model(x.permute(0, 2, 1))
    attr = exp.attribute(nlc, target=0)
    assert attr.shape == nlc.shape


def test_generate_dataset_round_trip(inputs, tmp_path):
    exp = _explainer(
        settings=SearchSettings(max_evaluations=600, population_size=200), model_name="motifnet"
    )
    data = exp.generate(inputs, target=1, seed=4)
    assert data.provenance["model"] == "motifnet" and data.provenance["seed"] == 4
    assert data.provenance["length_policy"] == "pad_right"
    assert all(len(s) == 200 for s in data.sequences)
    x = dataset_one_hot(data)
    assert x.shape == (len(data), 4, 200)
    expected = MotifNet()(x)[:, 1].double().numpy()
    np.testing.assert_allclose(data.scores, expected, rtol=1e-5, atol=1e-6)
    path = tmp_path / "local.tsv"
    data.to_tsv(path)
    back = LocalDataset.from_tsv(path)
    assert back.sequences == data.sequences and back.provenance == data.provenance
    np.testing.assert_array_equal(back.scores, data.scores)


def test_forward_scorer_targets_args_and_n(inputs):
    g = Grammar()
    pop = parse_phenotypes(["SNV[3,N]", "Deletion[0,2]"], g)
    batch = apply_population(g.bind(decode(inputs)[0]), pop, length=200)
    seen = []

    def fwd(x, shift):
        seen.append(x)
        return MotifNet()(x, shift)

    shift = torch.tensor([1.0])
    scores = ForwardScorer(fwd, 0, (shift,), n_value=0.25)(batch)
    x = seen[0]
    assert x.shape == (2, 4, 200)
    torch.testing.assert_close(x[0, :, 3], torch.full((4,), 0.25))
    torch.testing.assert_close(x[1, :, -2:], torch.full((4, 2), 0.25))
    np.testing.assert_allclose(scores, MotifNet()(x, shift.expand(2))[:, 0].numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="target="):
        ForwardScorer(MotifNet())(batch)


def test_variable_length_policy_and_bad_input(inputs):
    widths = []

    def fwd(x):
        widths.append(x.shape[2])
        return MotifNet()(x)[:, 0]

    exp = GGGPPerturbationExplainer(
        fwd,
        grammar=GRAMMAR,
        length_policy="variable",
        settings=SearchSettings(max_generations=1, population_size=50),
    )
    exp.generate(inputs)
    assert len(set(widths)) > 1
    with pytest.raises(ValueError, match="one sequence"):
        exp.generate(torch.cat([inputs, inputs]))
    with pytest.raises(ValueError, match="length_policy"):
        GGGPPerturbationExplainer(fwd, length_policy="crop")
    assert hasattr(GGGPPerturbationExplainer.attribute, "__wrapped__")


def test_lime_style_budget_and_batch_arguments(inputs):
    sizes = []

    def fwd(x):
        sizes.append(x.shape[0])
        return MotifNet()(x)

    exp = GGGPPerturbationExplainer(fwd, grammar=GRAMMAR,
                                    settings=SearchSettings(max_evaluations=5000,
                                                            population_size=64))
    dataset = exp.generate(inputs, target=0, n_samples=150, perturbations_per_eval=16)
    assert dataset.provenance["evaluations"] <= 150 < 5000
    assert sum(sizes) == dataset.provenance["evaluations"]
    assert max(sizes) <= 16
    sizes.clear()
    attr = exp.attribute(inputs, target=0, n_samples=120, perturbations_per_eval=32)
    assert attr.shape == inputs.shape and sum(sizes) <= 120 and max(sizes) <= 32
    assert exp.settings.max_evaluations == 5000  # the call did not change the explainer
    assert dataset.provenance["settings"]["population_size"] == 150 // 4
    assert dataset.provenance["generations"] >= 4
    roomy = exp.generate(inputs, target=0, n_samples=1000)
    assert roomy.provenance["settings"]["population_size"] == 64  # never raised
    for bad, error in ((0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="n_samples must be"):
            exp.generate(inputs, target=0, n_samples=bad)
    with pytest.raises(ValueError, match="perturbations_per_eval must be >= 1, got 0"):
        exp.generate(inputs, target=0, perturbations_per_eval=0)
