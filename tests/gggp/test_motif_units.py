from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.gggp import (
    SNV,
    Grammar,
    MotifDeletion,
    MotifInsertion,
    MotifMutation,
    MotifOccurrences,
    MotifSet,
    SearchSettings,
    motif_kinds,
    search,
)
from captum_genomics.gggp.operators import (
    crossover,
    locality_mutation,
    mutate,
    random_population,
    repair,
    standard_mutation,
)
from captum_genomics.gggp.population import format_phenotypes, parse_phenotypes
from tests.gggp.test_operators import assert_constraints, seeds, spaces

M1 = np.array([0, 3, 2, 1, 0, 3], np.uint8)  # ATGCAT
M2 = np.array([2, 2, 0, 1, 1], np.uint8)  # GGACC


def sharp_pwm(consensus: np.ndarray, p: float = 0.85) -> np.ndarray:
    pwm = np.full((4, consensus.size), (1 - p) / 3)
    pwm[consensus, np.arange(consensus.size)] = p
    return pwm


MOTIFS = MotifSet(("M1", "M2"), (sharp_pwm(M1), sharp_pwm(M2, 0.7)))


def reverse_complement(codes: np.ndarray) -> np.ndarray:
    return (3 - codes)[::-1]


def log_odds_score(codes, pwm, pseudocount=0.01):
    """Relative log-odds score of a window, computed from scratch."""
    probs = (pwm + pseudocount) / (pwm + pseudocount).sum(axis=0)
    odds = np.log(probs / 0.25)
    score = odds[codes, np.arange(codes.size)].sum()
    low, high = odds.min(axis=0).sum(), odds.max(axis=0).sum()
    return (score - low) / (high - low)


def count_exact(seq: np.ndarray, motif: np.ndarray) -> int:
    w = motif.size
    if seq.size < w:
        return 0
    windows = np.lib.stride_tricks.sliding_window_view(seq, w)
    return int((windows == motif).all(axis=1).sum())


def planted(length=120, seed=5):
    """Reference with M1 at 20 and 70, M2 at 45, M2 reverse-complemented at 95 (on '-')."""
    rng = np.random.default_rng(seed)
    while True:
        ref = rng.integers(0, 4, length).astype(np.uint8)
        ref[20:26] = M1
        ref[70:76] = M1
        ref[45:50] = M2
        ref[95:100] = reverse_complement(M2)
        if count_exact(ref, M1) == 2 and count_exact(ref, M2) == 1:
            occ = MotifOccurrences([20, 70, 45, 95], [26, 76, 50, 100], [0, 0, 1, 1],
                                   ["+", "+", "+", "-"])
            return ref, occ


def motif_grammar(occurrences, **kw):
    return Grammar(kinds=motif_kinds(MOTIFS, occurrences), **kw)


def on_occurrence(space, pop, occurrences):
    """Every occurrence-kind unit sits exactly on an admissible occurrence."""
    names = space.grammar.kind_names
    occ_codes = [names.index("MotifDeletion"), names.index("MotifMutation")]
    mask = np.isin(pop.kind, occ_codes)
    idx = occurrences.find(pop.pos[mask], pop.ref_len[mask])
    assert (idx >= 0).all()
    start, end, _, _ = occurrences.arrays()
    assert space.span_allowed(start[idx], (end - start)[idx]).all()
    mutation = pop.kind[mask] == names.index("MotifMutation")
    assert (pop.alt_len[mask][mutation] == pop.ref_len[mask][mutation]).all()
    return int(mask.sum())


@st.composite
def motif_spaces(draw):
    rng, space = draw(spaces())
    length = space.length
    n_occ = draw(st.integers(1, 12))
    motif = rng.integers(0, 2, n_occ)
    start = rng.integers(0, length - 6, n_occ)
    occ = MotifOccurrences(start, start + MOTIFS.widths[motif], motif,
                           rng.choice(["+", "-"], n_occ))
    base = space.grammar
    kinds = (*base.kinds, *motif_kinds(MOTIFS, occ, max_changes=draw(st.integers(1, 4))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # occurrences may all fall in forbidden zones
        return rng, dataclasses.replace(base, kinds=kinds).bind(space.reference), occ


@given(motif_spaces(), st.lists(st.sampled_from(["cross", "std", "local", "mutate"]), max_size=6))
@settings(deadline=None, max_examples=40)
def test_constraints_and_occurrences_hold_after_any_operators(setup, ops):
    rng, space, occ = setup
    pop = random_population(space, 40, rng)
    assert_constraints(space, pop)
    on_occurrence(space, pop, occ)
    for op in ops:
        if op == "cross":
            idx = rng.integers(0, len(pop), (2, len(pop)))
            pop = crossover(pop, idx[0], idx[1], 0.8, rng)
        elif op == "std":
            pop = standard_mutation(space, pop, rng)
        elif op == "local":
            pop = locality_mutation(space, pop, 4.0, rng)
            on_occurrence(space, pop, occ)  # even before repair
        else:
            pop = mutate(space, pop, 0.7, 0.5, 4.0, rng)
        pop = repair(space, pop, rng)
        assert_constraints(space, pop)
        on_occurrence(space, pop, occ)
        text = format_phenotypes(pop, space.grammar)
        assert parse_phenotypes(text, space.grammar).equals(pop)


@given(seeds)
@settings(deadline=None, max_examples=20)
def test_mutation_destroys_and_insertion_writes_the_motif(seed):
    rng = np.random.default_rng(seed)
    ref, occ = planted()
    space = motif_grammar(occ).bind(ref)
    pop = random_population(space, 60, rng)
    names = space.grammar.kind_names
    assert on_occurrence(space, pop, occ) > 0
    start, _, motif, minus = occ.arrays()
    seen_kinds = set()
    for i, j in zip(*np.nonzero(pop.valid)):
        name = names[pop.kind[i, j]]
        seen_kinds.add(name)
        alt = pop.alt[i, j, : pop.alt_len[i, j]]
        if name == "MotifMutation":
            k = occ.find(pop.pos[i, j], pop.ref_len[i, j])
            pwm = MOTIFS.pwm(int(motif[k]))
            window = reverse_complement(alt) if minus[k] else alt
            before = ref[start[k] : start[k] + alt.size]
            before = reverse_complement(before) if minus[k] else before
            assert log_odds_score(before, pwm) > 0.8
            assert log_odds_score(window, pwm) < 0.6
            assert 1 <= (alt != ref[start[k] : start[k] + alt.size]).sum() <= alt.size
        elif name == "MotifInsertion":
            assert np.array_equal(alt, M1) or np.array_equal(alt, M2)
    assert seen_kinds == set(names)


def test_sampled_insertions_follow_the_pwm():
    ref, _ = planted()
    kind = MotifInsertion(MOTIFS, sample=True, motif_weights=(1.0, 0.0))
    space = Grammar(kinds=(kind,)).bind(ref)
    drawn = kind.draw(space, np.full(4000, 10), np.random.default_rng(0))
    assert (drawn.alt_len == 6).all() and (drawn.ref_len == 0).all()
    freq = (drawn.alt[:, :6] == M1).mean(axis=0)
    np.testing.assert_allclose(freq, 0.85, atol=0.03)
    assert (drawn.alt[:, 6:] == 0).all()


def test_locality_moves_to_the_nearest_other_occurrence():
    ref, occ = planted()
    grammar = Grammar(kinds=(MotifDeletion(MOTIFS, occ),), max_units=1)
    space = grammar.bind(ref)
    np.testing.assert_array_equal(space.kind_positions[0], [20, 45, 70, 95])
    pop = repair(space, parse_phenotypes(["MotifDeletion[45,50]"] * 200, grammar),
                 np.random.default_rng(0))
    rng = np.random.default_rng(1)
    tight = locality_mutation(space, pop, 0.5, rng)
    # from 45 the nearest others are 20 and 70, both 25 away: a fair tie
    assert set(tight.pos[:, 0]) == {20, 70}
    assert 0.35 < np.mean(tight.pos[:, 0] == 20) < 0.65
    np.testing.assert_array_equal(tight.ref_len[:, 0], 6)
    wide = locality_mutation(space, pop, 60.0, rng)
    assert set(wide.pos[:, 0]) == {20, 70, 95}
    alone = Grammar(kinds=(MotifDeletion(MOTIFS, MotifOccurrences([20], [26], [0])),))
    solo = alone.bind(ref)
    one = repair(solo, parse_phenotypes(["MotifDeletion[20,26]"], alone), rng)
    assert format_phenotypes(locality_mutation(solo, one, 4.0, rng), alone) == [
        "MotifDeletion[20,26]"
    ]


def test_units_off_an_occurrence_are_dropped_by_repair():
    ref, occ = planted()
    grammar = Grammar(kinds=(SNV(), *motif_kinds(MOTIFS, occ)))
    space = grammar.bind(ref)
    pop = parse_phenotypes(["MotifMutation[30,36,AAAAAA]|SNV[5,A]"], grammar)
    pop.alt[0, 0] = 0
    pop.alt[0, 0, :6] = ref[30:36]  # a no-op at a non-occurrence: redrawn there, then dropped
    out = repair(space, pop, np.random.default_rng(0))
    assert format_phenotypes(out, grammar)[0].startswith("SNV[5,")
    assert out.n_units[0] == 1


def test_kinds_without_admissible_occurrence_get_no_weight():
    ref, occ = planted()
    forbid_all = Grammar(kinds=(SNV(), *motif_kinds(MOTIFS, occ)),
                         forbidden=((15, 30), (40, 105)))
    with pytest.warns(UserWarning, match="no admissible site") as record:
        space = forbid_all.bind(ref)
    assert sorted(str(w.message).split("'")[1] for w in record) == ["MotifDeletion",
                                                                    "MotifMutation"]
    np.testing.assert_allclose(space.kind_probs, [0.5, 0.5, 0, 0])
    pop = random_population(space, 50, np.random.default_rng(0))
    assert set(np.unique(pop.kind[pop.valid])) <= {0, 1}
    with pytest.raises(ValueError, match="no unit kind of positive weight"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataclasses.replace(forbid_all, kinds=forbid_all.kinds[2:]).bind(ref)


def test_describe_is_json_and_validation_messages():
    _, occ = planted()
    grammar = motif_grammar(occ)
    described = json.loads(json.dumps(grammar.describe()))
    kinds = {k["name"]: k for k in described["kinds"]}
    assert kinds["MotifMutation"]["occurrences"]["start"] == [20, 70, 45, 95]
    assert kinds["MotifInsertion"]["motifs"]["names"] == ["M1", "M2"]
    assert np.allclose(kinds["MotifInsertion"]["motifs"]["pwms"][0], sharp_pwm(M1))
    assert grammar.alt_width == 6
    assert grammar == motif_grammar(planted()[1]) and hash(grammar) == hash(motif_grammar(occ))
    with pytest.raises(ValueError, match=r"\(4, w\)"):
        MotifSet(("x",), (np.ones((5, 4)),))
    with pytest.raises(ValueError, match="not as wide"):
        MotifDeletion(MOTIFS, MotifOccurrences([0], [5], [0]))
    with pytest.raises(ValueError, match="only 2 motifs"):
        MotifMutation(MOTIFS, MotifOccurrences([0], [6], [2]))
    with pytest.raises(ValueError, match="strand"):
        MotifOccurrences([0], [6], [0], ["x"])
    with pytest.raises(ValueError, match="threshold"):
        MotifMutation(MOTIFS, occ, threshold=0.0)


def test_planted_motif_search_reaches_every_count():
    """Score = exact M1 copies: deleting or mutating reaches 1 and 0, inserting 3 and more."""
    ref, occ = planted()

    def scorer(batch):
        return np.array([count_exact(row, M1) for row in batch.rows()], float)

    result = search(
        ref,
        scorer,
        grammar=motif_grammar(occ, max_units=3),
        settings=SearchSettings(population_size=60, max_generations=4, n_bins=5,
                                score_range=(0.0, 5.0), archive_size=1000),
        seed=0,
    )
    assert result.original_score == 2
    counts = result.archive.counts
    assert counts[0] > 0 and counts[1] > 0 and counts[2] > 0 and counts[3] > 0
