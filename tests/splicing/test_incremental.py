"""Tests of incremental SpliceAI scoring (splicing.incremental, splicing.scorers) and its work
bound (splicing.cones) against the engine."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captum_genomics.gggp import (
    Grammar,
    LocalDataset,
    SearchSettings,
    apply_population,
    parse_phenotypes,
    random_population,
    search,
)
from captum_genomics.gggp.population import Population
from captum_genomics.models.spliceai import SpliceAI, SpliceAIEnsemble
from captum_genomics.splicing import (
    REDUCTIONS,
    EditGeometry,
    IncrementalExonScorer,
    IncrementalSpliceAI,
    SpliceAIExonScorer,
    build_exon_input,
    cone_work,
    plain_work,
)
from tests.support import needs_spliceai

TOL = 1e-5


def _random_spliceai(context: int, seed: int) -> SpliceAI:
    """SpliceAI with random weights and BatchNorm statistics (kept O(1) through the units)."""
    torch.manual_seed(seed)
    model = SpliceAI(context)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                module.running_mean.normal_(0, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.3)
        for unit in model.units:
            unit.conv2.weight.mul_(0.5)
        model.conv_out.weight.mul_(4.0)
    return model.eval()


MODELS = {
    80: _random_spliceai(80, 0),
    400: _random_spliceai(400, 1),
    2000: _random_spliceai(2000, 2),
}
ENSEMBLE = SpliceAIEnsemble([_random_spliceai(400, 3), _random_spliceai(400, 4)]).eval()


def _one_hot(rows: list[np.ndarray], pad: int) -> torch.Tensor:
    """``(n, 4, W + 2 pad)`` one-hot of code rows, N (all zero) padding and beyond-end."""
    width = max(r.size for r in rows) + 2 * pad
    x = np.zeros((len(rows), 4, width), np.float32)
    for i, row in enumerate(rows):
        real = np.flatnonzero(row < 4)
        x[i, row[real], real + pad] = 1.0
    return torch.from_numpy(x)


def _direct(model, rows: list[np.ndarray], sites: np.ndarray) -> np.ndarray:
    """``(n, k, 3)`` probabilities of the whole-sequence forward pass at ``sites``."""
    with torch.no_grad():
        probs = model(_one_hot(rows, model.context // 2)).double().numpy()
    rows_i = np.arange(len(rows))[:, None]
    return probs.transpose(0, 2, 1)[rows_i, sites]


@st.composite
def populations(draw, length: int, n: int, max_units: int, alt_width: int = 5):
    """Canonical populations of generic units anywhere, ends included (no grammar limits)."""
    pop = Population.empty(n, max_units, alt_width)
    for i in range(n):
        starts = draw(st.lists(st.integers(0, length - 1), max_size=max_units, unique=True))
        slot = 0
        end = 0
        for pos in sorted(starts):
            if pos < end:
                continue
            kind = draw(st.sampled_from(["snv", "del", "ins", "sub"]))
            room = length - pos
            ref_len = {"snv": 1, "ins": 0}.get(kind) or draw(st.integers(1, min(5, room)))
            alt_len = {"snv": 1, "del": 0}.get(kind) or draw(st.integers(1, alt_width))
            pop.kind[i, slot] = 0
            pop.pos[i, slot] = pos
            pop.ref_len[i, slot] = ref_len
            pop.alt_len[i, slot] = alt_len
            pop.alt[i, slot, :alt_len] = draw(
                st.lists(st.integers(0, 4), min_size=alt_len, max_size=alt_len)
            )
            end = pos + max(ref_len, 1)
            slot += 1
    return pop


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    context=st.sampled_from(sorted(MODELS)),
    length=st.integers(1, 160),
    k=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_equals_full_forward_for_random_individuals(data, context, length, k, seed):
    rng = np.random.default_rng(seed)
    reference = rng.integers(0, 5 if seed % 3 == 0 else 4, length).astype(np.uint8)
    population = data.draw(populations(length, 5, 4))
    batch = apply_population(reference, population)
    # sites: anywhere in each edited sequence, ends included
    high = np.maximum(batch.lengths, 1)
    sites = data.draw(
        st.lists(st.integers(0, 10**6), min_size=5 * k, max_size=5 * k).map(
            lambda v: np.array(v).reshape(5, k) % high[:, None]
        )
    )
    model = MODELS[context]
    engine = IncrementalSpliceAI(model, reference)
    got = engine.probabilities(EditGeometry.from_edit_batch(batch, sites)).double().numpy()
    np.testing.assert_allclose(got, _direct(model, batch.rows(), sites), atol=TOL)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), workers=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_worker_threads_give_the_single_worker_result(data, workers, seed):
    rng = np.random.default_rng(seed)
    reference = rng.integers(0, 4, 120).astype(np.uint8)
    batch = apply_population(reference, data.draw(populations(120, 5, 3)))
    sites = (rng.integers(0, 10**6, (5, 2)) % np.maximum(batch.lengths, 1)[:, None])
    geometry = EditGeometry.from_edit_batch(batch, sites)
    threads = torch.get_num_threads()
    # a fresh engine each, so that the threads also widen the reference cache first
    serial = IncrementalSpliceAI(MODELS[400], reference, workers=1).probabilities(geometry)
    threaded = IncrementalSpliceAI(MODELS[400], reference, workers=workers)
    np.testing.assert_allclose(threaded.probabilities(geometry), serial, atol=1e-6)
    assert torch.get_num_threads() == threads
    np.testing.assert_allclose(
        threaded.probabilities(geometry.take(torch.tensor([4, 0]))), serial[[4, 0]], atol=1e-6
    )


def test_reserve_builds_the_reference_cache_once_for_later_parts():
    rng = np.random.default_rng(7)
    reference = rng.integers(0, 4, 300).astype(np.uint8)
    rows = [
        "SNV[10,A]",
        "Deletion[40,44]",
        "Insertion[150,GGT]",
        "Deletion[120,121]|SNV[290,C]",
    ]
    batch = apply_population(reference, parse_phenotypes(rows, Grammar()))
    sites = np.array([[5, 60, 160, 280]] * len(rows))
    sites = np.minimum(sites, (batch.lengths - 1)[:, None])
    geometry = EditGeometry.from_edit_batch(batch, sites)
    whole = IncrementalSpliceAI(MODELS[80], reference, workers=1).probabilities(geometry)
    engine = IncrementalSpliceAI(MODELS[80], reference, workers=1)
    engine.reserve(geometry)
    caches = engine._caches
    for rows_taken in ([0], [3, 1], [2]):
        part = engine.probabilities(geometry.take(torch.tensor(rows_taken)))
        np.testing.assert_allclose(part, whole[rows_taken], atol=1e-6)
    assert engine._caches is caches  # no rebuild after the reservation


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    reduce=st.sampled_from(REDUCTIONS),
    ensemble=st.booleans(),
    length_mode=st.sampled_from([None, "right", "left"]),
    near=st.booleans(),
)
def test_exon_scorer_matches_plain_scorer(seed, reduce, ensemble, length_mode, near):
    rng = np.random.default_rng(seed)
    length, acceptor, donor = 220, 100, 140
    reference = rng.integers(0, 4, length).astype(np.uint8)
    model = ENSEMBLE if ensemble else MODELS[400]
    # near: edits may touch the sites themselves (sites deleted, SNVs on them)
    window = dict(acceptor_window=(0, 0), donor_window=(0, 0)) if near else {}
    grammar = Grammar(acceptors=(acceptor,), donors=(donor,), max_units=5, **window)
    space = grammar.bind(reference)
    population = random_population(space, 12, rng)
    fixed = None if length_mode is None else length + int(rng.integers(-6, 7))
    batch = apply_population(
        space, population, (acceptor, donor), fixed, "right" if length_mode is None else length_mode
    )
    plain = SpliceAIExonScorer(model, acceptor, donor, reduce)
    incremental = IncrementalExonScorer(
        model, acceptor, donor, reduce, batch_size=5, reference=reference
    )
    np.testing.assert_allclose(incremental(batch), plain(batch), atol=TOL)


def test_deleted_sites_count_as_zero_like_the_plain_scorer():
    reference = np.random.default_rng(3).integers(0, 4, 120).astype(np.uint8)
    acceptor, donor = 50, 70
    grammar = Grammar()
    population = parse_phenotypes(
        [
            f"Deletion[{acceptor - 1},{acceptor + 2}]",
            f"Deletion[{donor},{donor + 1}]",
            f"Deletion[{acceptor},{acceptor + 1}]|Deletion[{donor - 2},{donor + 3}]",
            "Insertion[5,GG]",
            "",
        ],
        grammar,
    )
    batch = apply_population(reference, population, (acceptor, donor))
    assert batch.tracked[:3].min(axis=1).tolist() == [-1, -1, -1]
    model = MODELS[80]
    for reduce in REDUCTIONS:
        plain = SpliceAIExonScorer(model, acceptor, donor, reduce)
        incremental = IncrementalExonScorer(model, acceptor, donor, reduce, reference=reference)
        p = incremental.site_probabilities(batch)
        np.testing.assert_allclose(p, plain.site_probabilities(batch), atol=TOL)
        assert p[2].tolist() == [0.0, 0.0]


def test_edits_outside_the_receptive_field_cost_nothing():
    model = MODELS[80]
    rng = np.random.default_rng(5)
    reference = rng.integers(0, 4, 400).astype(np.uint8)
    site = 200
    population = parse_phenotypes(
        ["", "Deletion[10,13]", "Insertion[390,ACGT]", "SNV[100,A]|Insertion[320,T]"], Grammar()
    )
    # the SNV at 100 is 100 nt from the site: outside SpliceAI-80's radius of 40
    batch = apply_population(reference, population, (site,))
    engine = IncrementalSpliceAI(model, reference, [site])
    geometry = EditGeometry.from_edit_batch(batch, batch.tracked)
    assert batch.tracked[:, 0].tolist() == [200, 197, 200, 200]
    assert engine.work(geometry) == {"useful": 0, "computed": 0}
    probs = engine.probabilities(geometry)
    assert torch.equal(probs, probs[:1].expand_as(probs))
    np.testing.assert_allclose(
        probs.double().numpy(), _direct(model, batch.rows(), batch.tracked), atol=TOL
    )
    full, bound = cone_work(model, geometry.sites, geometry.starts, geometry.ends, geometry.valid)
    assert bound.tolist() == [0, 0, 0, 0] and (full > 0).all()


def test_spliceai_10k_random_weights_near_and_far_edits():
    model = _random_spliceai(10000, 7)
    rng = np.random.default_rng(7)
    reference = rng.integers(0, 4, 300).astype(np.uint8)
    acceptor, donor = 120, 182
    population = parse_phenotypes(
        [
            "SNV[125,A]",
            "Deletion[10,15]|SNV[150,C]|Insertion[290,GATTA]",
            "Insertion[0,TTT]|Deletion[295,300]",
            "SNV[0,G]|Deletion[170,172]|SNV[299,C]",
        ],
        Grammar(),
    )
    batch = apply_population(reference, population, (acceptor, donor))
    plain = SpliceAIExonScorer(model, acceptor, donor, "mean")
    incremental = IncrementalExonScorer(model, acceptor, donor, "mean", reference=reference)
    np.testing.assert_allclose(
        incremental.site_probabilities(batch), plain.site_probabilities(batch), atol=TOL
    )
    geometry = EditGeometry.from_edit_batch(batch, batch.tracked)
    work = incremental.engine.work(geometry)
    full, bound = cone_work(model, geometry.sites, geometry.starts, geometry.ends, geometry.valid)
    assert bound.sum() <= work["useful"] <= work["computed"] < full.sum()
    assert (bound < full).all()
    # the plain heads compute each site's whole receptive field
    assert (plain_work(model, geometry.sites) > full).all()


def test_search_runs_on_the_incremental_scorer():
    model = MODELS[80]
    reference = np.random.default_rng(11).integers(0, 4, 150).astype(np.uint8)
    acceptor, donor = 60, 90
    grammar = Grammar(acceptors=(acceptor,), donors=(donor,))
    scorer = IncrementalExonScorer(model, acceptor, donor, reference=reference)
    result = search(
        reference,
        scorer,
        grammar=grammar,
        settings=SearchSettings(
            max_evaluations=80, population_size=20, initial_min_delta=0.0, batch_size=16
        ),
        tracked=scorer.tracked,
        seed=2,
    )
    data = LocalDataset.from_search(result)
    assert len(data) > 10 and data.provenance["scorer"] == "spliceai_exon_mean_incremental"
    batch = apply_population(grammar.bind(reference), data.population(grammar), scorer.tracked)
    plain = SpliceAIExonScorer(model, acceptor, donor)
    np.testing.assert_allclose(data.scores, plain(batch), atol=TOL)


@pytest.mark.parametrize("length_policy", ["pad_right", "pad_left"])
def test_perturbation_explainer_accepts_the_incremental_scorer(length_policy):
    from captum_genomics import GGGPPerturbationExplainer
    model = MODELS[80]
    reference = np.random.default_rng(12).integers(0, 4, 140).astype(np.uint8)
    acceptor, donor = 55, 80
    x = _one_hot([reference], 0)
    scorer = IncrementalExonScorer(model, acceptor, donor, reference=x)
    explainer = GGGPPerturbationExplainer(
        scorer=scorer,
        grammar=Grammar(acceptors=(acceptor,), donors=(donor,)),
        settings=SearchSettings(
            max_evaluations=40, population_size=16, initial_min_delta=0.0, batch_size=16
        ),
        length_policy=length_policy,
    )
    data = explainer.generate(x, seed=3)  # tracks the scorer's acceptor and donor
    assert len(data) > 5
    trim = "right" if length_policy == "pad_right" else "left"
    batch = apply_population(
        reference, data.population(explainer.grammar), scorer.tracked, reference.size, trim
    )
    plain = SpliceAIExonScorer(model, acceptor, donor)
    np.testing.assert_allclose(data.scores, plain(batch), atol=TOL)


def test_mistakes_are_named():
    reference = np.zeros(100, np.uint8)
    with pytest.raises(TypeError, match="SpliceAI"):
        IncrementalSpliceAI(torch.nn.Conv1d(4, 3, 1), reference)
    training = _random_spliceai(80, 0).train()
    with pytest.raises(ValueError, match="eval"):
        IncrementalSpliceAI(training, reference)
    with pytest.raises(ValueError, match="reduce"):
        IncrementalExonScorer(MODELS[80], 10, 20, "sum", reference=reference)
    with pytest.raises(ValueError, match="acceptor <= donor"):
        IncrementalExonScorer(MODELS[80], 20, 10, reference=reference)
    with pytest.raises(ValueError, match="one-hot"):
        IncrementalSpliceAI(MODELS[80], torch.zeros(3, 10))
    with pytest.raises(ValueError, match="workers"):
        IncrementalSpliceAI(MODELS[80], reference, workers=0)
    for workers in (1.5, True):
        with pytest.raises(TypeError, match="workers"):
            IncrementalSpliceAI(MODELS[80], reference, workers=workers)
    spans = torch.zeros(2, 1, dtype=torch.long)
    with pytest.raises(ValueError, match="sites"):
        EditGeometry(
            torch.zeros(2, 5), torch.zeros(3, 1), spans, spans, spans, spans.bool(), spans[:, 0]
        )
    with pytest.raises(ValueError, match="start <= end"):
        EditGeometry(
            torch.zeros(2, 5), torch.zeros(2, 1), spans + 1, spans, spans, spans == 0, spans[:, 0]
        )
    scorer = IncrementalExonScorer(MODELS[80], 10, 20, reference=reference)
    other = apply_population(np.ones(100, np.uint8), parse_phenotypes([""], Grammar()), (10, 20))
    with pytest.raises(ValueError, match="reference differs"):
        scorer(other)
    with pytest.raises(ValueError, match="tracked=scorer.tracked"):
        scorer(apply_population(reference, parse_phenotypes([""], Grammar())))


def test_one_hot_reference_equals_codes():
    codes = np.random.default_rng(2).integers(0, 5, 90).astype(np.uint8)
    one_hot = _one_hot([codes], 0)[0]
    engine = IncrementalSpliceAI(MODELS[80], one_hot)
    assert np.array_equal(engine.reference, codes)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_matches_cpu():
    reference = np.random.default_rng(4).integers(0, 4, 200).astype(np.uint8)
    grammar = Grammar(acceptors=(90,), donors=(120,))
    space = grammar.bind(reference)
    population = random_population(space, 16, np.random.default_rng(4))
    batch = apply_population(space, population, (90, 120))
    cpu = IncrementalExonScorer(ENSEMBLE, 90, 120, reference=reference)(batch)
    gpu_model = SpliceAIEnsemble([_random_spliceai(400, 3), _random_spliceai(400, 4)]).cuda()
    gpu = IncrementalExonScorer(gpu_model.eval(), 90, 120, reference=reference)
    assert gpu.engine.device.type == "cuda"
    np.testing.assert_allclose(gpu(batch), cpu, atol=TOL)


@needs_spliceai
def test_real_ensemble_on_tubb8_matches_plain_scorer():
    from captum_genomics.models import load_spliceai

    model = load_spliceai().eval()
    exon = build_exon_input()
    grammar = exon.grammar()
    population = parse_phenotypes(
        [
            f"SNV[{exon.acceptor - 20},A]",
            f"Deletion[{exon.donor + 30},{exon.donor + 33}]|Insertion[{exon.sites[2, 0] + 8},GT]",
        ],
        grammar,
    )
    batch = apply_population(exon.sequence, population, (exon.acceptor, exon.donor))
    plain = SpliceAIExonScorer(model, exon.acceptor, exon.donor)
    incremental = IncrementalExonScorer(model, exon.acceptor, exon.donor, reference=exon.sequence)
    np.testing.assert_allclose(
        incremental.site_probabilities(batch), plain.site_probabilities(batch), atol=TOL
    )
