"""Tests of the exon scorers (splicing.scorers) and the exon-triplet input (splicing.exons)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captum_genomics.attr.gggp import GGGPPerturbationExplainer
from captum_genomics.dna.codec import codes_to_tensor, one_hot
from captum_genomics.example_data import TUBB8
from captum_genomics.gggp import (
    Grammar,
    LocalDataset,
    SearchSettings,
    apply_population,
    parse_phenotypes,
    random_population,
    search,
)
from captum_genomics.models.spliceai import SpliceAIEnsemble
from captum_genomics.splicing import (
    REDUCTIONS,
    ExonHead,
    IncrementalExonScorer,
    IncrementalSiteScorer,
    Scorer,
    SpliceAIExonScorer,
    SpliceAISiteScorer,
    SpliceSiteHead,
    build_exon_input,
    build_site_input,
)
from tests.support import needs_spliceai, random_spliceai

CONTEXT = 80
ACCEPTOR, DONOR = 30, 52
LENGTH = 90


MODELS = {
    "single": random_spliceai(CONTEXT, 0),
    "ensemble": SpliceAIEnsemble([random_spliceai(CONTEXT, 1), random_spliceai(CONTEXT, 2)]).eval(),
}


def _reference(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 4, LENGTH).astype(np.uint8)


def _direct(model, batch, reduce: str) -> np.ndarray:
    """Whole-sequence model output read at the moved sites, one sequence at a time."""
    half = CONTEXT // 2
    out = []
    for row, n, (acc, don) in zip(batch.sequences, batch.lengths, batch.tracked):
        codes = row if batch.fixed_length is not None else row[:n]
        x = np.zeros((1, 4, codes.size + CONTEXT), np.float32)
        real = codes < 4
        x[0, codes[real], np.flatnonzero(real) + half] = 1.0
        with torch.no_grad():
            probs = model(torch.from_numpy(x))[0].double().numpy()
        p_acc = probs[1, acc] if acc >= 0 else 0.0
        p_don = probs[2, don] if don >= 0 else 0.0
        out.append(
            {
                "mean": (p_acc + p_don) / 2,
                "max": max(p_acc, p_don),
                "min": min(p_acc, p_don),
                "acceptor": p_acc,
                "donor": p_don,
            }[reduce]
        )
    return np.array(out)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    reduce=st.sampled_from(REDUCTIONS),
    model=st.sampled_from(sorted(MODELS)),
    fixed=st.booleans(),
)
def test_scorer_equals_direct_model_at_moved_sites(seed, reduce, model, fixed):
    rng = np.random.default_rng(seed)
    grammar = Grammar(acceptors=(ACCEPTOR,), donors=(DONOR,), acceptor_window=(0, 0))
    space = grammar.bind(_reference(seed))
    population = random_population(space, 10, rng)
    scorer = SpliceAIExonScorer(MODELS[model], ACCEPTOR, DONOR, reduce, batch_size=4)
    batch = apply_population(space, population, scorer.tracked, LENGTH if fixed else None)
    np.testing.assert_allclose(scorer(batch), _direct(MODELS[model], batch, reduce), atol=2e-6)


def test_deleted_sites_count_as_probability_zero():
    grammar = Grammar()
    space = grammar.bind(_reference(3))
    population = parse_phenotypes(
        [
            f"Deletion[{ACCEPTOR - 1},{ACCEPTOR + 2}]",
            f"Deletion[{DONOR},{DONOR + 1}]",
            f"Deletion[{ACCEPTOR},{ACCEPTOR + 1}]|Deletion[{DONOR - 2},{DONOR + 3}]",
            "Insertion[5,GG]",
        ],
        grammar,
    )
    model = MODELS["single"]
    batch = apply_population(space, population, (ACCEPTOR, DONOR))
    assert batch.tracked[:3].min(axis=1).tolist() == [-1, -1, -1]
    full = SpliceAIExonScorer(model, ACCEPTOR, DONOR, "mean").site_probabilities(batch)
    assert full[0, 0] == 0 and full[1, 1] == 0 and (full[2] == 0).all()
    assert full[0, 1] > 0 and full[1, 0] > 0 and (full[3] > 0).all()
    for reduce in REDUCTIONS:
        scores = SpliceAIExonScorer(model, ACCEPTOR, DONOR, reduce)(batch)
        np.testing.assert_allclose(scores, _direct(model, batch, reduce), atol=2e-6)
        assert scores[2] == 0.0


def test_search_with_scorer_archives_direct_scores():
    model = MODELS["ensemble"]
    reference = _reference(7)
    grammar = Grammar(acceptors=(ACCEPTOR,), donors=(DONOR,))
    scorer = SpliceAIExonScorer(model, ACCEPTOR, DONOR)
    result = search(
        reference,
        scorer,
        grammar=grammar,
        settings=SearchSettings(
            max_evaluations=60, population_size=20, initial_min_delta=0.0, batch_size=16
        ),
        tracked=scorer.tracked,
        seed=1,
    )
    data = LocalDataset.from_search(result)
    assert len(data) > 10 and data.provenance["scorer"] == "spliceai_exon_mean"
    batch = apply_population(grammar.bind(reference), data.population(grammar), scorer.tracked)
    np.testing.assert_allclose(data.scores, _direct(model, batch, "mean"), atol=2e-6)
    empty = parse_phenotypes([""], grammar)
    original = _direct(model, apply_population(reference, empty, scorer.tracked), "mean")
    assert result.original_score == pytest.approx(original[0], abs=2e-6)


def test_tracked_columns_select_the_sites_and_mistakes_are_named():
    model = MODELS["single"]
    space = Grammar().bind(_reference(5))
    population = parse_phenotypes(["", "Insertion[10,ACG]", "Deletion[40,42]"], Grammar())
    plain = SpliceAIExonScorer(model, ACCEPTOR, DONOR)
    wide = SpliceAIExonScorer(model, ACCEPTOR, DONOR, tracked_columns=(2, 0))
    expected = plain(apply_population(space, population, plain.tracked))
    shuffled = apply_population(space, population, (DONOR, 3, ACCEPTOR))
    np.testing.assert_allclose(wide(shuffled), expected, atol=1e-7)
    with pytest.raises(ValueError, match="tracked=scorer.tracked"):
        plain(apply_population(space, population))
    with pytest.raises(ValueError, match="not the acceptor and donor"):
        plain(apply_population(space, population, (DONOR, ACCEPTOR)))
    with pytest.raises(ValueError, match="reduce"):
        SpliceAIExonScorer(model, ACCEPTOR, DONOR, "sum")
    with pytest.raises(ValueError, match="acceptor <= donor"):
        SpliceAIExonScorer(model, DONOR, ACCEPTOR)
    with pytest.raises(TypeError, match="context"):
        SpliceAIExonScorer(torch.nn.Conv1d(4, 3, 1), ACCEPTOR, DONOR)


def test_tubb8_exon_input_matches_the_annotation():
    exon = build_exon_input()
    assert len(exon.sequence) == 5000 + (95529 - 94555 + 1) + 5000
    assert exon.sites.tolist() == [[5000, 5407], [5677, 5785], [5864, 5974]]
    assert (exon.acceptor, exon.donor) == (5677, 5785)
    assert exon.index(94852) == exon.acceptor and exon.position(exon.donor) == 94744
    assert exon.sequence[:5000] == "N" * 5000 and exon.sequence[-5000:] == "N" * 5000
    # canonical splice dinucleotides: AG before each acceptor, GT after each donor (the region
    # ends at the downstream exon's donor, so its GT lies in the padding)
    for acceptor in exon.sites[1:, 0]:
        assert exon.sequence[acceptor - 2 : acceptor] == "AG"
    for donor in exon.sites[:2, 1]:
        assert exon.sequence[donor + 1 : donor + 3] == "GT"
    assert exon.sequence[exon.sites[2, 1] + 1] == "N"
    assert build_exon_input(exon=1).sites.tolist() == exon.sites.tolist()
    grammar = exon.grammar(max_units=3)
    assert grammar.max_units == 3 and grammar.roi == (5677, 5786)
    forbidden = grammar.bind(exon.sequence).forbidden
    assert forbidden[exon.acceptor - 10 : exon.acceptor + 3].all()
    assert forbidden[exon.donor - 3 : exon.donor + 7].all()
    assert forbidden[:5000].all() and not forbidden[exon.acceptor - 11]
    assert exon.one_hot().shape == (1, 4, len(exon.sequence))


def test_exon_input_trimming_and_errors():
    near = build_exon_input(max_distance=100, pad=10)
    assert len(near.sequence) == 10 + 100 + (94852 - 94744 + 1) + 100 + 10
    assert near.sites[0].tolist() == [-1, -1] and near.sites[2, 1] == -1
    assert near.sites[1].tolist() == [110, 218] and near.sites[2, 0] == near.index(94665)
    assert near.sequence[near.sites[2, 0] - 2 : near.sites[2, 0]] == "AG"
    assert near.grammar().acceptors == (110, near.sites[2, 0])
    with pytest.raises(ValueError, match="internal"):
        build_exon_input(exon=0)
    with pytest.raises(ValueError, match="not an exon"):
        build_exon_input(exon=(1, 2))
    with pytest.raises(TypeError, match="exon must be"):
        build_exon_input(exon="first")
    assert TUBB8.exons_transcript_order[1] == (94744, 94852)


@needs_spliceai
def test_real_spliceai_tubb8_exon_score_and_acceptor_ag_deletion():
    from captum_genomics.models import load_spliceai

    exon = build_exon_input()
    model = load_spliceai("spliceai")
    scorer = SpliceAIExonScorer(model, exon.acceptor, exon.donor)
    grammar = Grammar()
    population = parse_phenotypes(["", f"Deletion[{exon.acceptor - 2},{exon.acceptor}]"], grammar)
    batch = apply_population(grammar.bind(exon.sequence), population, scorer.tracked)
    assert batch.tracked[1].tolist() == [exon.acceptor - 2, exon.donor - 2]
    probs = scorer.site_probabilities(batch)
    scores = scorer(batch)
    assert scores[0] > 0.5
    assert scores[1] < scores[0] - 0.2 and probs[1, 0] < 0.1
    with torch.no_grad():
        full = model(exon.one_hot())[0]
    assert probs[0, 0] == pytest.approx(float(full[1, exon.acceptor - 5000]), abs=1e-5)
    assert probs[0, 1] == pytest.approx(float(full[2, exon.donor - 5000]), abs=1e-5)


SCORERS = (SpliceAIExonScorer, IncrementalExonScorer)


def test_scorers_share_one_signature_and_the_protocol():
    assert inspect.signature(SpliceAIExonScorer) == inspect.signature(IncrementalExonScorer)
    for cls in SCORERS:
        scorer = cls(MODELS["single"], ACCEPTOR, DONOR)
        assert isinstance(scorer, Scorer) and scorer.tracked == (ACCEPTOR, DONOR)
    assert not isinstance(lambda batch: batch.lengths, Scorer)


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("with_reference", [False, True])
def test_plain_and_incremental_scorers_agree_given_the_same_arguments(model, with_reference):
    reference = _reference(21)
    grammar = Grammar(acceptors=(ACCEPTOR,), donors=(DONOR,), acceptor_window=(0, 0))
    space = grammar.bind(reference)
    population = random_population(space, 24, np.random.default_rng(21))
    batch = apply_population(space, population, (ACCEPTOR, DONOR))
    for reduce in REDUCTIONS:
        kwargs = dict(reduce=reduce, batch_size=7, name="exon")
        if with_reference:
            kwargs["reference"] = reference
        plain, incremental = (cls(MODELS[model], ACCEPTOR, DONOR, **kwargs) for cls in SCORERS)
        expected = plain(batch)
        assert expected.shape == (24,) and np.ptp(expected) > 0
        np.testing.assert_allclose(incremental(batch), expected, atol=1e-6, rtol=0)
        assert incremental.reference is not None and plain.name == incremental.name == "exon"


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_heads_and_scorers_agree_on_input_positions(reduce):
    """A head's score at input position p of a reference equals the scorers' for the unedited
    reference with the site at p; scorers read N beyond the ends, so the unpadded reference
    scores the same base at p - context / 2."""
    model = MODELS["ensemble"]
    half = CONTEXT // 2
    reference = _reference(22)
    padded = np.concatenate([np.full(half, 4, np.uint8), reference, np.full(half, 4, np.uint8)])
    acceptor, donor = ACCEPTOR + half, DONOR + half
    x = codes_to_tensor(padded[None])
    with torch.no_grad():
        exon = ExonHead(model, [(acceptor, donor)], reduce)(x)[0, 0].item()
        sites = SpliceSiteHead(model, [acceptor, donor], ["acceptor", "donor"])(x)[0]
    unedited = parse_phenotypes([""], Grammar())
    for cls in SCORERS:
        for codes, shift in [(padded, half), (reference, 0)]:
            batch = apply_population(codes, unedited, (ACCEPTOR + shift, DONOR + shift))
            scorer = cls(model, ACCEPTOR + shift, DONOR + shift, reduce)
            assert scorer(batch)[0] == pytest.approx(exon, abs=1e-6)
            np.testing.assert_allclose(
                scorer.site_probabilities(batch)[0] * scorer.needed,
                sites.double().numpy() * scorer.needed,
                atol=1e-6,
                rtol=0,
            )


def test_scorer_reference_is_checked():
    reference = _reference(23)
    other = apply_population(_reference(24), parse_phenotypes([""], Grammar()), (ACCEPTOR, DONOR))
    for cls in SCORERS:
        with pytest.raises(ValueError, match="reference differs"):
            cls(MODELS["single"], ACCEPTOR, DONOR, reference=reference)(other)
        with pytest.raises(ValueError, match="beyond the reference"):
            cls(MODELS["single"], ACCEPTOR, LENGTH, reference=reference)
    # without a reference the plain scorer scores any; the incremental one keeps the first
    incremental = IncrementalExonScorer(MODELS["single"], ACCEPTOR, DONOR)
    incremental(other)
    assert np.array_equal(incremental.reference, _reference(24))
    plain = SpliceAIExonScorer(MODELS["single"], ACCEPTOR, DONOR)
    batch = apply_population(reference, parse_phenotypes([""], Grammar()), (ACCEPTOR, DONOR))
    assert plain(other)[0] != plain(batch)[0]
    with pytest.raises(ValueError, match="reference differs"):
        incremental(batch)


@needs_spliceai
def test_real_weights_plain_and_incremental_agree_given_the_same_arguments():
    from captum_genomics.models import load_spliceai

    exon = build_exon_input()
    model = load_spliceai("spliceai")
    grammar = exon.grammar(max_units=4)
    space = grammar.bind(exon.sequence)
    population = random_population(space, 4, np.random.default_rng(0))
    population = population.take(np.flatnonzero(population.n_units > 0)[:3])
    batch = apply_population(space, population, (exon.acceptor, exon.donor))
    plain, incremental = (cls(model, exon.acceptor, exon.donor, "min") for cls in SCORERS)
    expected = plain.site_probabilities(batch)
    assert len(batch) == 3 and expected.min() > 0.05
    np.testing.assert_allclose(incremental.site_probabilities(batch), expected, atol=1e-6, rtol=0)
    np.testing.assert_allclose(incremental(batch), plain(batch), atol=1e-6, rtol=0)


SITE_SCORERS = (SpliceAISiteScorer, IncrementalSiteScorer)


def test_site_scorers_share_one_signature_and_the_protocol():
    assert inspect.signature(SpliceAISiteScorer) == inspect.signature(IncrementalSiteScorer)
    for cls in SITE_SCORERS:
        scorer = cls(MODELS["single"], DONOR, "donor")
        assert isinstance(scorer, Scorer) and scorer.tracked == (DONOR,)
        assert scorer.name == "spliceai_donor" + ("_incremental" if "Incr" in cls.__name__ else "")
        with pytest.raises(ValueError, match="kind"):
            cls(MODELS["single"], DONOR, "exon")
        with pytest.raises(ValueError, match="not the donor"):
            cls(MODELS["single"], DONOR, "donor")(
                apply_population(_reference(4), parse_phenotypes([""], Grammar()), (ACCEPTOR,))
            )


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("kind", ["acceptor", "donor"])
def test_site_scorers_agree_and_equal_the_exon_scorer_reading_that_site(model, kind):
    reference = _reference(31)
    site = ACCEPTOR if kind == "acceptor" else DONOR
    grammar = Grammar(acceptors=(ACCEPTOR,), donors=(DONOR,), acceptor_window=(0, 0))
    space = grammar.bind(reference)
    population = random_population(space, 24, np.random.default_rng(31))
    exon_batch = apply_population(space, population, (ACCEPTOR, DONOR))
    site_batch = apply_population(space, population, (site,))
    exon = SpliceAIExonScorer(MODELS[model], ACCEPTOR, DONOR, kind)(exon_batch)
    assert np.ptp(exon) > 0
    for with_reference in (False, True):
        extra = {"reference": reference} if with_reference else {}
        plain, incremental = (cls(MODELS[model], site, kind, batch_size=7, **extra)
                              for cls in SITE_SCORERS)
        expected = plain(site_batch)
        np.testing.assert_allclose(expected, exon, atol=1e-6, rtol=0)
        np.testing.assert_allclose(incremental(site_batch), expected, atol=1e-6, rtol=0)


def test_site_scorers_score_a_deleted_site_zero():
    grammar = Grammar()
    space = grammar.bind(_reference(32))
    population = parse_phenotypes(
        [f"Deletion[{ACCEPTOR - 1},{ACCEPTOR + 2}]", "Insertion[5,GG]", ""], grammar
    )
    batch = apply_population(space, population, (ACCEPTOR,))
    assert batch.tracked[:, 0].tolist()[0] == -1
    for cls in SITE_SCORERS:
        scores = cls(MODELS["ensemble"], ACCEPTOR)(batch)
        assert scores[0] == 0.0 and (scores[1:] > 0).all()
        np.testing.assert_allclose(
            scores, _direct(MODELS["ensemble"], apply_population(
                space, population, (ACCEPTOR, DONOR)), "acceptor"), atol=2e-6)


def test_tubb8_site_input_maps_the_acceptor():
    site = build_site_input("chr10", 94852, "-", "acceptor", max_distance=200, pad=30)
    assert len(site.sequence) == 30 + 401 + 30 and site.site == 230
    assert site.index(94852) == site.site and site.position(site.site) == 94852
    assert site.sequence[site.site - 2 : site.site] == "AG"
    grammar = site.grammar()
    assert grammar.acceptors == (230,) and grammar.donors == () and grammar.roi == (230, 231)
    near_start = build_site_input("chr10", 50, "+", "donor", max_distance=100, pad=5)
    assert near_start.region.start == 1 and near_start.site == 5 + 49
    with pytest.raises(ValueError, match="beyond"):
        build_site_input("chr10", 10**9, "+")
    with pytest.raises(ValueError, match="kind"):
        build_site_input("chr10", 100, "+", "exon")


@needs_spliceai
def test_real_weights_site_scorers_agree_and_explain_tubb8_acceptor_without_a_donor():
    from captum_genomics.models import load_spliceai

    model = load_spliceai("spliceai", members=[1])
    site = build_site_input("chr10", 94852, "-", "acceptor", max_distance=300)
    grammar = site.grammar()
    space = grammar.bind(site.sequence)
    population = random_population(space, 6, np.random.default_rng(0))
    batch = apply_population(space, population, (site.site,))
    plain, incremental = (cls(model, site.site, reference=site.sequence) for cls in SITE_SCORERS)
    expected = plain(batch)
    assert expected.max() > 0.3
    np.testing.assert_allclose(incremental(batch), expected, atol=1e-6, rtol=0)
    explainer = GGGPPerturbationExplainer(
        scorer=incremental, grammar=grammar, length_policy="variable",
        settings=SearchSettings(max_evaluations=60, population_size=20, initial_min_delta=0.0),
    )
    dataset = explainer.generate(one_hot(site.sequence), seed=0)
    assert len(dataset) > 5 and dataset.provenance["scorer"] == "spliceai_acceptor_incremental"
    unedited = apply_population(space, parse_phenotypes([""], grammar), (site.site,))
    assert dataset.provenance["original_score"] == pytest.approx(plain(unedited)[0], abs=1e-6)
