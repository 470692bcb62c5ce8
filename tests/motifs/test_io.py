from __future__ import annotations

import numpy as np
import pytest

from captum_genomics.motifs import (
    DEFAULT_PSEUDOCOUNT,
    Motif,
    default_splicing_motifs,
    read_meme,
    write_meme,
)

# the consensus of each shipped motif, as captum_genomics/data/README.md lists them
SHIPPED = {
    "RBFOX_UGCAUG": "TGCATG",
    "PTBP1_CUCUCU": "CTCTCT",
    "HNRNPA1_UAGGGW": "TAGGGW",
    "SRSF1_RGAAGAAC": "RGAAGAAC",
    "TRA2B_GAAGAA": "GAAGAA",
    "MBNL1_YGCYx2": "YGCYYGCY",
    "QKI_ACUAAY": "ACTAAY",
    "CELF1_UGUUGU": "TGTTGT",
}


def test_from_consensus_splits_degenerate_letters_and_reads_u_as_t():
    motif = Motif.from_consensus("m", "UrN", pseudocount=0.0)
    np.testing.assert_allclose(
        motif.pwm, [[0, 0.5, 0.25], [0, 0, 0.25], [0, 0.5, 0.25], [1, 0, 0.25]]
    )
    with_pseudo = Motif.from_consensus("m", "A")
    assert with_pseudo.pwm[0, 0] == pytest.approx((1 + DEFAULT_PSEUDOCOUNT) / (1 + 4 * 0.01))
    assert (with_pseudo.pwm > 0).all()
    assert Motif.from_consensus("m", "TGCATG").consensus() == "TGCATG"


def test_motif_normalises_counts_and_is_read_only():
    motif = Motif("counts", [[2, 0], [2, 1], [0, 0], [0, 3]])
    np.testing.assert_allclose(motif.pwm[:, 0], [0.5, 0.5, 0, 0])
    np.testing.assert_allclose(motif.pwm.sum(axis=0), 1.0)
    assert motif.width == 2
    with pytest.raises(ValueError):
        motif.pwm[0, 0] = 1.0


@pytest.mark.parametrize(
    ("name", "pwm", "match"),
    [
        ("", np.ones((4, 2)), "name"),
        ("two\nlines", np.ones((4, 2)), "name"),
        ("m", np.ones((3, 2)), "shape"),
        ("m", np.ones((4, 0)), "shape"),
        ("m", [[1, -1], [0, 1], [0, 1], [0, 1]], "non-negative"),
        ("m", [[1, np.nan], [0, 1], [0, 1], [0, 1]], "finite"),
        ("m", [[1, 0], [0, 0], [0, 0], [0, 0]], "sum to 0"),
    ],
)
def test_motif_rejects_bad_input(name, pwm, match):
    with pytest.raises(ValueError, match=match):
        Motif(name, pwm)


def test_from_consensus_rejects_non_iupac():
    with pytest.raises(ValueError, match="IUPAC"):
        Motif.from_consensus("m", "ACXG")


def test_meme_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    motifs = [Motif(f"m{i} with spaces", rng.random((4, w))) for i, w in enumerate((1, 5, 12))]
    path = tmp_path / "out.meme"
    write_meme(motifs, path)
    assert read_meme(path) == motifs
    assert [p.name for p in tmp_path.iterdir()] == ["out.meme"]


def test_write_meme_refuses_duplicates_and_keeps_old_file(tmp_path):
    path = tmp_path / "out.meme"
    path.write_text("old")
    motif = Motif.from_consensus("m", "ACGT")
    with pytest.raises(ValueError, match="unique"):
        write_meme([motif, motif], path)
    with pytest.raises(ValueError, match="non-empty"):
        write_meme([], path)
    assert path.read_text() == "old"


def test_default_set_loads_and_matches_its_documented_consensus():
    motifs = default_splicing_motifs()
    assert [m.name for m in motifs] == list(SHIPPED)
    for motif in motifs:
        assert motif == Motif.from_consensus(motif.name, SHIPPED[motif.name])
        assert (motif.pwm > 0).all()
        np.testing.assert_allclose(motif.pwm.sum(axis=0), 1.0)


HEADER = "MEME version 4\n\nALPHABET= ACGT\n\n"
ROW = "0.25 0.25 0.25 0.25\n"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "not a MEME file"),
        (">seq\nACGT\n", "not a MEME file"),
        (HEADER, "no motif"),
        (HEADER + "MOTIF a\nletter-probability matrix: alength= 4 w= 1\n" + ROW
         + "MOTIF a\nletter-probability matrix: alength= 4 w= 1\n" + ROW, "unique"),
        (HEADER + "MOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.5 x 0.25 0.25\n" + ROW,
         "malformed"),
        (HEADER + "MOTIF a\nletter-probability matrix: alength= 4 w= 1\n0.5 0.5\n", "malformed"),
        (HEADER + "MOTIF a\nletter-probability matrix: alength= 4 w= 1\n0 0 0 0\n", "malformed"),
        (HEADER + "MOTIF a\nno matrix here\n", "no letter-probability matrix"),
        (HEADER + "MOTIF a\nletter-probability matrix: alength= 4 w= 99999999999\n" + ROW,
         "width exceeds"),
    ],
)
def test_read_meme_errors_name_the_file(tmp_path, text, match):
    path = tmp_path / "bad.meme"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        read_meme(path)
    assert str(path) in str(info.value)


def test_read_meme_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.meme"):
        read_meme(tmp_path / "missing.meme")
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        read_meme(tmp_path)
