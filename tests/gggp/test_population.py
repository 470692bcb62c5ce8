from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.gggp.grammar import Grammar, decode_sequence
from captum_genomics.gggp.operators import random_population
from captum_genomics.gggp.population import (
    Population,
    apply_population,
    format_phenotypes,
    parse_phenotypes,
)

seeds = st.integers(0, 2**32 - 1)


def _setup(seed, length=60, max_indel=5):
    rng = np.random.default_rng(seed)
    ref = rng.integers(0, 4, length).astype(np.uint8)
    space = Grammar(max_indel=max_indel).bind(ref)
    return rng, ref, space


@given(seeds, st.integers(8, 90), st.integers(1, 6))
@settings(deadline=None, max_examples=40)
def test_apply_matches_string_editing(string_editor, seed, length, max_indel):
    rng, ref, space = _setup(seed, length, max_indel)
    pop = random_population(space, 30, rng)
    batch = apply_population(space, pop)
    text = decode_sequence(ref)
    for phenotype, edited, n in zip(
        format_phenotypes(pop, space.grammar), batch.strings(), batch.lengths
    ):
        assert edited == string_editor(text, phenotype)
        assert len(edited) == n


@given(seeds)
@settings(deadline=None, max_examples=30)
def test_tracked_positions_follow_edits(seed):
    rng, ref, space = _setup(seed, 70)
    pop = random_population(space, 40, rng)
    tracked = np.arange(70)
    batch = apply_population(space, pop, tracked)
    for i in range(len(pop)):
        valid = pop.kind[i] >= 0
        p, r = pop.pos[i, valid], pop.ref_len[i, valid]
        covered = np.zeros(70, bool)
        for a, b in zip(p, p + r):
            covered[a:b] = True
        new = batch.tracked[i]
        # untouched bases are found where the running offset says
        keep = ~covered
        assert (new[keep] >= 0).all()
        np.testing.assert_array_equal(batch.sequences[i, new[keep]], ref[keep])
        # order is preserved and deleted bases are reported lost
        assert (np.diff(new[keep]) >= 1).all()
        deleted = covered & np.isin(tracked, _deleted(pop, i))
        assert (new[deleted] == -1).all()


def _deleted(pop, i):
    out = []
    for k, p, r, a in zip(pop.kind[i], pop.pos[i], pop.ref_len[i], pop.alt_len[i]):
        if k >= 0 and r != a:
            out.extend(range(p, p + r))
    return out


def test_apply_hand_example():
    g = Grammar()
    ref = "ACGTACGTAC"
    pop = parse_phenotypes(["SNV[1,T]|Deletion[3,5]|Insertion[8,GG]", ""], g)
    batch = apply_population(g.bind(ref), pop, tracked=[0, 2, 3, 9])
    assert batch.strings() == ["ATGCGTGGAC", ref]
    np.testing.assert_array_equal(batch.tracked, [[0, 2, -1, 9], [0, 2, 3, 9]])
    np.testing.assert_array_equal(batch.lengths, [10, 10])


def test_fixed_length_pads_and_trims_at_the_chosen_end():
    g = Grammar()
    ref = "ACGTACGTAC"
    pop = parse_phenotypes(["Deletion[0,2]", "Insertion[5,TTT]"], g)
    right = apply_population(g.bind(ref), pop, tracked=[9], length=10, trim="right")
    assert right.strings() == ["GTACGTACNN", "ACGTATTTCG"]
    np.testing.assert_array_equal(right.tracked[:, 0], [7, -1])
    left = apply_population(g.bind(ref), pop, tracked=[0, 9], length=10, trim="left")
    assert left.strings() == ["NNGTACGTAC", "TATTTCGTAC"]
    np.testing.assert_array_equal(left.tracked, [[-1, 9], [-1, 9]])
    assert right.fixed_length == 10 and apply_population(g.bind(ref), pop).fixed_length is None


@given(seeds)
@settings(deadline=None, max_examples=30)
def test_phenotypes_round_trip(seed):
    rng, ref, space = _setup(seed, 100)
    pop = random_population(space, 25, rng)
    text = format_phenotypes(pop, space.grammar)
    back = parse_phenotypes(text, space.grammar)
    assert back.equals(pop)
    assert format_phenotypes(back, space.grammar) == text
    for t in text:
        for unit in t.split("|"):
            assert unit.split("[")[0] in ("SNV", "Deletion", "Insertion")


def test_parse_errors_name_the_problem():
    g = Grammar()
    with pytest.raises(ValueError, match="cannot parse unit"):
        parse_phenotypes(["Inversion[3,5]"], g)
    with pytest.raises(ValueError, match="bad arguments"):
        parse_phenotypes(["SNV[3,AC]"], g)
    with pytest.raises(ValueError, match="more than max_units"):
        parse_phenotypes(["|".join(f"SNV[{i},A]" for i in range(7))], g)
    with pytest.raises(ValueError, match="does not fit"):
        parse_phenotypes(["Insertion[3,AAAAAAA]"], g)


def test_apply_refuses_unrepaired_population():
    g = Grammar()
    pop = parse_phenotypes(["SNV[5,A]|SNV[2,C]"], g)
    with pytest.raises(ValueError, match="repair"):
        apply_population(g.bind("ACGT" * 5), pop)
    overlapping = parse_phenotypes(["Deletion[2,6]|SNV[4,C]"], g)
    with pytest.raises(ValueError, match="repair"):
        apply_population(g.bind("ACGT" * 5), overlapping)


def test_population_array_layout():
    pop = Population.empty(3, 6, 5)
    assert pop.kind.shape == (3, 6) and pop.alt.shape == (3, 6, 5)
    assert (pop.n_units == 0).all() and len(pop) == 3
    both = Population.concatenate([pop, pop.take([0])])
    assert len(both) == 4
