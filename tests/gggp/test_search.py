from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.gggp.archive import archive_quality
from captum_genomics.gggp.dataset import LocalDataset
from captum_genomics.gggp.grammar import Grammar
from captum_genomics.gggp.population import format_phenotypes
from captum_genomics.gggp.search import Evaluator, SearchSettings, search

GRAMMAR = Grammar(roi=(180, 220), max_distance=60)


def run(reference, scorer, seed=0, **kw):
    kw.setdefault("population_size", 60)
    kw.setdefault("archive_size", 400)
    return search(reference, scorer, grammar=GRAMMAR, settings=SearchSettings(**kw), seed=seed)


@given(st.integers(1, 700), st.integers(1, 64), st.sampled_from(["gggp", "random"]))
@settings(deadline=None, max_examples=15)
def test_evaluation_budget_and_cache(reference, make_scorer, budget, batch, strategy):
    scorer = make_scorer()
    result = run(
        reference,
        scorer,
        max_evaluations=budget,
        batch_size=batch,
        strategy=strategy,
        archive_size=5000,
    )
    assert result.evaluations == len(scorer.seen) <= budget
    assert len(set(scorer.seen)) == len(scorer.seen)  # never scored twice
    assert max(scorer.batch_sizes) <= batch
    assert result.stop_reason in ("evaluations", "stalled")
    if result.log:
        assert result.log[-1]["evaluations"] == result.evaluations


def test_generation_archive_and_time_budgets(reference, make_scorer):
    by_generations = run(reference, make_scorer(), max_generations=3, archive_size=5000)
    assert by_generations.generations == 3 == len(by_generations.log)
    assert by_generations.stop_reason == "generations"
    by_archive = run(
        reference, make_scorer(), max_generations=100, archive_size=50, admission="all"
    )
    assert len(by_archive.archive) == 50 and by_archive.stop_reason == "archive"
    with pytest.warns(UserWarning, match=r"time budget .* 0 of 400 archived after 1 evaluations"):
        by_time = run(reference, make_scorer(), max_time=1e-9)
    assert by_time.stop_reason == "time" and by_time.generations == 0


@pytest.mark.parametrize("strategy", ["gggp", "random"])
def test_same_seed_same_archive(reference, make_scorer, strategy):
    runs = [
        run(reference, make_scorer(), seed=s, max_evaluations=500, strategy=strategy)
        for s in (5, 5, 6)
    ]
    (pa, sa, ga, fa), (pb, sb, gb, fb), (pc, _, _, _) = (r.archive.entries() for r in runs)
    assert pa.equals(pb)
    np.testing.assert_array_equal(sa, sb)
    np.testing.assert_array_equal(ga, gb)
    np.testing.assert_array_equal(fa, fb)
    assert not (len(pa) == len(pc) and pa.equals(pc))
    seeded = search(
        reference,
        make_scorer(),
        grammar=GRAMMAR,
        settings=SearchSettings(population_size=60, max_evaluations=500),
        seed=np.random.default_rng(5),
    )
    assert seeded.seed is None and len(seeded.archive) > 0


def test_generation_zero_rule_and_log(reference, make_scorer):
    result = run(
        reference,
        make_scorer(),
        max_generations=4,
        initial_min_delta=0.1,
        population_size=300,
        archive_size=1000,
    )
    _, scores, generation, _ = result.archive.entries()
    first = generation == 0
    assert first.any()
    assert (np.abs(scores[first] - result.original_score) >= 0.1).all()
    assert (generation > 0).any()
    assert [row["generation"] for row in result.log] == [0, 1, 2, 3]
    assert sum(row["archived"] for row in result.log) == len(result.archive)
    assert result.log[-1]["quality"] == pytest.approx(archive_quality(scores, target_size=1000))
    for key in ("size", "uniformity", "diversity", "coverage", "mean_fitness", "cache_hits"):
        assert key in result.log[-1]
    prov = result.provenance()
    assert prov["seed"] == 0 and prov["scorer"] == "pwm"
    assert prov["settings"]["max_generations"] == 4
    assert prov["quality_trace"] == {
        "evaluations": [r["evaluations"] for r in result.log],
        "quality": [r["quality"] for r in result.log],
    }


def test_gggp_beats_random_at_equal_budget(reference, make_scorer):
    quality = {}
    for strategy in ("gggp", "random"):
        quality[strategy] = np.mean(
            [
                run(
                    reference,
                    make_scorer(),
                    seed=s,
                    strategy=strategy,
                    population_size=200,
                    archive_size=2000,
                    max_evaluations=2000,
                ).log[-1]["quality"]
                for s in (0, 1)
            ]
        )
    assert quality["gggp"] > quality["random"] + 0.02


def test_random_strategy_draws_fresh_individuals(reference, make_scorer):
    result = run(
        reference,
        make_scorer(),
        strategy="random",
        max_generations=3,
        archive_size=5000,
        initial_min_delta=0.0,
    )
    pop, _, generation, _ = result.archive.entries()
    grammar = result.space.grammar
    gens = [set(format_phenotypes(pop.take(generation == g), grammar)) for g in range(3)]
    assert all(len(a & b) < 5 for a in gens for b in gens if a is not b)


def test_tiny_reference_exhausts_without_rescoring(make_scorer):
    ref = "ACGTACGTACGTAC"
    scorer = make_scorer()
    grammar = Grammar(max_units=1, max_indel=1, kinds=Grammar().kinds[:1])
    result = search(
        ref,
        scorer,
        grammar=grammar,
        seed=0,
        settings=SearchSettings(population_size=30, max_generations=200, patience=5),
    )
    assert result.stop_reason == "stalled"
    assert result.evaluations == len(set(scorer.seen)) == 1 + 3 * 14  # every SNV, once
    assert sum(row["cache_hits"] for row in result.log) > 0


def test_fixed_length_and_tracked_reach_the_scorer(reference):
    seen = []

    def scorer(batch):
        seen.append((batch.sequences.shape[1], batch.tracked.shape[1], batch.fixed_length))
        return np.full(len(batch), 0.5)

    search(
        reference,
        scorer,
        grammar=GRAMMAR,
        tracked=[180, 219],
        seed=0,
        settings=SearchSettings(population_size=20, max_generations=2, sequence_length=400),
    )
    assert set(seen) == {(400, 2, 400)}


def test_bad_scorers_and_settings(reference):
    with pytest.raises(ValueError, match="one score per sequence"):
        run(reference, lambda b: np.zeros(len(b) + 1), max_generations=1)
    with pytest.raises(ValueError, match="finite"):
        run(reference, lambda b: np.full(len(b), np.nan), max_generations=1)
    with pytest.raises(TypeError, match="callable"):
        run(reference, "model", max_generations=1)
    with pytest.raises(ValueError, match="at least one of"):
        SearchSettings()
    with pytest.raises(ValueError, match="strategy"):
        SearchSettings(strategy="greedy", max_generations=1)
    with pytest.raises(ValueError, match="frontier"):
        SearchSettings(frontier=True, max_generations=1)
    with pytest.raises(ValueError, match="stall_fraction"):
        SearchSettings(stall_fraction=1.5, max_generations=1)
    with pytest.raises(ValueError, match="settings="):
        search(reference, lambda b: np.zeros(len(b)))


def test_show_progress_and_its_old_name(reference, make_scorer, capsys):
    settings = SearchSettings(max_evaluations=60, population_size=20)
    shown = search(reference, make_scorer(), settings=settings, seed=5, show_progress=True)
    assert "GGGP evaluations" in capsys.readouterr().err
    with pytest.warns(DeprecationWarning, match=r"search\(progress=...\).*show_progress="):
        old = search(reference, make_scorer(), settings=settings, seed=5, progress=False)
    assert "GGGP evaluations" not in capsys.readouterr().err
    np.testing.assert_array_equal(old.archive.entries()[1], shown.archive.entries()[1])
    space = GRAMMAR.bind(reference)
    with pytest.warns(DeprecationWarning, match=r"progress=.*progress_bar="):
        evaluator = Evaluator(space, make_scorer(), progress=None)
    assert evaluator.progress_bar is None


def test_a_scorer_failing_midway_keeps_every_evaluation_made(
    reference, make_scorer, failing_scorer
):
    # population 60 in batches of 16: the reference and generation 0 take 5 calls (61
    # evaluations); the 8th call fails inside generation 1, after 61 + 2 * 16 = 93
    scorer = failing_scorer(make_scorer(), calls=7)
    with pytest.raises(RuntimeError, match="out of memory") as caught:
        run(reference, scorer, max_evaluations=1000, batch_size=16)
    partial = caught.value.partial
    assert partial.stop_reason == "error" and partial.evaluations == 93
    assert partial.generations == 2 and len(partial.log) == 2
    assert any(".partial" in note for note in getattr(caught.value, "__notes__", [".partial"]))
    # exactly what a search given a budget of those 93 evaluations archives
    budget = run(reference, make_scorer(), max_evaluations=93, batch_size=16)
    assert budget.evaluations == 93 and len(budget.archive) > 0
    for got, want in zip(partial.archive.entries(), budget.archive.entries()):
        if isinstance(want, np.ndarray):
            np.testing.assert_array_equal(got, want)
        else:
            assert got.equals(want)
    dataset = LocalDataset.from_search(partial)
    assert len(dataset) == len(budget.archive)
    assert dataset.provenance["stop_reason"] == "error"


def test_a_scorer_failing_on_the_reference_raises_as_it_is(reference, make_scorer, failing_scorer):
    with pytest.raises(RuntimeError, match="out of memory") as caught:
        run(reference, failing_scorer(make_scorer(), calls=0), max_evaluations=100)
    assert not hasattr(caught.value, "partial")


def test_scores_outside_the_score_range_are_counted_and_warned_about_once(reference, make_scorer):
    pwm = make_scorer()
    scored: list[float] = []

    def scorer(batch):
        out = pwm(batch)
        scored.extend(out.tolist())
        return out

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(reference, scorer, max_evaluations=400, score_range=(0.3, 0.75))
    edited = np.array(scored[1:])  # the first call scores the unedited reference
    expected = int(((edited < 0.3) | (edited > 0.75)).sum())
    assert expected > 0 and result.out_of_range == expected
    assert result.provenance()["out_of_range"] == expected
    archived = result.archive.scores
    assert archived.size and ((archived >= 0.3) & (archived <= 0.75)).all()
    found = [w for w in caught if "score_range" in str(w.message)]
    assert len(found) == 1 and issubclass(found[0].category, UserWarning)
    messages = [str(w.message) for w in found]
    assert f"{expected} of {edited.size} edited sequences" in messages[0]
    assert "widen SearchSettings(score_range=...)" in messages[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inside = run(reference, make_scorer(), max_evaluations=400)
    assert inside.out_of_range == 0 and inside.provenance()["out_of_range"] == 0


def test_fitness_admission_caps_bins_and_all_does_not(reference, make_scorer):
    gated = run(reference, make_scorer(), max_evaluations=1000)
    per_bin = 400 // 40
    assert gated.archive.counts.max() <= math.floor(1.05 * per_bin) + 1
    _, _, generations, fitness = gated.archive.entries()
    assert (fitness[generations > 0] > 0).all() and (generations > 0).any()
    everything = run(reference, make_scorer(), max_evaluations=1000, admission="all")
    assert everything.archive.counts.max() > math.floor(1.05 * per_bin) + 1
    assert len(everything.archive) > len(gated.archive)
    assert gated.provenance()["settings"]["admission"] == "fitness"


@pytest.mark.parametrize("strategy", ["gggp", "random"])
@pytest.mark.parametrize("fitness", ["iad", "callable"])
def test_every_later_admission_has_positive_fitness(reference, make_scorer, strategy, fitness):
    def even_bins(bins, counts, target_size):
        return np.where(bins % 2 == 0, 1.0, -1.0)

    chosen = even_bins if fitness == "callable" else fitness
    result = run(reference, make_scorer(), max_evaluations=400, strategy=strategy, fitness=chosen)
    _, scores, generations, fitness_values = result.archive.entries()
    # fitness >= 0 suffices while the archive is empty (IAD gains nothing then: the run would
    # never archive anything when generation 0 archives nothing, as here with IAD)
    assert (fitness_values[generations > 0] >= 0).all()
    later = generations > generations.min()
    assert later.any() and (fitness_values[later] > 0).all()
    if chosen is even_bins:
        bins, _ = result.archive.binning.assign(scores[later])
        assert (bins % 2 == 0).all()


def test_parsimony_keeps_the_archive_closer_to_the_input(reference, make_scorer):
    def mean_distance(**kw):  # parsimony alone: the frontier trades locality for coverage
        kw.setdefault("frontier", "never")
        return np.mean(
            [
                run(reference, make_scorer(), seed=s, max_evaluations=1000, **kw).locality[
                    "mean_edit_distance"
                ]
                for s in (0, 1)
            ]
        )

    closer = mean_distance()
    assert closer + 1.0 < mean_distance(parsimony="none", crossover_operator="one_point")
    assert closer + 1.0 < mean_distance(strategy="random")


def test_log_and_provenance_record_locality(reference, make_scorer):
    result = run(reference, make_scorer(), max_evaluations=300)
    units = [row["mean_units"] for row in result.log]
    assert all(1 <= u <= GRAMMAR.max_units for u in units if not math.isnan(u))
    assert units[-1] == pytest.approx(result.locality["mean_units"])
    assert result.provenance()["locality"]["mean_edit_distance"] > 0
    assert result.provenance()["prune_evaluations"] == 0


@pytest.mark.parametrize("frontier", [None, np.arange(6, 0, -1)])
def test_frontier_selection_breeds_from_the_individuals_nearest_the_open_bins(
    reference, frontier
):
    from captum_genomics.gggp.population import parse_phenotypes
    from captum_genomics.gggp.search import next_generation

    def snvs(k):  # k SNVs, each to the base after the reference's
        return "|".join(f"SNV[{p},{'ACGT'[(reference[p] + 1) % 4]}]" for p in range(150, 150 + k))

    population = parse_phenotypes([snvs(k) for k in range(1, 7)], GRAMMAR)
    settings = SearchSettings(
        population_size=40,
        operators_weight=1.0,
        novelty_weight=0.0,
        tournament_size=200,  # every individual enters every tournament
        crossover_probability=0.0,
        mutation_probability=0.0,
        max_generations=1,
    )
    children = next_generation(
        GRAMMAR.bind(reference), population, np.full(6, -1.0), settings,
        np.random.default_rng(0), frontier,
    )
    # all fitness ties (-1: closed bins): parsimony picks the one-SNV individual, the frontier
    # the six-SNV one, nearest the admitting bins (distance 1)
    assert set(children.n_units.tolist()) == ({1} if frontier is None else {6})


def test_frontier_setting_changes_the_search_only_once_bins_close(reference, make_scorer):
    def scores(frontier, archive_size):
        return run(reference, make_scorer(), frontier=frontier, max_evaluations=600,
                   archive_size=archive_size, union_probability=0.0).archive.scores

    # BinFiller bins hold archive_size / 40: 1,000 never close within 600 evaluations, 5 do
    np.testing.assert_array_equal(scores("always", 40_000), scores("never", 40_000))
    closing = scores("always", 200), scores("never", 200)
    assert closing[0].size != closing[1].size or not np.array_equal(*closing)


def _custom_fitness(bins, counts, size):
    return np.ones(len(bins))


@pytest.mark.parametrize(
    "field, in_force, fitness, given, expected",
    [("frontier", "frontier_mode", "binfiller", None, "stalled"),
     ("frontier", "frontier_mode", "IAD", None, "stalled"),
     ("frontier", "frontier_mode", "iad", "never", "never"),
     ("frontier", "frontier_mode", "iad", "always", "always"),
     ("frontier", "frontier_mode", _custom_fitness, None, "never"),
     ("stall_fraction", "stall_share", "binfiller", None, 0.05),
     ("stall_fraction", "stall_share", "IAD", None, 0.0),
     ("stall_fraction", "stall_share", "iad", 0.2, 0.2),
     ("stall_fraction", "stall_share", _custom_fitness, None, 0.0),
     ("union_probability", "union_share", "binfiller", None, 0.05),
     ("union_probability", "union_share", "IAD", None, 0.1),
     ("union_probability", "union_share", "iad", 0.0, 0.0),
     ("union_probability", "union_share", _custom_fitness, None, 0.0)],
)
def test_defaults_in_force_depend_on_the_fitness(field, in_force, fitness, given, expected):
    settings = SearchSettings(fitness=fitness, max_generations=1, **{field: given})
    assert getattr(settings, in_force) == expected


@pytest.mark.parametrize("fitness, stall_fraction", [("iad", None), ("binfiller", None),
                                                     ("binfiller", 0.3)])
def test_stalled_frontier_follows_the_generations_that_archive_little(
    reference, make_scorer, fitness, stall_fraction
):
    result = run(reference, make_scorer(), fitness=fitness, frontier="stalled",
                 stall_fraction=stall_fraction, max_evaluations=1500, archive_size=200)
    share = result.settings.stall_share
    bred = result.log[:-1]  # the last generation breeds no children
    expected = [row["archived"] == 0 or row["archived"] < share * 60 for row in bred]
    assert [row["frontier"] for row in bred] == expected
    assert any(expected) and not all(expected)  # both kinds of generation occur
    assert not result.log[-1]["frontier"]
    never = run(reference, make_scorer(), fitness=fitness, frontier="never",
                stall_fraction=stall_fraction, max_evaluations=300, archive_size=200)
    assert not any(row["frontier"] for row in never.log)


def test_union_crossover_share_changes_the_search_reproducibly(reference, make_scorer):
    def archive(**kw):
        return run(reference, make_scorer(), max_evaluations=600, **kw).archive.entries()

    joined, again = archive(union_probability=0.5), archive(union_probability=0.5)
    plain = archive(union_probability=0.0)
    assert joined[0].equals(again[0])
    np.testing.assert_array_equal(joined[1], again[1])
    assert not (len(joined[0]) == len(plain[0]) and joined[0].equals(plain[0]))
    with pytest.raises(ValueError, match="union_probability"):
        SearchSettings(union_probability=1.5, max_generations=1)
