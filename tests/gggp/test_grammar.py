from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.gggp.grammar import (
    SNV,
    Deletion,
    Grammar,
    Insertion,
    decode_sequence,
    encode_sequence,
)


@given(st.text(alphabet="ACGTNacgtn", max_size=60))
@settings(deadline=None, max_examples=40)
def test_encode_decode_round_trip(text):
    codes = encode_sequence(text)
    assert codes.dtype == np.uint8
    assert decode_sequence(codes) == text.upper()


def test_encode_rejects_bad_letters_and_codes():
    with pytest.raises(ValueError, match="outside ACGTN"):
        encode_sequence("ACGRT")
    with pytest.raises(ValueError, match="0..4"):
        encode_sequence(np.array([0, 5]))
    with pytest.raises(ValueError, match="1-d integer"):
        encode_sequence(np.zeros((2, 2), dtype=int))


def test_forbidden_mask_reference_windows():
    ref = encode_sequence("A" * 200)
    g = Grammar(acceptors=(50,), donors=(120,), forbidden=((180, 185),))
    mask = g.forbidden_mask(ref)
    expected = np.zeros(200, bool)
    expected[40:53] = True  # acceptor [ss-10, ss+2]
    expected[117:127] = True  # donor [ss-3, ss+6]
    expected[180:185] = True
    np.testing.assert_array_equal(mask, expected)


def test_forbidden_mask_distance_and_n():
    ref = encode_sequence("N" * 10 + "C" * 100 + "N" * 10)
    g = Grammar(roi=(50, 60), max_distance=20)
    mask = g.forbidden_mask(ref)
    expected = np.ones(120, bool)
    expected[30:80] = False
    np.testing.assert_array_equal(mask, expected)
    relaxed = dataclasses.replace(g, roi=None, allow_n=True)
    assert not relaxed.forbidden_mask(ref).any()
    assert Grammar().forbidden_mask(ref).sum() == 20


@given(
    st.integers(20, 120),
    st.lists(st.integers(0, 119), max_size=3),
    st.lists(st.tuples(st.integers(0, 119), st.integers(1, 10)), max_size=3),
    st.data(),
)
@settings(deadline=None, max_examples=40)
def test_span_allowed_matches_brute_force(length, sites, intervals, data):
    sites = [s for s in sites if s < length]
    ref = np.zeros(length, np.uint8)
    inside = [(a, min(a + w, length)) for a, w in intervals if a < length]
    g = Grammar(acceptors=sites, forbidden=inside)
    if g.forbidden_mask(ref).all():
        return
    space = g.bind(ref)
    pos = np.array(data.draw(st.lists(st.integers(-3, length + 3), min_size=1, max_size=20)))
    ref_len = np.array(data.draw(st.lists(st.integers(0, 6), min_size=pos.size, max_size=pos.size)))
    got = space.span_allowed(pos, ref_len)
    for p, r, ok in zip(pos, ref_len, got):
        end = p + max(r, 1)
        want = p >= 0 and end <= length and not space.forbidden[p:end].any()
        assert ok == want


def test_grammar_validation_messages():
    with pytest.raises(ValueError, match="unique"):
        Grammar(kinds=(SNV(), SNV()))
    with pytest.raises(ValueError, match="max_units"):
        Grammar(max_units=0)
    with pytest.raises(ValueError, match="insert_probs"):
        Grammar(insert_probs=(1, 0, 0))
    with pytest.raises(ValueError, match="weights"):
        Grammar(kinds=(SNV(weight=0.0),))
    with pytest.raises(ValueError, match="outside the reference"):
        Grammar(donors=(500,)).bind("ACGT" * 10)
    for interval in ((38, 41), (-1, 3), (50, 60)):
        with pytest.raises(ValueError, match=rf"forbidden interval \({interval[0]}, "
                                             r"\d+\) lies outside the reference \[0, 40\)"):
            Grammar(forbidden=(interval,)).bind("ACGT" * 10)
    assert Grammar(forbidden=((36, 40),)).bind("ACGT" * 10).forbidden[36:].all()
    with pytest.raises(ValueError, match="every position"):
        Grammar().bind("NNNN")


def test_grammar_is_inspectable_data():
    g = Grammar()
    assert g.kind_names == ("SNV", "Deletion", "Insertion")
    np.testing.assert_allclose(g.kind_probs, [1 / 3] * 3)
    assert g.max_units == 6 and g.max_indel == 5
    np.testing.assert_allclose(g.insert_probs, [0.3, 0.2, 0.2, 0.3])
    assert g.alt_width == 5
    described = json.loads(json.dumps(g.describe()))
    assert [k["name"] for k in described["kinds"]] == ["SNV", "Deletion", "Insertion"]
    g2 = g.with_kind(Insertion(weight=0.0, max_size=8))
    assert g2.alt_width == 8 and g2.kind_names == ("SNV", "Deletion", "Insertion")
    assert g2.kind_probs[2] == 0.0


@given(st.integers(0, 2**32 - 1))
@settings(deadline=None, max_examples=25)
def test_builtin_draws_follow_their_kind(seed):
    rng = np.random.default_rng(seed)
    ref = rng.integers(0, 4, 80).astype(np.uint8)
    space = Grammar(max_indel=4).bind(ref)
    pos = rng.integers(0, 80, 30)
    snv = SNV().draw(space, pos, rng)
    assert (snv.alt[:, 0] != ref[pos]).all() and (snv.ref_len == 1).all()
    dele = Deletion().draw(space, pos, rng)
    assert ((dele.ref_len >= 1) & (dele.ref_len <= 4)).all() and (dele.alt_len == 0).all()
    ins = Insertion().draw(space, pos, rng)
    assert ((ins.alt_len >= 1) & (ins.alt_len <= 4)).all() and (ins.ref_len == 0).all()
    beyond = np.arange(space.alt_width)[None, :] >= ins.alt_len[:, None]
    assert (ins.alt[beyond] == 0).all() and (ins.alt < 4).all()


def test_insert_base_frequencies():
    rng = np.random.default_rng(1)
    space = Grammar(max_indel=1).bind("ACGT" * 50)
    bases = Insertion().draw(space, np.zeros(20000, np.int64), rng).alt[:, 0]
    freq = np.bincount(bases, minlength=4) / bases.size
    np.testing.assert_allclose(freq, [0.3, 0.2, 0.2, 0.3], atol=0.015)
