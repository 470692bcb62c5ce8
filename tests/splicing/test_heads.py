"""Tests of the site and exon scoring heads (captum_genomics.splicing.heads).

Sites are input positions: output position ``i`` is input position ``i + HALF``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.models.spliceai import SpliceAI, SpliceAIEnsemble
from captum_genomics.splicing.heads import ExonHead, SpliceSiteHead, score_splice_sites
from tests.support import needs_spliceai, random_spliceai

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "spliceai_reference_outputs.npz"
CONTEXT = 80
HALF = CONTEXT // 2
LENGTH = 60  # output positions of the test inputs


def random_one_hot(n: int, length: int, seed: int) -> torch.Tensor:
    gen = np.random.default_rng(seed)
    x = np.eye(4, dtype=np.float32)[gen.integers(0, 4, size=(n, length))]
    return torch.from_numpy(x.transpose(0, 2, 1).copy())


class NoMacs(torch.nn.Module):
    """The same model without ``macs``: the head then scores all sites on one window."""

    def __init__(self, model: SpliceAI) -> None:
        super().__init__()
        self.model = model
        self.context = model.context

    def forward(self, x):
        return self.model(x)

    def logits(self, x):
        return self.model.logits(x)


def reference_scores(model, x, sites, classes, output):
    """Scores read off the full output at input positions ``sites``, log-odds computed in
    float64 from probabilities."""
    with torch.no_grad():
        full = model.logits(x) if output == "logit" else model(x)
    full = full.double()
    if output == "log_odds":
        full = torch.log(full) - torch.log1p(-full)
    n = x.shape[0]
    sites = torch.as_tensor(sites).expand(n, -1) - model.context // 2
    rows = torch.arange(n)[:, None]
    return full[rows, torch.as_tensor(classes)[None, :], sites]


@settings(max_examples=15, deadline=None)
@given(
    data=st.data(),
    k=st.integers(1, 4),
    per_sequence=st.booleans(),
    output=st.sampled_from(["probability", "logit", "log_odds"]),
    wrap=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_scores_equal_the_full_output_at_the_sites(data, k, per_sequence, output, wrap, seed):
    model = random_spliceai(CONTEXT, seed % 7)
    x = random_one_hot(3, CONTEXT + LENGTH, seed)
    shape = (3, k) if per_sequence else (k,)
    sites = np.array(
        data.draw(
            st.lists(
                st.integers(HALF, HALF + LENGTH - 1),
                min_size=int(np.prod(shape)),
                max_size=int(np.prod(shape)),
            )
        )
    ).reshape(shape)
    classes = data.draw(st.lists(st.integers(0, 2), min_size=k, max_size=k))
    scorer = NoMacs(model) if wrap else model
    with torch.no_grad():
        got = score_splice_sites(scorer, x, sites, classes, output)
    assert got.shape == (3, k)
    expected = reference_scores(model, x, sites, classes, output)
    torch.testing.assert_close(
        got.double(), expected, atol=5e-5 if output == "log_odds" else 2e-6, rtol=1e-5
    )


@pytest.mark.parametrize("sites", [[43, 90], [50, 52, 54]])
@pytest.mark.parametrize("wrap", [False, True])
def test_gradients_match_the_full_model_and_vanish_outside_windows(sites, wrap):
    model = random_spliceai(CONTEXT, 1)
    x = random_one_hot(2, CONTEXT + LENGTH, 1).requires_grad_(True)
    head = SpliceSiteHead(NoMacs(model) if wrap else model, sites, "donor", output="logit")
    head(x)[:, 1].sum().backward()
    got = x.grad.clone()
    x.grad = None
    model.logits(x)[:, 2, sites[1] - HALF].sum().backward()
    torch.testing.assert_close(got, x.grad, atol=1e-6, rtol=1e-5)
    outside = torch.ones(CONTEXT + LENGTH, dtype=torch.bool)
    outside[sites[1] - HALF : sites[1] + HALF + 1] = False
    assert torch.all(got[..., outside] == 0)
    assert torch.any(got[..., ~outside] != 0)


def test_single_site_on_a_long_context_runs_one_output_position():
    model = random_spliceai(2000, 2)
    x = random_one_hot(1, 2000 + 500, 2)
    seen = []
    handle = model.conv_out.register_forward_hook(lambda m, i, o: seen.append(o.shape[-1]))
    with torch.no_grad():
        got = SpliceSiteHead(model, [1321], "acceptor")(x)
        full = model(x)[:, 1, 321]
    handle.remove()
    assert seen == [1, 500]
    torch.testing.assert_close(got[:, 0], full, atol=2e-6, rtol=0)


def test_distant_sites_use_separate_windows_close_sites_one():
    model = random_spliceai(2000, 3)
    x = random_one_hot(1, 2000 + 3000, 3)
    lengths = []
    model.conv_out.register_forward_hook(lambda m, i, o: lengths.append(tuple(o.shape)))
    with torch.no_grad():
        score_splice_sites(model, x, [1100, 3900], ["acceptor", "donor"])
        score_splice_sites(model, x, [1100, 1110], ["acceptor", "donor"])
    assert lengths == [(2, 3, 1), (1, 3, 11)]


@pytest.mark.parametrize("reduce", ["mean", "max", "min", "acceptor", "donor"])
def test_exon_head_reductions(reduce):
    model = random_spliceai(CONTEXT, 4)
    x = random_one_hot(3, CONTEXT + LENGTH, 4)
    exons = [(45, 60), (70, 71), (84, 99)]
    with torch.no_grad():
        got = ExonHead(model, exons, reduce=reduce)(x)
        prob = model(x)
    acc = prob[:, 1, [a - HALF for a, _ in exons]]
    don = prob[:, 2, [d - HALF for _, d in exons]]
    expected = {
        "mean": (acc + don) / 2,
        "max": torch.maximum(acc, don),
        "min": torch.minimum(acc, don),
        "acceptor": acc,
        "donor": don,
    }[reduce]
    assert got.shape == (3, 3)
    torch.testing.assert_close(got, expected, atol=2e-6, rtol=0)


def test_exon_head_per_sequence_exons_and_override():
    model = random_spliceai(CONTEXT, 5)
    x = random_one_hot(2, CONTEXT + LENGTH, 5)
    exons = torch.tensor([[[43, 49]], [[80, 92]]])
    head = ExonHead(model, exons)
    with torch.no_grad():
        prob = model(x)
        got = head(x)
        other = head(x, exons=[(40, 99)])
    torch.testing.assert_close(
        got[:, 0],
        torch.stack([(prob[0, 1, 3] + prob[0, 2, 9]) / 2, (prob[1, 1, 40] + prob[1, 2, 52]) / 2]),
    )
    torch.testing.assert_close(other[:, 0], (prob[:, 1, 0] + prob[:, 2, 59]) / 2)


def test_ensemble_log_odds_are_those_of_the_mean_probability():
    ensemble = SpliceAIEnsemble([random_spliceai(CONTEXT, 6), random_spliceai(CONTEXT, 7)])
    x = random_one_hot(2, CONTEXT + LENGTH, 6)
    with torch.no_grad():
        got = score_splice_sites(ensemble, x, [47, 73], ["acceptor", "donor"], "log_odds")
        prob = ensemble(x).double()
    expected = torch.stack([prob[:, 1, 7], prob[:, 2, 33]], 1)
    torch.testing.assert_close(
        got.double(), torch.log(expected / (1 - expected)), atol=5e-5, rtol=1e-5
    )


def test_integrated_gradients_completeness_and_per_sequence_sites():
    model = random_spliceai(CONTEXT, 8)
    x = random_one_hot(2, CONTEXT + LENGTH, 8)
    baseline = torch.full_like(x, 0.25)
    sites = torch.tensor([[44, 50], [90, 62]])
    head = SpliceSiteHead(model, sites[0], ["acceptor", "donor"])
    ig = IntegratedGradients(head)
    attr, delta = ig.attribute(
        x[:1], baseline[:1], target=1, n_steps=64, return_convergence_delta=True
    )
    assert attr.shape == (1, 4, CONTEXT + LENGTH)
    assert abs(float(delta)) < 1e-3
    with torch.no_grad():
        gap = head(x[:1])[0, 1] - head(baseline[:1])[0, 1]
    torch.testing.assert_close(attr.sum(), gap, atol=1e-3, rtol=0)
    # Per-sequence sites travel as additional_forward_args, which IG repeats per step.
    both = ig.attribute(x, baseline, target=1, additional_forward_args=(sites,), n_steps=16)
    for i in range(2):
        alone = IntegratedGradients(SpliceSiteHead(model, sites[i], ["acceptor", "donor"]))
        torch.testing.assert_close(
            both[i : i + 1],
            alone.attribute(x[i : i + 1], baseline[:1], target=1, n_steps=16),
            atol=1e-6,
            rtol=1e-4,
        )


def test_stored_per_sequence_sites_must_match_the_batch():
    model = random_spliceai(CONTEXT, 9)
    head = SpliceSiteHead(model, [[41, 42], [43, 44]], "acceptor")
    with pytest.raises(ValueError, match="additional_forward_args"):
        head(random_one_hot(3, CONTEXT + LENGTH, 9))


def test_validation_messages():
    model = random_spliceai(CONTEXT, 10)
    x = random_one_hot(1, CONTEXT + LENGTH, 10)
    with pytest.raises(ValueError, match=r"outside the input positions 40\.\.99"):
        score_splice_sites(model, x, [100])
    with pytest.raises(ValueError, match="outside"):
        score_splice_sites(model, x, [39])
    with pytest.raises(TypeError, match="integers"):
        score_splice_sites(model, x, [41.5])
    with pytest.raises(ValueError, match="unknown site kind 'exon'"):
        score_splice_sites(model, x, [41], "exon")
    with pytest.raises(ValueError, match="2 site kinds for 1 sites"):
        score_splice_sites(model, x, [41], ["acceptor", "donor"])
    with pytest.raises(ValueError, match="output must be one of"):
        SpliceSiteHead(model, [41], output="prob")
    with pytest.raises(TypeError, match="logits"):
        SpliceSiteHead(torch.nn.Identity(), [41], output="logit")
    with pytest.raises(TypeError, match="context"):
        SpliceSiteHead(torch.nn.Identity(), [41])
    with pytest.raises(ValueError, match="acceptor.*at or before the donor"):
        ExonHead(model, [(60, 45)])
    with pytest.raises(ValueError, match=r"\(acceptor, donor\) pairs"):
        ExonHead(model, [(41, 42, 43)])
    with pytest.raises(ValueError, match="reduce must be one of"):
        ExonHead(model, [(41, 42)], reduce="sum")
    with pytest.raises(ValueError, match="at least 81"):
        score_splice_sites(model, x[..., :80], [40])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_head_matches_cpu():
    model = random_spliceai(CONTEXT, 11)
    x = random_one_hot(2, CONTEXT + LENGTH, 11)
    head = ExonHead(model, [(43, 80)])
    with torch.no_grad():
        cpu = head(x)
        gpu = head.to("cuda")(x.to("cuda"))
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-5, rtol=0)


@pytest.mark.weights
@needs_spliceai
def test_exon_score_on_tubb8_matches_keras():
    from captum_genomics.models.spliceai_weights import load_spliceai

    with np.load(FIXTURE) as data:
        seq = str(data["tubb8_rc_15000/sequence"])
        keras = data["tubb8_rc_15000/spliceai1/prob"]
    codes = np.frombuffer(seq.encode(), np.uint8)
    x = torch.from_numpy(np.stack([codes == ord(b) for b in "ACGT"]).astype(np.float32))[None]
    exons = [(6859, 6967), (7046, 7156)]  # internal exons: chr10 94852-94744, 94665-94555
    head = ExonHead(load_spliceai("spliceai", members=[1]), exons)
    with torch.no_grad():
        got = head(x)[0].numpy()
    expected = [(keras[a - 5000, 1] + keras[d - 5000, 2]) / 2 for a, d in exons]
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    assert got.min() > 0.9
