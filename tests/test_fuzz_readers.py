"""Fuzzing the file readers and encoders: every input parses or raises our own error.

Our errors are ``ValueError`` or ``TypeError`` with a message (naming the file, and the row
where there is one); never a raw ``IndexError``, ``KeyError``, ``UnicodeDecodeError``,
``EOFError`` or a zlib/struct error.
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import captum_genomics
from captum_genomics.dna.annotations import Interval, read_bed, read_gff3
from captum_genomics.dna.codec import one_hot
from captum_genomics.dna.fasta import read_region
from captum_genomics.gggp.dataset import LocalDataset

FUZZ = settings(max_examples=80, deadline=None)
FASTA = Path(captum_genomics.__file__).parent / "data" / "grch37_chr10_1-110000.fa"

#: Text lines made of the characters file formats care about, plus a few odd ones.
_FIELD_CHARS = st.sampled_from(list("\t ;=%.+-?#>,0123456789chrACGTN\r\ufeff\x00é"))
_LINES = st.lists(st.text(_FIELD_CHARS, max_size=40), max_size=6)


def _write(data: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(delete=False, suffix=".txt")
    with handle:
        handle.write(data)
    return Path(handle.name)


def _parses_or_names_file(read, path: Path):
    """``read(path)``, or None after checking the error is ours and names the file."""
    try:
        return read(path)
    except (ValueError, TypeError) as err:
        assert str(path) in str(err), f"{type(err).__name__} without the file name: {err}"
        return None
    finally:
        path.unlink()


@pytest.mark.parametrize("reader", [read_bed, read_gff3])
@FUZZ
@given(data=st.binary(max_size=200))
def test_annotation_readers_on_random_bytes(reader, data):
    intervals = _parses_or_names_file(reader, _write(data))
    assert intervals is None or all(isinstance(i, Interval) for i in intervals)


@pytest.mark.parametrize("reader", [read_bed, read_gff3])
@FUZZ
@given(lines=_LINES)
def test_annotation_readers_on_random_lines(reader, lines):
    intervals = _parses_or_names_file(reader, _write("\n".join(lines).encode("utf-8")))
    assert intervals is None or all(isinstance(i, Interval) for i in intervals)


@pytest.mark.parametrize("reader", [read_bed, read_gff3])
@FUZZ
@given(cut=st.integers(0, 60))
def test_annotation_readers_on_truncated_gzip(reader, cut):
    line = ("chr1\t.\tgene\t5\t20\t.\t+\t.\tName=g1" if reader is read_gff3
            else "chr1\t4\t20\tg1\t0\t+")
    whole = gzip.compress(("\n".join([line] * 50) + "\n").encode())
    truncated = whole[: max(2, len(whole) - 1 - cut)]
    path = _write(truncated)
    try:
        with pytest.raises(ValueError, match=f"{path}: damaged or truncated gzip"):
            reader(path)
    finally:
        path.unlink()


@pytest.mark.parametrize("reader", [read_bed, read_gff3])
def test_annotation_readers_name_a_directory(reader, tmp_path):
    with pytest.raises(ValueError, match=f"{tmp_path}.* is a directory"):
        reader(tmp_path)


def _valid_dataset_text(tmp_path: Path) -> str:
    data = LocalDataset(
        reference="ACGTACGT",
        phenotypes=["", "S3T", "D2"],
        sequences=["ACGTACGT", "ACGTACGT", "ACTACGTN"],
        scores=[0.5, 0.25, -1.0],
        generation=[0, 1, 1],
        fitness=[0.0, 0.1, 0.2],
        provenance={"seed": 1},
    )
    path = tmp_path / "valid.tsv"
    data.to_tsv(path)
    return path.read_text()


_CORRUPTIONS = st.sampled_from(["score", "generation", "fitness", "sequence", "reference",
                                "provenance", "garbage", "rows"])


@FUZZ
@given(kind=_CORRUPTIONS, junk=st.text(min_size=1, max_size=8), row=st.integers(0, 2),
       garbage=st.binary(min_size=1, max_size=40))
def test_dataset_tsv_corruptions_name_file_and_row(tmp_path_factory, kind, junk, row, garbage):
    folder = tmp_path_factory.mktemp("tsv")
    lines = _valid_dataset_text(folder).split("\n")
    column = {"sequence": 1, "score": 2, "generation": 3, "fitness": 4}.get(kind)
    if column is not None:
        fields = lines[5 + row].split("\t")
        fields[column] = junk.replace("\t", "x").replace("\n", "x").replace("\r", "x")
        lines[5 + row] = "\t".join(fields)
    elif kind == "reference":
        lines[3] = "#reference\t" + junk.replace("\n", "x").replace("\r", "x")
    elif kind == "provenance":
        lines[2] = "#provenance\t" + junk.replace("\n", "x").replace("\r", "x")
    elif kind == "rows":
        lines[1] = "#rows\t" + junk.replace("\n", "x").replace("\r", "x")
    path = folder / "corrupt.tsv"
    data = "\n".join(lines).encode("utf-8")
    if kind == "garbage":
        cut = len(data) // 2 + row
        data = data[:cut] + garbage + data[cut:]
    path.write_bytes(data)
    try:
        loaded = LocalDataset.from_tsv(path)
    except ValueError as err:
        assert str(path) in str(err), err
        if column is not None:
            assert f"row {row + 1}" in str(err), err
        return
    # What parsed must be the right thing: sequences over ACGTN, finite row counts.
    assert set("".join(loaded.sequences) + loaded.reference) <= set("ACGTNacgtn")
    assert len(loaded) == 3


@pytest.mark.parametrize("kind, match", [
    ("score", r"row 2: score 'high' is not a number"),
    ("sequence", r"row 2: sequence holds letters \['X'\]"),
])
def test_dataset_tsv_names_bad_field(tmp_path, kind, match):
    lines = _valid_dataset_text(tmp_path).split("\n")
    fields = lines[6].split("\t")
    if kind == "score":
        fields[2] = "high"
    else:
        fields[1] = "ACGXACGT"
    lines[6] = "\t".join(fields)
    path = tmp_path / "bad.tsv"
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=match):
        LocalDataset.from_tsv(path)


def test_dataset_tsv_binary_garbage_names_file(tmp_path):
    path = tmp_path / "garbage.tsv"
    path.write_bytes(_valid_dataset_text(tmp_path).encode()[:60] + b"\xff\xfe\x00\x81")
    with pytest.raises(ValueError, match="garbage.tsv.*not UTF-8 text"):
        LocalDataset.from_tsv(path)


_REGION_CHARS = st.sampled_from(list("chr10:-,0123456789 \t٣x"))


@FUZZ
@given(region=st.text(_REGION_CHARS, max_size=24))
def test_read_region_on_random_region_strings(region):
    try:
        seq = read_region(FASTA, region)
    except ValueError as err:
        assert "region" in str(err) or "chromosome" in str(err), err
        return
    assert isinstance(seq, str) and set(seq.upper()) <= set("ACGTN")


def test_read_region_commas_only_is_our_error():
    with pytest.raises(ValueError, match="cannot parse region"):
        read_region(FASTA, "chr10:,-,,")


@FUZZ
@given(text=st.text(max_size=30), n_policy=st.sampled_from(["zeros", "uniform"]),
       unknown=st.sampled_from(["error", "n"]))
def test_one_hot_on_random_text(text, n_policy, unknown):
    try:
        x = one_hot(text, n_policy=n_policy, unknown=unknown)
    except ValueError as err:
        assert "sequence" in str(err), err
        return
    assert tuple(x.shape) == (1, 4, len(text))
    sums = x.sum(dim=1).numpy()
    assert np.all((np.isclose(sums, 1.0)) | (np.isclose(sums, 0.0)))


def _load_spliceai(path):
    from captum_genomics.models.spliceai_weights import load_spliceai

    return load_spliceai(path)


def _load_spliceai_h5(path):
    from captum_genomics.models.spliceai_weights import load_spliceai_h5

    return load_spliceai_h5(path)


def _load_keras_deepg(path):
    from captum_genomics.models.deepg_keras import load_keras_deepg

    return load_keras_deepg(path)


@pytest.mark.parametrize("load, kind", [
    (lambda path: read_region(path, "chr1:1-2"), "FASTA"),
    (_load_spliceai, "weight"),
    (_load_spliceai_h5, "weight"),
    (_load_keras_deepg, "Keras model"),
])
def test_loaders_say_a_directory_is_a_directory(tmp_path, load, kind):
    with pytest.raises(ValueError, match=f"{tmp_path} is a directory, not a {kind} file"):
        load(tmp_path)


_CHROM_LENGTH = 110_000
_COORDINATES = st.one_of(st.integers(-5, 5), st.integers(_CHROM_LENGTH - 5, _CHROM_LENGTH + 5),
                         st.integers(-2**70, 2**70), st.integers(1, _CHROM_LENGTH))
_ODD = st.one_of(st.none(), st.floats(allow_nan=True), st.text(max_size=3), st.booleans())


def _region_tuples():
    chrom = st.one_of(st.just("chr10"), st.sampled_from(["", "chr1", "chr10 ", "CHR10"]))
    return st.one_of(
        st.tuples(chrom, _COORDINATES, _COORDINATES),
        st.tuples(chrom, st.one_of(_COORDINATES, _ODD), st.one_of(_COORDINATES, _ODD)),
        st.tuples(_ODD, _COORDINATES, _COORDINATES),
        st.lists(_COORDINATES, max_size=4).map(tuple),
    )


def _region_intervals():
    return st.builds(lambda chrom, start, size, strand: Interval(chrom, start, start + size,
                                                                 strand),
                     st.sampled_from(["chr10", "chr2"]), _COORDINATES.filter(lambda s: s >= 1),
                     st.integers(0, 2000), st.sampled_from("+-."))


def _region_strings():
    return st.builds(lambda chrom, start, end, sep: f"{chrom}:{start}{sep}{end}",
                     st.sampled_from(["chr10", "chr1", ""]), _COORDINATES, _COORDINATES,
                     st.sampled_from(["-", "--", ":", "-+"]))


@FUZZ
@given(region=st.one_of(_region_tuples(), _region_intervals(), _region_strings()))
def test_read_region_reads_the_right_bases_or_says_what_is_wrong(fasta_text, region):
    try:
        seq = read_region(FASTA, region)
    except (ValueError, TypeError) as err:
        assert "region" in str(err) or "chromosome" in str(err), err
        return
    if isinstance(region, Interval):
        chrom, start, end = region.chrom, region.start, region.end
    elif isinstance(region, tuple):
        chrom, start, end = region
    else:
        chrom, coordinates = region.split(":")
        start, end = map(int, coordinates.split("-"))
    assert chrom == "chr10" and 1 <= start <= end <= _CHROM_LENGTH
    assert seq == fasta_text[start - 1 : end]


@pytest.fixture(scope="module")
def fasta_text() -> str:
    return FASTA.read_text().split("\n", 1)[1].replace("\n", "")
