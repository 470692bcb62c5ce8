"""Exports: bedGraph and bigWig in genome coordinates on both strands, overlaps, modisco-lite
inputs (and a real modisco-lite run), tables, and atomic writes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from captum_genomics import example_fasta_path
from captum_genomics.export import (
    RegionTrack,
    chrom_sizes,
    write_bedgraph,
    write_bigwig,
    write_modisco_inputs,
    write_table,
)


def _body(path) -> list[list[str]]:
    lines = path.read_text().splitlines()
    assert lines[0].startswith("track type=bedGraph")
    return [line.split("\t") for line in lines[1:]]


def test_region_track_maps_model_orientation_to_genome_order():
    plus = RegionTrack("chr1", 11, 13, "+", [1.0, 2.0, 3.0])
    minus = RegionTrack("chr1", 11, 13, "-", [1.0, 2.0, 3.0])
    assert plus.genome_values().tolist() == [1.0, 2.0, 3.0]
    # values[0] of a minus-strand track is genome position end = 13.
    assert minus.genome_values().tolist() == [3.0, 2.0, 1.0]
    with pytest.raises(ValueError, match=r"covers 3 bases.*\(3,\)"):
        RegionTrack("chr1", 11, 13, "+", [1.0, 2.0])
    with pytest.raises(ValueError, match="1 <= start <= end"):
        RegionTrack("chr1", 0, 3, "+", [1.0] * 4)
    with pytest.raises(ValueError, match="strand"):
        RegionTrack("chr1", 1, 1, "x", [1.0])


def test_bedgraph_coordinates_of_both_strands_by_hand(tmp_path):
    out = tmp_path / "t.bedgraph"
    # 1-based chr2:5-7 on "+": positions 5, 6, 7 -> 0-based [4,5), [5,6), [6,7).
    # 1-based chr1:101-104 on "-": values[0] is position 104, so genome order is reversed.
    tracks = [RegionTrack("chr2", 5, 7, "+", [0.5, -1.0, 2.0]),
              RegionTrack("chr1", 101, 104, "-", [4.0, 3.0, float("nan"), 1.0])]
    write_bedgraph(out, tracks, name="ig uniform", description="IG, uniform baseline")
    assert out.read_text().splitlines()[0] == (
        'track type=bedGraph name="ig uniform" description="IG, uniform baseline"')
    assert _body(out) == [
        ["chr1", "100", "101", "1.0"],  # position 101 = values[3]
        ["chr1", "102", "103", "3.0"],  # position 103 = values[1]; 102 is NaN, skipped
        ["chr1", "103", "104", "4.0"],  # position 104 = values[0]
        ["chr2", "4", "5", "0.5"],
        ["chr2", "5", "6", "-1.0"],
        ["chr2", "6", "7", "2.0"],
    ]


def test_bedgraph_merges_runs_of_equal_values(tmp_path):
    out = tmp_path / "t.bedgraph"
    write_bedgraph(out, [RegionTrack("chr1", 1, 6, "+", [0, 0, 0, 2, 2, 0])])
    assert _body(out) == [["chr1", "0", "3", "0.0"], ["chr1", "3", "5", "2.0"],
                          ["chr1", "5", "6", "0.0"]]


def test_overlapping_tracks_are_refused_or_averaged(tmp_path):
    out = tmp_path / "t.bedgraph"
    a = RegionTrack("chr1", 1, 4, "+", [1.0, 1.0, 1.0, 1.0])
    b = RegionTrack("chr1", 3, 6, "-", [6.0, 5.0, 4.0, 3.0])  # genome order 3, 4, 5, 6
    with pytest.raises(ValueError, match=r"chr1:1-4\(\+\) and chr1:3-6\(-\) overlap.*'mean'"):
        write_bedgraph(out, [b, a])
    assert not out.exists()
    write_bedgraph(out, [b, a], overlap="mean")
    assert _body(out) == [["chr1", "0", "2", "1.0"], ["chr1", "2", "3", "2.0"],
                          ["chr1", "3", "4", "2.5"], ["chr1", "4", "5", "5.0"],
                          ["chr1", "5", "6", "6.0"]]
    # A NaN is left out of the mean rather than spoiling it.
    c = RegionTrack("chr1", 4, 4, "+", [float("nan")])
    write_bedgraph(out, [a, c], overlap="mean")
    assert _body(out) == [["chr1", "0", "4", "1.0"]]
    with pytest.raises(ValueError, match="overlap"):
        write_bedgraph(out, [a], overlap="max")


def test_bigwig_round_trip_at_genome_coordinates(tmp_path):
    pyBigWig = pytest.importorskip("pyBigWig")
    out = tmp_path / "t.bw"
    minus_values = np.array([0.25, -0.5, 1.5, 2.0], dtype=np.float64)
    tracks = [RegionTrack("chr10", 1001, 1004, "-", minus_values),
              RegionTrack("chr10", 2001, 2003, "+", [3.0, float("nan"), -4.0])]
    write_bigwig(out, tracks, {"chr10": 5000, "chr2": 100})
    bw = pyBigWig.open(str(out))
    try:
        assert bw.chroms() == {"chr10": 5000, "chr2": 100}
        # 0-based [1000, 1004) is 1-based 1001..1004 in ascending order: values reversed.
        assert bw.values("chr10", 1000, 1004) == pytest.approx(minus_values[::-1].tolist())
        got = bw.values("chr10", 2000, 2003)
        assert got[0] == 3.0 and np.isnan(got[1]) and got[2] == -4.0
        assert np.isnan(bw.values("chr10", 999, 1000)[0])
    finally:
        bw.close()


def test_bigwig_chrom_sizes_from_fasta_and_their_errors(tmp_path):
    sizes = chrom_sizes(example_fasta_path())
    assert sizes == {"chr10": 110000}
    out = tmp_path / "t.bw"
    write_bigwig(out, [RegionTrack("chr10", 109999, 110000, "+", [1.0, 2.0])],
                 example_fasta_path())
    assert out.stat().st_size > 0
    with pytest.raises(ValueError, match=r"chromosome 'chr9' is not in chrom_sizes"):
        write_bigwig(tmp_path / "u.bw", [RegionTrack("chr9", 1, 1, "+", [1.0])], sizes)
    with pytest.raises(ValueError, match="ends past 'chr10', which has length 110000"):
        write_bigwig(tmp_path / "u.bw", [RegionTrack("chr10", 109999, 110001, "+", [1.0] * 3)],
                     sizes)
    assert not (tmp_path / "u.bw").exists()


def _planted_motif_contributions(n: int = 60, length: int = 200, seed: int = 0):
    """One-hot sequences with a 9-mer planted twice each, and hypothetical contributions by a
    known rule: 1 for the motif's base and 0 for the others at motif positions, minus 0.25 so
    each column sums to 0, plus small Gaussian noise everywhere."""
    rng = np.random.default_rng(seed)
    motif = np.array(["ACGT".index(c) for c in "GATTACAGC"])
    codes = rng.integers(0, 4, (n, length))
    hypothetical = rng.normal(0, 0.02, (n, 4, length)).astype(np.float32)
    for i in range(n):
        for at in (rng.integers(10, 80), rng.integers(110, 180)):
            codes[i, at:at + len(motif)] = motif
            hypothetical[i, :, at:at + len(motif)] -= 0.25
            hypothetical[i, motif, np.arange(at, at + len(motif))] += 1.0
    return np.eye(4, dtype=np.float32)[codes].transpose(0, 2, 1), hypothetical


def test_modisco_inputs_round_trip_and_shape_checks(tmp_path):
    one_hot, hypothetical = _planted_motif_contributions(n=5)
    ohe_path, shap_path = write_modisco_inputs(tmp_path, one_hot, hypothetical, prefix="u_")
    assert (ohe_path, shap_path) == (str(tmp_path / "u_ohe.npz"), str(tmp_path / "u_shap.npz"))
    with np.load(ohe_path) as ohe, np.load(shap_path) as shap:
        assert list(ohe) == ["arr_0"] and list(shap) == ["arr_0"]  # what modisco-lite reads
        assert ohe["arr_0"].dtype == np.float32 and np.array_equal(ohe["arr_0"], one_hot)
        assert np.array_equal(shap["arr_0"], hypothetical)
    with pytest.raises(ValueError, match=r"\(N, 4, L\)"):
        write_modisco_inputs(tmp_path, one_hot.transpose(0, 2, 1), hypothetical)
    with pytest.raises(ValueError, match="differ in shape"):
        write_modisco_inputs(tmp_path, one_hot, hypothetical[:4])
    with pytest.raises(ValueError, match="NaN"):
        write_modisco_inputs(tmp_path, one_hot, hypothetical * np.nan)


# The command on PATH, or beside this interpreter (a virtual environment not activated).
MODISCO = shutil.which("modisco", path=os.pathsep.join(
    [os.environ.get("PATH", ""), os.path.dirname(sys.executable)]))


@pytest.mark.skipif(MODISCO is None,
                    reason="needs modisco-lite's `modisco` command: pip install modisco-lite")
def test_modisco_lite_finds_the_planted_motif_in_our_inputs(tmp_path):
    h5py = pytest.importorskip("h5py")
    ohe, shap = write_modisco_inputs(tmp_path, *_planted_motif_contributions())
    out = tmp_path / "modisco.h5"
    result = subprocess.run(
        [MODISCO, "motifs", "-s", ohe, "-a", shap, "-n", "120", "-l", "1", "-w", "200",
         "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with h5py.File(out, "r") as results:
        patterns = results["pos_patterns"]
        assert len(patterns) >= 1
        ppm = patterns["pattern_0"]["sequence"][:]  # (width, 4)
    consensus = "".join("ACGT"[i] for i in ppm.argmax(axis=1))
    assert "GATTACAGC" in consensus or "GCTGTAATC" in consensus


def test_write_table_is_a_tsv_with_full_precision(tmp_path):
    out = tmp_path / "t.tsv"
    write_table(out, [("a", 1, 0.1 + 0.2, float("nan")), ("b", np.int64(2), np.float32(1.5),
                                                           True)],
                ["name", "n", "x", "y"], preamble=["#made by a test"])
    assert out.read_text().splitlines() == [
        "#made by a test", "name\tn\tx\ty", "a\t1\t0.30000000000000004\tnan", "b\t2\t1.5\tTrue"]
    with pytest.raises(ValueError, match="row 1 has 1 values for 2 columns"):
        write_table(out, [("a",)], ["x", "y"])
    with pytest.raises(ValueError, match="tab or line break"):
        write_table(out, [("a\tb",)], ["x"])


def test_a_failure_mid_write_leaves_no_destination_file(tmp_path, monkeypatch):
    out = tmp_path / "t.bedgraph"

    def failing_values():
        yield RegionTrack("chr1", 1, 2, "+", [1.0, 2.0])
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError, match="disk gone"):
        write_bedgraph(out, failing_values())
    # bigWig: pyBigWig fails after it has begun writing the temporary file.
    pyBigWig = pytest.importorskip("pyBigWig")
    real_open = pyBigWig.open

    class Failing:
        def __init__(self, path, mode):
            self.bw = real_open(path, mode)

        def addHeader(self, header):  # noqa: N802 (pyBigWig's name)
            self.bw.addHeader(header)

        def addEntries(self, *args, **kwargs):  # noqa: N802
            raise RuntimeError("disk gone")

        def close(self):
            self.bw.close()

    monkeypatch.setattr(pyBigWig, "open", Failing)
    with pytest.raises(RuntimeError, match="disk gone"):
        write_bigwig(tmp_path / "t.bw", [RegionTrack("chr1", 1, 2, "+", [1.0, 2.0])],
                     {"chr1": 10})
    assert os.listdir(tmp_path) == []
