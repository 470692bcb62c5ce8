from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.gggp.dataset import LocalDataset
from captum_genomics.gggp.population import apply_population


@pytest.fixture(scope="module")
def result(small_search):
    return small_search(seed=3)


def test_from_search_matches_archive(result, string_editor):
    data = LocalDataset.from_search(result)
    _, scores, generation, fitness = result.archive.entries()
    assert len(data) == len(result.archive) > 0
    np.testing.assert_array_equal(data.scores, scores)
    np.testing.assert_array_equal(data.generation, generation)
    np.testing.assert_array_equal(data.fitness, fitness)
    for phenotype, seq in zip(data.phenotypes, data.sequences):
        assert seq == string_editor(data.reference, phenotype)
    assert data.provenance["seed"] == 3 and data.provenance["scorer"] == "pwm"
    grammar = result.space.grammar
    batch = apply_population(grammar.bind(data.reference), data.population(grammar))
    assert batch.strings() == data.sequences


def test_tsv_round_trip_is_lossless(result, tmp_path):
    data = LocalDataset.from_search(result)
    path = tmp_path / "local.tsv"
    data.to_tsv(path)
    back = LocalDataset.from_tsv(path)
    assert back.reference == data.reference
    assert back.phenotypes == data.phenotypes and back.sequences == data.sequences
    np.testing.assert_array_equal(back.scores, data.scores)
    np.testing.assert_array_equal(back.generation, data.generation)
    np.testing.assert_array_equal(back.fitness, data.fitness)
    assert back.provenance == data.provenance
    assert os.listdir(tmp_path) == ["local.tsv"]  # no temporary file left behind


def test_tsv_byte_order_mark_is_dropped(result, tmp_path):
    data = LocalDataset.from_search(result)
    path = tmp_path / "local.tsv"
    data.to_tsv(path)
    marked = tmp_path / "marked.tsv"
    marked.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    back = LocalDataset.from_tsv(marked)
    assert back.phenotypes == data.phenotypes and back.reference == data.reference


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=5))
@settings(deadline=None, max_examples=20)
def test_tsv_keeps_floats_bit_for_bit(tmp_path_factory, values):
    n = len(values)
    data = LocalDataset(
        "ACGT", ["SNV[0,C]"] * n, ["CCGT"] * n, values, np.arange(n), values[::-1], {"seed": 1}
    )
    path = tmp_path_factory.mktemp("f") / "d.tsv"
    data.to_tsv(path)
    back = LocalDataset.from_tsv(path)
    np.testing.assert_array_equal(back.scores, np.array(values))
    np.testing.assert_array_equal(back.fitness, np.array(values[::-1]))


def test_one_hot_and_codes():
    data = LocalDataset(
        "ACGT", ["Deletion[0,1]", "SNV[3,N]"], ["CGT", "ACGN"], [0.1, 0.2], [0, 1], [0.0, 0.0]
    )
    np.testing.assert_array_equal(data.codes(), [[1, 2, 3, 4], [0, 1, 2, 4]])
    x = data.one_hot()
    assert x.shape == (2, 4, 4) and x.dtype == np.float32
    np.testing.assert_array_equal(x.sum(axis=1), [[1, 1, 1, 0], [1, 1, 1, 0]])
    assert x[0, 1, 0] == 1 and x[1, 0, 0] == 1


def test_bad_files_and_rows(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("phenotype\tsequence\n")
    with pytest.raises(ValueError, match="not a local dataset"):
        LocalDataset.from_tsv(bad)
    with pytest.raises(ValueError, match="one entry per row"):
        LocalDataset("A", ["x"], [], [1.0], [0], [0.0])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        LocalDataset("A", [], [], [], [], []).to_tsv(tmp_path / "missing" / "d.tsv")


def test_corrupt_files_are_refused_with_the_reason(result, tmp_path):
    path = tmp_path / "local.tsv"
    LocalDataset.from_search(result).to_tsv(path)
    lines = path.read_text().split("\n")
    cases = {
        "truncated": ("\n".join(lines[:-3]) + "\n", "announces"),
        "missing rows line": ("\n".join(lines[:1] + lines[2:]), "#rows, #provenance"),
        "bad count": ("\n".join([lines[0], "#rows\tmany", *lines[2:]]), "malformed"),
        "swapped lines": ("\n".join([lines[0], lines[2], lines[1], *lines[3:]]), "malformed"),
        "bad header": ("\n".join([*lines[:4], "phenotype\tscore", *lines[5:]]), "header"),
        "short row": ("\n".join([*lines[:5], "SNV[1,A]\tACGT", *lines[6:]]), "fields"),
        "header only": ("\n".join(lines[:4]), "header"),
    }
    for name, (text, message) in cases.items():
        bad = tmp_path / f"{name}.tsv"
        bad.write_text(text)
        with pytest.raises(ValueError, match=message):
            LocalDataset.from_tsv(bad)


def test_tsv_round_trips_text_with_tabs_and_line_breaks(tmp_path):
    odd = "model\twith a tab\nand a line break\r\n"
    data = LocalDataset("ACGT", ["SNV:1:A"], ["AAGT"], [0.5], [0], [0.25],
                        {"model": odd, odd: [odd]})
    path = tmp_path / "d.tsv"
    data.to_tsv(path)
    back = LocalDataset.from_tsv(path)
    assert back.provenance == {"model": odd, odd: [odd]}
    assert back.reference == "ACGT" and back.sequences == ["AAGT"]


@pytest.mark.parametrize("field", ["reference", "phenotypes", "sequences"])
@pytest.mark.parametrize("odd", ["\t", "\n", "\r"])
def test_tsv_refuses_to_write_what_it_could_not_read_back(tmp_path, field, odd):
    values = {"reference": "ACGT", "phenotypes": ["SNV:1:A"], "sequences": ["AAGT"]}
    values[field] = "AC" + odd + "GT" if field == "reference" else ["AA" + odd + "GT"]
    data = LocalDataset(scores=[0.5], generation=[0], fitness=[0.25], **values)
    with pytest.raises(ValueError, match="tab or line break"):
        data.to_tsv(tmp_path / "d.tsv")
    assert os.listdir(tmp_path) == []


def small_dataset(**provenance) -> LocalDataset:
    reference = "ACGTACGTAC"
    phenotypes = ["SNV[0,C]", "SNV[1,A]", "SNV[2,A]", "SNV[3,A]", "SNV[4,C]", "SNV[5,A]"]
    return LocalDataset(
        reference=reference,
        phenotypes=phenotypes,
        sequences=[f"seq{i}" for i in range(6)],
        scores=[0.1, 0.4, 0.5, 0.6, np.nan, 0.9],
        generation=np.arange(6),
        fitness=np.arange(6) / 10,
        provenance=provenance,
    )


def test_take_selects_rows_by_index_or_mask():
    data = small_dataset(original_score=0.5, seed=1)
    picked = data.take([5, 0, 0])
    assert picked.phenotypes == ["SNV[5,A]", "SNV[0,C]", "SNV[0,C]"]
    assert picked.sequences == ["seq5", "seq0", "seq0"]
    np.testing.assert_array_equal(picked.scores, [0.9, 0.1, 0.1])
    np.testing.assert_array_equal(picked.generation, [5, 0, 0])
    np.testing.assert_array_equal(picked.fitness, [0.5, 0.0, 0.0])
    assert picked.provenance == data.provenance and picked.reference == data.reference
    picked.provenance["seed"] = 2
    assert data.provenance["seed"] == 1  # a copy, not shared
    masked = data.take(data.generation % 2 == 1)
    assert masked.sequences == ["seq1", "seq3", "seq5"]
    assert len(data.take([])) == 0
    with pytest.raises(IndexError, match="out of range"):
        data.take([6])
    with pytest.raises(IndexError, match="one entry per row"):
        data.take([True, False])
    with pytest.raises(IndexError, match="integers or a boolean mask"):
        data.take([0.5])


def test_filter_by_score_level_is_inclusive_and_drops_nan():
    data = small_dataset()
    kept = data.filter(min_score=0.4, max_score=0.6)
    assert kept.sequences == ["seq1", "seq2", "seq3"]
    assert data.filter(min_score=0.6).sequences == ["seq3", "seq5"]
    assert data.filter(max_score=0.1).sequences == ["seq0"]
    assert kept.provenance["filters"] == [
        {"min_score": 0.4, "max_score": 0.6, "rows_before": 6, "rows_after": 3}
    ]
    again = kept.filter(max_score=0.5)
    assert again.sequences == ["seq1", "seq2"]
    assert [f["rows_after"] for f in again.provenance["filters"]] == [3, 2]
    assert "filters" not in data.provenance


def test_filter_by_change_from_the_original():
    data = small_dataset(original_score=0.5)
    # changes: -0.4, -0.1, 0, 0.1 (0.6 - 0.5 in floats), nan, 0.4
    assert data.filter(min_change=0.0).sequences == ["seq2", "seq3", "seq5"]
    assert data.filter(max_change=-0.1).sequences == ["seq0", "seq1"]
    assert data.filter(min_abs_change=0.3).sequences == ["seq0", "seq5"]
    assert data.filter(max_abs_change=0.0).sequences == ["seq2"]
    assert data.filter(min_change=-0.2, max_change=0.2, min_score=0.45).sequences == [
        "seq2", "seq3"]
    nudged = LocalDataset("A", ["", ""], ["A", "A"], [0.5 + 1e-9, 0.5 - 1e-9], [0, 0], [0, 0],
                          {"original_score": 0.5})
    assert nudged.filter(max_change=0.0).scores.tolist() == [0.5 - 1e-9]  # slack is ulps only
    assert nudged.filter(min_change=0.0).scores.tolist() == [0.5 + 1e-9]


@pytest.mark.parametrize(
    "options, message",
    [
        ({}, "at least one bound"),
        ({"min_score": float("nan")}, "min_score is NaN"),
        ({"max_change": "high"}, "max_change must be a number"),
        ({"min_score": True}, "min_score must be a number"),
        ({"min_score": 0.6, "max_score": 0.4}, "min_score=0.6 is above max_score=0.4"),
        ({"min_change": 0.2, "max_change": -0.2}, "min_change=0.2 is above max_change=-0.2"),
        ({"min_abs_change": -0.1}, "must be >= 0"),
    ],
)
def test_filter_refuses_bad_bounds(options, message):
    with pytest.raises(ValueError, match=message):
        small_dataset(original_score=0.5).filter(**options)


@pytest.mark.parametrize("provenance", [{}, {"original_score": None},
                                        {"original_score": float("nan")}])
def test_change_filter_needs_the_original_score(provenance):
    data = small_dataset(**provenance)
    with pytest.raises(ValueError, match="needs the original score"):
        data.filter(min_abs_change=0.1)
    assert data.filter(min_score=0.5).sequences == ["seq2", "seq3", "seq5"]
