"""Reading and writing the dataset CSV of the reference tool DRESS."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

from captum_genomics.gggp import LocalDataset
from captum_genomics.gggp.dress import DRESS_COLUMNS, read_dress_csv, write_dress_csv

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "dress_dataset.csv")
# DRESS's sequence in the fixture (written by hand in DRESS's format, not copied from DRESS)
FIXTURE_SEQUENCE = "GATTACAGGCTTACCGATGCAAGTCCATGA"
HEADER = ",".join(DRESS_COLUMNS)


def padded(sequence: str, left: int = 5, right: int = 5) -> str:
    return "N" * left + sequence + "N" * right


def write_rows(tmp_path, *rows: str, name: str = "d.csv") -> str:
    path = tmp_path / name
    original = f"r,0,s,original,{FIXTURE_SEQUENCE},<NA>;<NA>;10;19;<NA>;<NA>,0.5,0"
    path.write_text("\n".join([HEADER, original, *rows]) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def result(small_search):
    return small_search(seed=5)


def test_fixture_reads_with_known_conversions(string_editor):
    data = read_dress_csv(FIXTURE, padded(FIXTURE_SEQUENCE), padding=5)
    assert data.phenotypes == [
        "SNV[8,C]",
        "Deletion[27,30]",  # DRESS's inclusive 22..24 is our half-open [27, 30)
        "Insertion[10,TT]|SNV[30,A]",
        "Deletion[5,7]|Insertion[34,G]",
    ]
    np.testing.assert_array_equal(data.scores, [0.5871, 0.7012, 0.1234, 0.9])
    assert data.provenance["original_score"] == 0.6123
    assert data.provenance["seed"] == 7 and data.provenance["seq_id"] == "chr1_100_130_EX1"
    assert data.provenance["splice_sites"] == [None, None, 15, 24, None, None]
    for phenotype, sequence in zip(data.phenotypes, data.sequences):
        assert sequence == string_editor(padded(FIXTURE_SEQUENCE), phenotype)
        assert sequence.startswith("NNNNN") and sequence.endswith("NNNNN")
    np.testing.assert_array_equal(data.generation, -1)
    assert np.isnan(data.fitness).all()


def test_fixture_sequences_match_the_file():
    rows = [line.rsplit(",", 4)[1] for line in open(FIXTURE).read().splitlines()[2:]]
    data = read_dress_csv(FIXTURE, padded(FIXTURE_SEQUENCE), padding=5)
    assert [s[5:-5] for s in data.sequences] == rows


def test_insertion_goes_before_its_position_and_deletion_end_is_inclusive(tmp_path):
    ref = FIXTURE_SEQUENCE
    inserted = ref[:4] + "GG" + ref[4:]
    deleted = ref[:6] + ref[9:]
    path = write_rows(tmp_path, f'r,0,s,"Insertion[4,GG]",{inserted},,0.1,-0.4',
                      f'r,0,s,"RandomDeletion[6,8]",{deleted},,0.2,-0.3')
    data = read_dress_csv(path, ref)
    assert data.phenotypes == ["Insertion[4,GG]", "Deletion[6,9]"]
    assert data.sequences == [inserted, deleted]
    shifted = ref[:5] + "GG" + ref[5:]  # inserting after base 4 must be refused
    bad = write_rows(tmp_path, f'r,0,s,"Insertion[4,GG]",{shifted},,0.1,-0.4', name="b.csv")
    with pytest.raises(ValueError, match=r"b\.csv, row 2: Sequence differs"):
        read_dress_csv(bad, ref)


def test_round_trip_ours_to_dress_and_back(result, tmp_path):
    data = LocalDataset.from_search(result)
    assert len(data) > 5
    path = tmp_path / "run_dataset.csv.gz"
    write_dress_csv(data, path, padding=100, splice_sites=[None, None, 185, 215, None, None])
    with gzip.open(path, "rt") as handle:
        lines = handle.read().splitlines()
    assert lines[0] == HEADER and lines[1].split(",")[3] == "original"
    assert len(lines) == len(data) + 2
    back = read_dress_csv(path, data.reference, padding=100)
    assert back.phenotypes == data.phenotypes
    assert back.sequences == data.sequences
    np.testing.assert_array_equal(back.scores, data.scores)
    assert back.provenance["original_score"] == data.provenance["original_score"]
    assert back.provenance["seed"] == 5
    assert back.provenance["splice_sites"] == [None, None, 185, 215, None, None]


def test_writer_follows_splice_sites_and_writes_inclusive_deletions(tmp_path):
    ref = padded(FIXTURE_SEQUENCE)
    data = LocalDataset(ref, ["Insertion[10,TT]|Deletion[27,30]", "Deletion[5,7]"],
                        [ref, ref], [0.2, 0.3], [0, 0], [0.0, 0.0],
                        {"original_score": 0.5, "seed": 3})
    path = tmp_path / "plain.csv"
    write_dress_csv(data, path, padding=5, splice_sites=[None, None, 15, 24, None, None],
                    seq_id="EX", run_id="run")
    lines = path.read_text().splitlines()
    assert lines[1] == f"run,3,EX,original,{FIXTURE_SEQUENCE},<NA>;<NA>;10;19;<NA>;<NA>,0.5,0"
    edited = FIXTURE_SEQUENCE[:5] + "TT" + FIXTURE_SEQUENCE[5:22] + FIXTURE_SEQUENCE[25:]
    assert lines[2] == (f'run,3,EX,"Insertion[5,TT]|Deletion[22,24]",{edited},'
                        f"<NA>;<NA>;12;21;<NA>;<NA>,0.2,{0.2 - 0.5!r}")
    assert lines[3].startswith("run,3,EX,\"Deletion[0,1]\",")
    assert lines[3].split(",")[-3] == "<NA>;<NA>;8;17;<NA>;<NA>"


@pytest.mark.parametrize(
    "phenotype, message",
    [
        ("Inversion[3,7]", "unknown unit kind 'Inversion'"),
        ("SNV[3]", "must hold a position"),
        ("SNV[3,CC]", "needs one base"),
        ("SNV[x,C]", "must hold a position"),
        ("Insertion[3,]", "needs bases"),
        ("SNV[30,C]", "outside the sequence"),
        ("Deletion[28,30]", r"does not lie in \[0, 29\]"),
        ("Deletion[5,4]", "start <= end"),
        ("SNV[3,C]|SNV[3,G]", "overlap or are not sorted"),
        ("SNV[9,C]|SNV[3,G]", "overlap or are not sorted"),
        ("SNV[3,C", "is not Kind"),
    ],
)
def test_malformed_rows_name_file_and_row(tmp_path, phenotype, message):
    path = write_rows(tmp_path, 'r,0,s,"SNV[1,C]",,,0.1,-0.4', f'r,0,s,"{phenotype}",,,0.1,0')
    with pytest.raises(ValueError, match=rf"d\.csv, row 3: .*{message}"):
        read_dress_csv(path, FIXTURE_SEQUENCE)


def test_file_level_errors(tmp_path):
    ref = padded(FIXTURE_SEQUENCE)
    with pytest.raises(ValueError, match="original Sequence differs"):
        read_dress_csv(FIXTURE, ref, padding=4)  # wrong padding
    with pytest.raises(ValueError, match="original Sequence differs"):
        read_dress_csv(FIXTURE, padded("C" + FIXTURE_SEQUENCE[1:]), padding=5)
    no_original = tmp_path / "a.csv"
    no_original.write_text(HEADER + "\nr,0,s,\"SNV[1,C]\",,,0.1,0\n")
    with pytest.raises(ValueError, match=r"a\.csv, row 1: the first row must be the original"):
        read_dress_csv(no_original, FIXTURE_SEQUENCE)
    two = write_rows(tmp_path, 'r,0,other,"SNV[1,C]",,,0.1,0', name="two.csv")
    with pytest.raises(ValueError, match="several Seq_id"):
        read_dress_csv(two, FIXTURE_SEQUENCE)
    bad_score = write_rows(tmp_path, 'r,0,s,"SNV[1,C]",,,high,0', name="score.csv")
    with pytest.raises(ValueError, match=r"score\.csv, row 2: Score 'high' is not a number"):
        read_dress_csv(bad_score, FIXTURE_SEQUENCE)
    (tmp_path / "cols.csv").write_text("Phenotype,Sequence\noriginal,ACGT\n")
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['Score'\]"):
        read_dress_csv(tmp_path / "cols.csv", "ACGT")
    (tmp_path / "bin.csv.gz").write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(ValueError, match="neither UTF-8 CSV nor gzip"):
        read_dress_csv(tmp_path / "bin.csv.gz", "ACGT")
    with pytest.raises(ValueError, match="padding must be"):
        read_dress_csv(FIXTURE, ref, padding=-1)


def test_insertion_appending_to_dress_sequence_needs_right_padding(tmp_path):
    path = write_rows(tmp_path, f'r,0,s,"Insertion[30,A]",{FIXTURE_SEQUENCE}A,,0.1,0')
    data = read_dress_csv(path, padded(FIXTURE_SEQUENCE), padding=5)
    assert data.phenotypes == ["Insertion[35,A]"]
    with pytest.raises(ValueError, match="row 2: .*outside the sequence"):
        read_dress_csv(path, FIXTURE_SEQUENCE)
    out = tmp_path / "again.csv"
    write_dress_csv(data, out, padding=5)
    assert read_dress_csv(out, padded(FIXTURE_SEQUENCE), padding=5).phenotypes == data.phenotypes


def test_writer_refusals_leave_no_file(tmp_path):
    ref = padded(FIXTURE_SEQUENCE)
    row = dict(reference=ref, sequences=[ref], scores=[0.1], generation=[0], fitness=[0.0])
    cases = [
        (LocalDataset(phenotypes=["SNV[2,C]"], provenance={"original_score": 0.5}, **row),
         {"padding": 5}, "edits the padding"),
        (LocalDataset(phenotypes=["SNV[8,C]"], provenance={}, **row),
         {"padding": 5}, "no finite 'original_score'"),
        (LocalDataset(phenotypes=["Motif[8,9,C]"], provenance={"original_score": 0.5}, **row),
         {"padding": 5}, "no DRESS equivalent"),
        (LocalDataset(phenotypes=["SNV[8,C]"], provenance={"original_score": 0.5}, **row),
         {"padding": 5, "splice_sites": [1, 2, 3]}, "splice_sites must be 6"),
    ]
    for data, options, message in cases:
        path = tmp_path / "never.csv"
        with pytest.raises(ValueError, match=message):
            write_dress_csv(data, path, **options)
        assert os.listdir(tmp_path) == []


def test_rows_without_sequences_are_read_and_not_checked(tmp_path, string_editor):
    path = tmp_path / "short.csv"
    path.write_text('Phenotype,Score\noriginal,0.5\n"SNV[2,C]|Deletion[4,5]",0.25\n')
    data = read_dress_csv(path, FIXTURE_SEQUENCE)
    assert data.phenotypes == ["SNV[2,C]|Deletion[4,6]"]
    assert data.sequences == [string_editor(FIXTURE_SEQUENCE, "SNV[2,C]|Deletion[4,6]")]
    assert data.provenance["original_score"] == 0.5 and data.provenance["splice_sites"] is None


def test_fixed_length_model_inputs(string_editor):
    ref = padded(FIXTURE_SEQUENCE)
    data = read_dress_csv(FIXTURE, ref, padding=5, length=len(ref), trim="left")
    for phenotype, sequence in zip(data.phenotypes, data.sequences):
        edited = string_editor(ref, phenotype)
        expected = edited[-len(ref):] if len(edited) >= len(ref) else edited.rjust(len(ref), "N")
        assert sequence == expected
    assert {len(s) for s in data.sequences} == {len(ref)}
