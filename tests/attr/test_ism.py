"""InSilicoMutagenesis equals brute-force ISM: plain path on deepG, incremental on SpliceAI."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from captum_genomics.attr import InSilicoMutagenesis
from captum_genomics.dna.codec import one_hot
from captum_genomics.models import DeepGCNN
from captum_genomics.models.spliceai import SpliceAI, SpliceAIEnsemble
from tests.support import needs_spliceai


def test_is_a_captum_perturbation_attribution_with_logged_attribute():
    from captum.attr import PerturbationAttribution

    assert issubclass(InSilicoMutagenesis, PerturbationAttribution)
    assert hasattr(InSilicoMutagenesis.attribute, "__wrapped__"), "attribute lacks log_usage"


def deepg(layout: str = "NCL", dropout: float = 0.0) -> DeepGCNN:
    torch.manual_seed(0)
    model = DeepGCNN(40, filters=(6, 8), kernel_sizes=(5, 3), pool_sizes=(2, 2), n_classes=3,
                     dropout=dropout, layout=layout).double()
    for bn in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)):
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    return model.eval()


def random_one_hot(n: int, length: int, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    return one_hot(["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]).to(dtype)


def brute_force(score, x: torch.Tensor, positions=None) -> torch.Tensor:
    """out[n, b, p] = score(x_n with b at p) - score(x_n), one mutant at a time, (N, 4, L)."""
    out = torch.zeros_like(x)
    with torch.no_grad():
        for n in range(x.shape[0]):
            reference = score(x[n : n + 1], n)
            for p in range(x.shape[2]) if positions is None else positions:
                for b in range(4):
                    mutant = x[n : n + 1].clone()
                    mutant[0, :, p] = 0
                    mutant[0, b, p] = 1
                    out[n, b, p] = score(mutant, n) - reference
    return out


@pytest.mark.parametrize("layout", ["NCL", "NLC"])
def test_plain_ism_equals_brute_force_on_a_deepg_cnn_with_target_and_extra_args(layout):
    model = deepg(layout)
    scale = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)

    def forward(x, factor, offset):
        return model(x) * factor[:, None] + offset

    x = random_one_hot(3, 40)
    targets = [2, 0, 1]
    expected = brute_force(
        lambda m, n: forward(m if layout == "NCL" else m.transpose(1, 2), scale[n : n + 1], 3.0)[
            0, targets[n]
        ],
        x,
    )
    assert expected.abs().max() > 1e-2
    x_in = x if layout == "NCL" else x.transpose(1, 2)
    got = InSilicoMutagenesis(forward, layout=layout).attribute(
        x_in, target=targets, additional_forward_args=(scale, 3.0), perturbations_per_eval=7
    )
    assert got.shape == x_in.shape and got.dtype == x.dtype
    got_ncl = got if layout == "NCL" else got.transpose(1, 2)
    torch.testing.assert_close(got_ncl, expected, atol=1e-6, rtol=0)
    assert (got_ncl[x.bool()] == 0).all(), "the observed base must score exactly 0"


def test_ablation_convention_is_the_opposite_sign_and_tuples_pass_through():
    model = deepg()
    x = random_one_hot(1, 40, seed=1)
    effect = InSilicoMutagenesis(model).attribute(x, target=1)
    (ablation,) = InSilicoMutagenesis(model, convention="ablation").attribute((x,), target=1)
    torch.testing.assert_close(ablation, -effect, atol=0, rtol=0)
    assert effect.abs().max() > 0


def test_positions_window_and_index_array_restrict_the_mutants():
    model = deepg()
    x = random_one_hot(2, 40, seed=2)
    ism = InSilicoMutagenesis(model)
    full = ism.attribute(x, target=0)
    window = ism.attribute(x, target=0, positions=(5, 12))
    picked = ism.attribute(x, target=0, positions=np.array([30, 3, 30]))
    inside = torch.zeros(40, dtype=torch.bool)
    inside[5:12] = True
    torch.testing.assert_close(window[..., inside], full[..., inside], atol=1e-12, rtol=0)
    assert (window[..., ~inside] == 0).all() and (full[..., ~inside] != 0).any()
    assert (picked != 0).any(dim=1).nonzero()[:, 1].unique().tolist() == [3, 30]
    for bad in [(12, 5), (0, 41), np.array([-1]), np.array([40]), [0.5], []]:
        with pytest.raises(ValueError, match="positions"):
            ism.attribute(x, target=0, positions=bad)


def test_n_columns_are_mutated_to_every_base():
    model = deepg()
    x = random_one_hot(1, 40, seed=3)
    x[0, :, 7] = 0.25
    got = InSilicoMutagenesis(model).attribute(x, target=1)
    expected = brute_force(lambda m, n: model(m)[0, 1], x, positions=[7])
    assert (got[0, :, 7] != 0).all()
    torch.testing.assert_close(got[0, :, 7], expected[0, :, 7], atol=1e-9, rtol=0)


def test_training_mode_warns_and_bad_inputs_get_clear_errors():
    model = deepg(dropout=0.5).train()
    x = random_one_hot(1, 40)
    with pytest.warns(UserWarning, match=r"training mode .*call model\.eval\(\)"):
        InSilicoMutagenesis(model).attribute(x, target=0, positions=(0, 2))
    ism = InSilicoMutagenesis(model.eval())
    fuzzy = x.clone()
    fuzzy[0, :, 4] = torch.tensor([0.7, 0.1, 0.1, 0.1], dtype=x.dtype)
    with pytest.raises(ValueError, match="one-hot inputs .* sequence 0 at position 4"):
        ism.attribute(fuzzy, target=0)
    with pytest.raises(ValueError, match="pass layout='NLC'"):
        ism.attribute(x.transpose(1, 2), target=0)
    with pytest.raises(ValueError, match="pick one scalar|selects one|target="):
        ism.attribute(x)
    with pytest.raises(ValueError, match="for_spliceai_site"):
        ism.attribute(x, target=0, method="incremental")
    with pytest.raises(ValueError, match="convention"):
        InSilicoMutagenesis(model, convention="gain")


def small_spliceai(context: int = 80, members: int = 1) -> torch.nn.Module:
    torch.manual_seed(0)
    models = [SpliceAI(context) for _ in range(members)]
    for model in models:
        for bn in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)):
            bn.running_mean.uniform_(-0.2, 0.2)
            bn.running_var.uniform_(0.5, 2.0)
    model = models[0] if members == 1 else SpliceAIEnsemble(models)
    return model.eval()


def test_incremental_site_ism_equals_brute_force_and_is_zero_outside_the_cone():
    model = small_spliceai()
    x = random_one_hot(2, 160, seed=4, dtype=torch.float32)
    x[1, :, 150:] = 0  # N flank
    site = 70
    ism = InSilicoMutagenesis.for_spliceai_site(model, site, "donor")
    got = ism.attribute(x, perturbations_per_eval=50)

    def full_model(m, n):  # the whole model on the whole sequence, not the cropped head
        return model(m)[0, 2, site - 40]

    expected = brute_force(full_model, x)
    plain = ism.attribute(x, method="plain")
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(got, plain, atol=1e-6, rtol=0)
    outside = torch.ones(160, dtype=torch.bool)
    outside[site - 40 : site + 41] = False
    assert (got[..., outside] == 0).all() and expected[..., outside].abs().max() < 1e-6
    assert got[..., site - 5 : site + 6].abs().amax(dim=(1, 2)).min() > 1e-3
    assert (got[1, :, 150:] != 0).sum() == 0  # outside the cone, N or not
    assert (got[x.bool()] == 0).all()


def test_incremental_exon_ism_matches_plain_on_an_ensemble_with_positions():
    model = small_spliceai(members=2)
    x = random_one_hot(1, 200, seed=5, dtype=torch.float32)
    ism = InSilicoMutagenesis.for_spliceai_exon(model, 80, 110, reduce="mean")
    got = ism.attribute(x, positions=np.arange(20, 180, 3))
    plain = ism.attribute(x, positions=np.arange(20, 180, 3), method="plain")
    expected = brute_force(lambda m, n: model(m)[0, 1, 40] / 2 + model(m)[0, 2, 70] / 2, x,
                           positions=range(20, 180, 3))
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(got, plain, atol=1e-6, rtol=0)
    assert got.abs().max() > 1e-4
    # mutated: 20, 23, ..., 179; the cone of sites 80 and 110 spans 40..150
    mutated = (got != 0).any(dim=1)[0].nonzero()[:, 0]
    assert set(mutated.tolist()) <= set(range(41, 150, 3)) and len(mutated) > 25


def test_incremental_path_refuses_what_it_cannot_compute():
    ism = InSilicoMutagenesis.for_spliceai_site(small_spliceai(), 50)
    x = random_one_hot(1, 120, dtype=torch.float32)
    with pytest.raises(ValueError, match="target"):
        ism.attribute(x, target=1)
    with pytest.raises(ValueError, match="additional_forward_args"):
        ism.attribute(x, additional_forward_args=(1,))
    quarter = x.clone()
    quarter[0, :, 3] = 0.25
    with pytest.raises(ValueError, match="0.25"):
        ism.attribute(quarter)
    with pytest.raises(ValueError, match="IncrementalSpliceAI.*training mode"), pytest.warns(
        UserWarning
    ):
        InSilicoMutagenesis.for_spliceai_site(small_spliceai().train(), 50).attribute(x)


@needs_spliceai
def test_real_spliceai_acceptor_incremental_equals_plain_near_the_site():
    from captum_genomics.models import load_spliceai
    from captum_genomics.splicing import build_site_input

    model = load_spliceai("spliceai", members=[1])
    site = build_site_input("chr10", 94852, "-", "acceptor", max_distance=300)
    x = one_hot(site.sequence)
    ism = InSilicoMutagenesis.for_spliceai_site(model, site.site, "acceptor")
    window = (site.site - 12, site.site + 4)
    got = ism.attribute(x, positions=window)
    plain = ism.attribute(x, positions=window, method="plain", perturbations_per_eval=16)
    torch.testing.assert_close(got, plain, atol=1e-6, rtol=0)
    # breaking the AG dinucleotide just before the acceptor kills the site
    assert got[0, :, site.site - 2 : site.site].min() < -0.3
