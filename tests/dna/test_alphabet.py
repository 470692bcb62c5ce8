"""Tests for captum_genomics.dna.alphabet: the one code table of text, codes and one-hot."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from captum_genomics.dna.alphabet import (
    CODE_N,
    CODE_UNKNOWN,
    LETTERS,
    N_VALUES,
    check_codes,
    codes_to_one_hot,
    codes_to_text,
    is_lowercase,
    n_value_of,
    one_hot_table,
    one_hot_to_codes,
    text_to_codes,
    text_to_codes_strict,
)
from captum_genomics.dna.codec import codes_to_tensor

SETTINGS = settings(max_examples=60, deadline=None)
code_batches = hnp.arrays(
    np.uint8,
    st.tuples(st.integers(1, 4), st.integers(1, 30)),
    elements=st.integers(0, CODE_N),
)
n_values = st.sampled_from(sorted(N_VALUES.values()))


@SETTINGS
@given(text=st.text(alphabet="ACGTNacgtn", max_size=80))
def test_text_codes_text_round_trip_in_any_case(text):
    codes = text_to_codes(text)
    assert codes.dtype == np.uint8 and codes.shape == (len(text),)
    assert codes_to_text(codes) == text.upper()
    np.testing.assert_array_equal(codes, [LETTERS.index(c) for c in text.upper()])
    np.testing.assert_array_equal(is_lowercase(text), [c.islower() for c in text])


@SETTINGS
@given(codes=code_batches, n_value=n_values)
def test_codes_one_hot_codes_round_trip(codes, n_value):
    columns = codes_to_one_hot(codes, n_value=n_value)
    assert columns.shape == (codes.shape[0], 4, codes.shape[1])
    back, quarter = one_hot_to_codes(columns)
    np.testing.assert_array_equal(back, codes)
    np.testing.assert_array_equal(quarter, (codes == CODE_N) & (n_value == 0.25))


@SETTINGS
@given(codes=code_batches, n_value=n_values, layout=st.sampled_from(("NCL", "NLC")))
def test_codes_to_tensor_equals_numpy_one_hot(codes, n_value, layout):
    expected = codes_to_one_hot(codes, n_value=n_value)
    if layout == "NLC":
        expected = expected.transpose(0, 2, 1)
    for given_codes in (codes, torch.from_numpy(codes)):
        x = codes_to_tensor(given_codes, n_value=n_value, layout=layout)
        assert x.dtype == torch.float32 and x.is_contiguous()
        np.testing.assert_array_equal(x.numpy(), expected)


@SETTINGS
@given(text=st.text(min_size=1, max_size=40))
def test_unknown_characters_get_the_unknown_code(text):
    codes = text_to_codes(text)
    assert codes.shape == (len(text),)  # one code per character, non-ASCII included
    for char, code in zip(text, codes):
        known = char in LETTERS + LETTERS.lower()
        assert code == (LETTERS.index(char.upper()) if known else CODE_UNKNOWN)


def test_non_one_hot_columns_get_the_unknown_code():
    columns = np.array([[[0.5, 1.0, 0.25, 0.0], [0.5, 0.0, 0.25, 0.0],
                         [0.0, 0.0, 0.25, 0.0], [0.0, 0.0, 0.25, 1.0]]])
    codes, quarter = one_hot_to_codes(columns)
    np.testing.assert_array_equal(codes, [[CODE_UNKNOWN, 0, CODE_N, 3]])
    np.testing.assert_array_equal(quarter, [[False, False, True, False]])


@pytest.mark.parametrize("bad", [[0, 5], [-1, 2], [CODE_UNKNOWN]])
def test_codes_out_of_range_raise(bad):
    with pytest.raises(ValueError, match="0..4"):
        codes_to_text(np.array(bad))
    with pytest.raises(ValueError, match="0..4"):
        codes_to_one_hot(np.array(bad))
    with pytest.raises(ValueError, match="0..4"):
        codes_to_tensor(np.array([bad]))
    with pytest.raises(ValueError, match="0..4"):
        codes_to_tensor(torch.tensor([bad]))


def test_check_codes_names_its_subject_and_returns_valid_codes_unchanged():
    for codes in (np.array([0, 4, 2]), torch.tensor([[3, 0]]), np.zeros(0, np.int64)):
        assert check_codes(codes) is codes
    for bad in (np.array([1, 5]), torch.tensor([-1])):
        with pytest.raises(ValueError, match=r"^reference codes must lie in 0\.\.4 \(A=0"):
            check_codes(bad, "reference codes")


def test_strict_text_codes_list_the_letters_outside_acgtn():
    np.testing.assert_array_equal(text_to_codes_strict("acGTn"), [0, 1, 2, 3, CODE_N])
    with pytest.raises(ValueError, match=r"^the read holds letters \['R', 'x'\] outside ACGTN"):
        text_to_codes_strict("ACxRR", "the read")


def test_n_values_by_name_and_number():
    assert n_value_of("zeros") == 0.0 and n_value_of("uniform") == 0.25
    assert n_value_of(0.5) == 0.5 and n_value_of(np.float32(0.25)) == 0.25
    np.testing.assert_array_equal(one_hot_table(0.5)[CODE_N], [0.5] * 4)
    with pytest.raises(ValueError, match="n_policy must be one of"):
        n_value_of("half")
    with pytest.raises(TypeError, match="policy name or a number"):
        n_value_of(True)
    with pytest.raises(ValueError, match="finite"):
        n_value_of(float("nan"))
