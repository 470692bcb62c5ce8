from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.gggp.grammar import Grammar, UnitDraw, UnitKind, decode_sequence
from captum_genomics.gggp.operators import (
    crossover,
    dense_rank,
    locality_mutation,
    mutate,
    parsimony_rank,
    positional_crossover,
    random_population,
    repair,
    standard_mutation,
    tournament_select,
    union_crossover,
)
from captum_genomics.gggp.population import (
    apply_population,
    check_canonical,
    format_phenotypes,
    parse_phenotypes,
)

seeds = st.integers(0, 2**32 - 1)


def assert_constraints(space, pop):
    check_canonical(pop, space.length)
    k = pop.n_units
    assert ((k >= 1) & (k <= space.grammar.max_units)).all()
    valid = pop.valid
    assert space.span_allowed(pop.pos[valid], pop.ref_len[valid]).all()
    # no unit leaves the reference unchanged
    for i, j in zip(*np.nonzero(valid & (pop.ref_len == pop.alt_len))):
        r = pop.ref_len[i, j]
        assert not np.array_equal(pop.alt[i, j, :r], space.reference[pop.pos[i, j] :][:r])
    beyond = np.arange(pop.alt.shape[2])[None, None, :] >= pop.alt_len[:, :, None]
    assert (pop.alt[beyond] == 0).all()
    assert (pop.kind[~valid] == -1).all() and (pop.pos[~valid] == 0).all()


@st.composite
def spaces(draw):
    length = draw(st.integers(30, 150))
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    ref = rng.integers(0, 4, length).astype(np.uint8)
    ref[draw(st.integers(0, length - 1))] = 4
    mid = length // 2
    grammar = Grammar(
        max_units=draw(st.integers(1, 6)),
        max_indel=draw(st.integers(1, 6)),
        acceptors=(mid - 8,),
        donors=(mid + 8,),
        roi=(mid - 8, mid + 9),
        max_distance=draw(st.integers(15, 80)),
        forbidden=((0, 3),),
    )
    return rng, grammar.bind(ref)


@given(
    spaces(),
    st.lists(
        st.sampled_from(["cross", "positional", "union", "std", "local", "mutate"]), max_size=6
    ),
)
@settings(deadline=None, max_examples=40)
def test_constraints_hold_after_any_operators_and_repair(setup, ops):
    rng, space = setup
    pop = random_population(space, 40, rng)
    assert_constraints(space, pop)
    for op in ops:
        if op == "cross":
            idx = rng.integers(0, len(pop), (2, len(pop)))
            pop = crossover(pop, idx[0], idx[1], 0.8, rng)
        elif op == "positional":
            idx = rng.integers(0, len(pop), (2, len(pop)))
            pop = positional_crossover(pop, idx[0], idx[1], 0.8, rng)
        elif op == "union":
            idx = rng.integers(0, len(pop), (2, len(pop)))
            pop = union_crossover(pop, idx[0], idx[1], 0.8, rng)
            assert_constraints(space, pop)  # canonical before any repair
        elif op == "std":
            pop = standard_mutation(space, pop, rng)
        elif op == "local":
            pop = locality_mutation(space, pop, 4.0, rng)
        else:
            pop = mutate(space, pop, 0.7, 0.5, 4.0, rng)
        pop = repair(space, pop, rng)
        assert_constraints(space, pop)


def test_repair_hand_cases():
    g = Grammar(forbidden=((15, 18),))
    ref = "ACGTACGTACGTACGTACGT"
    space = g.bind(ref)
    pop = parse_phenotypes(
        [
            "Deletion[2,6]|SNV[4,C]",  # overlap: the deletion is longer
            "SNV[0,A]|Insertion[9,TT]",  # SNV to the reference base is redrawn
            "SNV[16,A]|Deletion[10,12]",  # unit in a forbidden zone is dropped
            "Deletion[14,16]",  # touches the forbidden zone: the individual is regenerated
            "Insertion[7,G]|SNV[7,T]",  # same footprint, same length: the leftmost slot wins
        ],
        g,
    )
    out = repair(space, pop, np.random.default_rng(0))
    text = format_phenotypes(out, g)
    assert text[0] == "Deletion[2,6]"
    assert text[1].startswith("SNV[0,") and text[1] != "SNV[0,A]|Insertion[9,TT]"
    assert text[1].endswith("|Insertion[9,TT]")
    assert text[2] == "Deletion[10,12]"
    assert text[3] != "Deletion[14,16]" and out.n_units[3] >= 1
    assert text[4] == "Insertion[7,G]"
    assert_constraints(space, out)


def test_repair_sorts_and_packs():
    g = Grammar()
    space = g.bind("ACGT" * 10)
    pop = parse_phenotypes(["SNV[30,A]|Deletion[3,5]|Insertion[20,C]"], g)
    out = repair(space, pop, np.random.default_rng(0))
    assert format_phenotypes(out, g) == ["Deletion[3,5]|Insertion[20,C]|SNV[30,A]"]


def test_tournament_hand_example():
    fitness = np.array([0.1, 0.9, 0.5, -1.0])
    rng = np.random.default_rng(3)
    winners = tournament_select(fitness, 500, 4, rng)
    assert set(np.unique(winners)) <= {0, 1, 2, 3}
    # with size 4 over 4 individuals the best wins unless it is never drawn
    share_best = np.mean(winners == 1)
    assert abs(share_best - (1 - 0.75**4)) < 0.06
    assert (tournament_select(fitness, 50, 1000, rng) == 1).all()
    with pytest.raises(ValueError, match="empty"):
        tournament_select(np.array([]), 3, 5, rng)


@given(seeds)
@settings(deadline=None, max_examples=30)
def test_crossover_children_are_prefix_plus_suffix(seed):
    rng = np.random.default_rng(seed)
    space = Grammar().bind(rng.integers(0, 4, 200).astype(np.uint8))
    pop = random_population(space, 30, rng)
    first, second = rng.integers(0, 30, 30), rng.integers(0, 30, 30)
    kids = crossover(pop, first, second, 1.0, rng)
    g = space.grammar
    a_units = [t.split("|") for t in format_phenotypes(pop.take(first), g)]
    b_units = [t.split("|") for t in format_phenotypes(pop.take(second), g)]
    u = g.max_units
    for kid, a, b in zip(format_phenotypes(kids, g), a_units, b_units):
        units = kid.split("|")
        assert any(
            units == (a[:cut] + b[c:])[:u]
            for cut in range(1, len(a) + 1)
            for c in range(len(b) + 1)
        )
    same = crossover(pop, first, second, 0.0, rng)
    assert same.equals(pop.take(first))


@given(seeds)
@settings(deadline=None, max_examples=25)
def test_locality_mutation_moves_one_unit_nearby(seed):
    rng = np.random.default_rng(seed)
    space = Grammar().bind(rng.integers(0, 4, 300).astype(np.uint8))
    pop = random_population(space, 60, rng)
    mutants = locality_mutation(space, pop, 4.0, rng)
    changed = (mutants.pos != pop.pos) | (mutants.ref_len != pop.ref_len)
    changed |= (mutants.alt != pop.alt).any(axis=2) | (mutants.alt_len != pop.alt_len)
    assert (changed.sum(axis=1) <= 1).all()
    np.testing.assert_array_equal(mutants.kind, pop.kind)
    moved = mutants.pos[changed] - pop.pos[changed]
    assert (moved != 0).mean() > 0.9
    assert np.abs(moved).max() <= 40


def test_locality_step_size_follows_sigma():
    rng = np.random.default_rng(7)
    space = Grammar(max_units=1).bind(rng.integers(0, 4, 2000).astype(np.uint8))
    pop = parse_phenotypes(["SNV[1000,A]"] * 4000, space.grammar)
    pop = repair(space, pop, rng)
    moved = locality_mutation(space, pop, 4.0, rng).pos[:, 0] - 1000
    assert (moved != 0).all()
    # E|round(N(0, 4))| given non-zero is about 3.3
    assert 2.9 < np.abs(moved).mean() < 3.7


def test_standard_mutation_changes_each_individual():
    rng = np.random.default_rng(11)
    space = Grammar().bind(rng.integers(0, 4, 500).astype(np.uint8))
    pop = random_population(space, 200, rng)
    mutants = repair(space, standard_mutation(space, pop, rng), rng)
    before = format_phenotypes(pop, space.grammar)
    after = format_phenotypes(mutants, space.grammar)
    assert np.mean([a != b for a, b in zip(before, after)]) > 0.95
    dk = mutants.n_units - pop.n_units
    assert set(np.unique(dk)) <= {-1, 0, 1} and (dk == 1).any() and (dk == -1).any()


_COMPLEMENT = np.array([3, 2, 1, 0, 4], np.uint8)


@dataclass(frozen=True)
class Inversion(UnitKind):
    """A user kind: reverse-complement ``size`` reference bases."""

    name: str = "Inversion"
    weight: float = 1.0
    size: int = 3

    def max_alt_length(self, grammar):
        return self.size

    def max_ref_length(self, grammar):
        return self.size

    def draw(self, space, positions, rng):
        m = positions.size
        idx = np.clip(positions[:, None] + np.arange(self.size), 0, space.length - 1)
        alt = np.zeros((m, space.alt_width), np.uint8)
        alt[:, : self.size] = _COMPLEMENT[space.reference[idx]][:, ::-1]
        size = np.full(m, self.size, np.int32)
        return UnitDraw(size, size.copy(), alt)


def _reverse_complement(text):
    return text[::-1].translate(str.maketrans("ACGT", "TGCA"))


@given(seeds)
@settings(deadline=None, max_examples=20)
def test_user_kind_needs_no_engine_change(seed):
    rng = np.random.default_rng(seed)
    grammar = Grammar().with_kind(Inversion())
    ref = rng.integers(0, 4, 120).astype(np.uint8)
    space = grammar.bind(ref)
    pop = random_population(space, 40, rng)
    assert_constraints(space, pop)
    assert (pop.kind == 3).any()
    text = format_phenotypes(pop, grammar)
    assert parse_phenotypes(text, grammar).equals(pop)
    batch = apply_population(space, pop)
    reference = decode_sequence(ref)
    for i in range(len(pop)):
        expected = reference
        for unit in reversed(text[i].split("|")):  # right to left needs no offset
            name, args = unit[:-1].split("[")
            parts = args.split(",")
            p = int(parts[0])
            if name == "Inversion":
                start, end = p, int(parts[1])
                assert parts[2] == _reverse_complement(reference[start:end])
                expected = expected[:start] + parts[2] + expected[end:]
            elif name == "SNV":
                expected = expected[:p] + parts[1] + expected[p + 1 :]
            elif name == "Deletion":
                expected = expected[:p] + expected[int(parts[1]) :]
            else:
                expected = expected[:p] + parts[1] + expected[p:]
        assert batch.strings()[i] == expected


@given(seeds)
@settings(deadline=None, max_examples=30)
def test_positional_crossover_children_are_left_of_one_plus_right_of_other(seed):
    rng = np.random.default_rng(seed)
    space = Grammar().bind(rng.integers(0, 4, 200).astype(np.uint8))
    pop = random_population(space, 30, rng)
    first, second = rng.integers(0, 30, 30), rng.integers(0, 30, 30)
    kids = positional_crossover(pop, first, second, 1.0, rng)
    a, b = pop.take(first), pop.take(second)
    for i in range(30):
        units = [tuple(int(v) for v in (k.kind, k.pos, k.ref_len)) for k in _units(kids, i)]
        options = []
        for cut in np.concatenate([a.pos[i][a.valid[i]], b.pos[i][b.valid[i]]]):
            left = [u for u in _units(a, i) if u.pos < cut]
            right = [u for u in _units(b, i) if u.pos >= cut]
            child = (left + right)[: pop.max_units] or _units(a, i)
            options.append([tuple(int(v) for v in (k.kind, k.pos, k.ref_len)) for k in child])
        assert units in options
        assert units == sorted(units, key=lambda t: t[1])
    assert positional_crossover(pop, first, second, 0.0, rng).equals(a)


def _unit_set(pop, i):
    return {
        (int(pop.kind[i, j]), int(pop.pos[i, j]), int(pop.ref_len[i, j]), int(pop.alt_len[i, j]))
        + tuple(int(v) for v in pop.alt[i, j])
        for j in np.flatnonzero(pop.valid[i])
    }


@given(seeds, st.integers(1, 8))
@settings(deadline=None, max_examples=30)
def test_union_crossover_children_keep_one_parent_and_add_the_other_where_it_fits(seed, units):
    rng = np.random.default_rng(seed)
    space = Grammar(max_units=units).bind(rng.integers(0, 4, 120).astype(np.uint8))
    pop = random_population(space, 30, rng)
    first, second = rng.integers(0, 30, (2, 30))
    kids = union_crossover(pop, first, second, 1.0, rng)
    a, b = pop.take(first), pop.take(second)
    for i in range(30):
        child, mine, theirs = _unit_set(kids, i), _unit_set(a, i), _unit_set(b, i)
        spans = [(u[1], u[1] + max(u[2], 1)) for u in mine]
        fits = {u for u in theirs if all(u[1] + max(u[2], 1) <= s or e <= u[1] for s, e in spans)}
        assert mine <= child <= mine | fits
        assert len(child) == min(units, len(mine | fits))  # nothing that fits is lost below U
    assert union_crossover(pop, first, second, 0.0, rng).equals(a)


def test_union_crossover_joins_two_disjoint_edits_and_is_reproducible():
    g = Grammar(max_units=3)
    pop = parse_phenotypes(["SNV[10,C]", "Deletion[40,42]", "SNV[10,G]"], g)
    first, second = np.array([0, 1, 2, 2]), np.array([1, 0, 0, 1])
    kids = union_crossover(pop, first, second, 1.0, np.random.default_rng(0))
    assert format_phenotypes(kids, g) == [
        "SNV[10,C]|Deletion[40,42]",
        "SNV[10,C]|Deletion[40,42]",
        "SNV[10,G]",  # its own SNV at 10 wins over the other parent's
        "SNV[10,G]|Deletion[40,42]",
    ]
    space = g.bind(np.zeros(60, np.uint8))
    big = random_population(space, 50, np.random.default_rng(3))
    pairs = np.random.default_rng(4).integers(0, 50, (2, 50))
    runs = [union_crossover(big, *pairs, 0.5, np.random.default_rng(9)) for _ in range(2)]
    assert runs[0].equals(runs[1])
    assert not runs[0].equals(union_crossover(big, *pairs, 0.5, np.random.default_rng(10)))


def _units(pop, i):
    from types import SimpleNamespace

    return [
        SimpleNamespace(kind=pop.kind[i, j], pos=pop.pos[i, j], ref_len=pop.ref_len[i, j])
        for j in np.flatnonzero(pop.valid[i])
    ]


def test_positional_crossover_does_not_grow_children_but_one_point_does():
    rng = np.random.default_rng(7)
    space = Grammar().bind(rng.integers(0, 4, 400).astype(np.uint8))
    pop = random_population(space, 2000, rng)
    first, second = rng.integers(0, 2000, (2, 4000))
    parents = (pop.n_units[first].mean() + pop.n_units[second].mean()) / 2
    sizes = {
        op.__name__: repair(space, op(pop, first, second, 1.0, rng), rng).n_units.mean()
        for op in (positional_crossover, crossover)
    }
    assert sizes["positional_crossover"] <= parents + 0.05
    assert sizes["crossover"] >= parents + 0.2  # the reason for the positional variant


def test_parsimony_rank_breaks_fitness_ties_by_units_then_bases():
    g = Grammar()
    pop = parse_phenotypes(
        [
            "SNV[1,A]|SNV[5,A]",  # fitness 1, 2 units
            "Deletion[3,7]",  # fitness 1, 1 unit of 4 bases
            "SNV[9,A]",  # fitness 1, 1 unit of 1 base
            "SNV[2,A]|SNV[7,A]|SNV[9,C]",  # fitness 2: best whatever its size
            "SNV[10,A]",  # equal to row 2
        ],
        g,
    )
    rank = parsimony_rank(np.array([1.0, 1.0, 1.0, 2.0, 1.0]), pop)
    np.testing.assert_array_equal(rank, [3, 2, 1, 0, 1])
    rng = np.random.default_rng(0)
    winners = tournament_select(-rank.astype(float), 200, 5, rng)
    assert np.mean(winners == 2) > np.mean(winners == 0)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=25))
@settings(max_examples=60, deadline=None)
def test_dense_rank_is_the_index_among_sorted_distinct_keys(pairs):
    first, second = (np.array(k) for k in zip(*pairs))
    distinct = sorted(set(pairs))
    expected = [distinct.index(p) for p in pairs]
    np.testing.assert_array_equal(dense_rank(first, second), expected)


def test_parsimony_tolerance_turns_near_ties_into_ties():
    pop = parse_phenotypes(["SNV[1,A]|SNV[5,A]|SNV[8,C]", "SNV[9,A]"], Grammar())
    fitness = np.array([0.99, 0.95])  # the larger individual is slightly fitter
    np.testing.assert_array_equal(parsimony_rank(fitness, pop), [0, 1])
    np.testing.assert_array_equal(parsimony_rank(fitness, pop, 0.1), [1, 0])  # one grid cell
    np.testing.assert_array_equal(parsimony_rank(fitness, pop, 0.01), [0, 1])


def test_parsimony_tolerance_default_depends_on_the_fitness():
    from captum_genomics.gggp import SearchSettings

    assert SearchSettings(max_evaluations=10).tie_tolerance == 0.0
    assert SearchSettings(max_evaluations=10, fitness="iad").tie_tolerance == 0.3
    assert SearchSettings(max_evaluations=10, fitness="iad",
                          parsimony_tolerance=0.0).tie_tolerance == 0.0
    with pytest.raises(ValueError, match="parsimony_tolerance"):
        SearchSettings(max_evaluations=10, parsimony_tolerance=1.5)
