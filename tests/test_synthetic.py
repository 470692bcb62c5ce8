from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.synthetic import MOTIFS, planted_motif_dataset, read_jaspar


def _codes(data) -> np.ndarray:
    """(N, L) base codes of a data set's one-hot inputs."""
    x = data.inputs if data.layout == "NCL" else data.inputs.permute(0, 2, 1)
    return x.argmax(dim=1).numpy()


def _windows(codes: np.ndarray, motif: str) -> np.ndarray:
    """(N, L - M + 1) bool exact occurrences, computed independently of the module."""
    target = np.array(["ACGT".index(c) for c in motif])
    view = np.lib.stride_tricks.sliding_window_view(codes, len(motif), axis=1)
    return (view == target).all(axis=-1)


@st.composite
def configs(draw):
    length = draw(st.integers(30, 160))
    motif = draw(st.text(alphabet="ACGT", min_size=6, max_size=12))
    recurrent = draw(st.one_of(st.none(), st.integers(len(motif), length)))
    return {
        "n_sequences": draw(st.integers(1, 40)),
        "length": length,
        "motif": motif,
        "fraction_positive": draw(st.floats(0.0, 1.0)),
        "mode": draw(st.sampled_from(["substitution", "insertion"])),
        "recurrent_every": recurrent,
        "seed": draw(st.integers(0, 2**32)),
        "layout": draw(st.sampled_from(["NCL", "NLC"])),
    }


@settings(max_examples=60, deadline=None)
@given(configs())
def test_ground_truth_properties(cfg):
    data = planted_motif_dataset(**cfg)
    n, length, motif = cfg["n_sequences"], cfg["length"], cfg["motif"]
    m = len(motif)
    k = 1 if cfg["recurrent_every"] is None else length // cfg["recurrent_every"]
    window = length if cfg["recurrent_every"] is None else cfg["recurrent_every"]

    expected_shape = (n, 4, length) if cfg["layout"] == "NCL" else (n, length, 4)
    assert data.inputs.shape == expected_shape and data.inputs.dtype == torch.float32
    channel_axis = 1 if cfg["layout"] == "NCL" else 2
    assert torch.equal(data.inputs.sum(dim=channel_axis), torch.ones(n, length))
    assert set(data.inputs.unique().tolist()) <= {0.0, 1.0}
    assert data.labels.dtype == torch.int64 and data.motif_starts.shape == (n, k)
    assert int(data.labels.sum()) == round(cfg["fraction_positive"] * n)

    codes, labels = _codes(data), data.labels.numpy().astype(bool)
    starts, mask = data.motif_starts.numpy(), data.motif_mask.numpy()
    # The mask is exactly the union of the planted copies; negatives have none.
    rebuilt = np.zeros_like(mask)
    for row, col in zip(*np.nonzero(starts >= 0)):
        rebuilt[row, starts[row, col] : starts[row, col] + m] = True
    assert np.array_equal(rebuilt, mask)
    assert (starts[~labels] == -1).all() and (starts[labels] >= 0).all()
    assert (mask.sum(axis=1) == labels * k * m).all()
    # The motif is really there, at every planted copy.
    occ = _windows(codes, motif)
    for row, col in zip(*np.nonzero(starts >= 0)):
        assert occ[row, starts[row, col]]
    # Negatives are motif-free; positives hold it nowhere except overlapping planted copies.
    assert not occ[~labels].any()
    for row, s in zip(*np.nonzero(occ)):
        assert mask[row, s : s + m].any()
    # One copy in each consecutive window, copies in increasing order.
    if labels.any():
        offsets = starts[labels] - np.arange(k) * window
        assert (offsets >= 0).all() and (offsets <= window - m).all()


def test_defaults_are_the_study_setting():
    data = planted_motif_dataset(200, seed=5)
    assert data.inputs.shape == (200, 4, 600)
    assert data.motif == MOTIFS["base"] == "TATAGCGCAGCTGTCAGCATGAGTCCATGA"
    assert np.array_equal(data.motif_probabilities.argmax(axis=1), _codes_of(MOTIFS["base"]))
    assert int(data.labels.sum()) == 100 and len(data) == 200


def _codes_of(motif: str) -> np.ndarray:
    return np.array(["ACGT".index(c) for c in motif])


def test_seed_determinism_and_layouts():
    a = planted_motif_dataset(50, 120, "ACGTTGCA", seed=3)
    b = planted_motif_dataset(50, 120, "ACGTTGCA", seed=np.random.default_rng(3))
    c = planted_motif_dataset(50, 120, "ACGTTGCA", seed=4)
    nlc = planted_motif_dataset(50, 120, "ACGTTGCA", seed=3, layout="NLC")
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.inputs, c.inputs)
    assert torch.equal(nlc.inputs, a.inputs.permute(0, 2, 1))
    assert torch.equal(nlc.motif_mask, a.motif_mask)


def test_recurrent_spacing_of_the_study_variant():
    data = planted_motif_dataset(100, 600, MOTIFS["high"], recurrent_every=100, seed=1)
    starts = data.motif_starts[data.labels == 1]
    assert starts.shape[1] == 6
    gaps = starts.diff(dim=1)
    assert (gaps >= len(MOTIFS["high"])).all() and (gaps < 200).all()
    assert abs(float(gaps.float().mean()) - 100) < 10


def test_pwm_instances_follow_the_probabilities():
    pwm = np.array([[1, 0, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 0.2, 0.8]] + [[0, 1, 0, 0]] * 5)
    data = planted_motif_dataset(4000, 40, pwm, seed=2)
    assert data.motif == "AAT" + "C" * 5
    np.testing.assert_allclose(data.motif_probabilities, pwm)
    codes = _codes(data)
    pos = data.labels.numpy() == 1
    starts = data.motif_starts.numpy()[pos, 0]
    instances = codes[pos][np.arange(pos.sum())[:, None], starts[:, None] + np.arange(8)]
    freq = np.stack([(instances == b).mean(axis=0) for b in range(4)], axis=1)
    np.testing.assert_allclose(freq, pwm, atol=0.04)
    assert not freq[1, 2:].any() and not freq[2, :2].any()


def test_same_distribution_for_both_modes():
    kw = {"n_sequences": 3000, "length": 50, "motif": "GATTACA", "fraction_positive": 1.0}
    sub = planted_motif_dataset(mode="substitution", seed=0, **kw)
    ins = planted_motif_dataset(mode="insertion", seed=0, **kw)
    for data in (sub, ins):
        background = _codes(data)[~data.motif_mask.numpy()]
        np.testing.assert_allclose(
            np.bincount(background, minlength=4) / background.size, 0.25, atol=0.01
        )
        start_mean = float(data.motif_starts.float().mean())
        assert abs(start_mean - (50 - 7) / 2) < 1.0


def test_motifs_table():
    assert set(MOTIFS) == {"high", "medium", "base", "low", "very_low", "lowest"}
    assert all(set(m) <= set("ACGT") for m in MOTIFS.values())
    assert MOTIFS["low"] == "TATAG" * 6 and MOTIFS["lowest"] == "A" * 30
    assert all(len(m) == 30 for k, m in MOTIFS.items() if k != "high")


def test_low_entropy_motif_with_adjacent_copies_of_itself():
    data = planted_motif_dataset(300, 200, "A" * 12, recurrent_every=40, seed=0)
    codes, mask = _codes(data), data.motif_mask.numpy()
    assert (codes[mask] == 0).all()
    occ = _windows(codes, "A" * 12)
    assert not occ[data.labels.numpy() == 0].any()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"motif": "ACGNT"}, "'N' at position 3"),
        ({"motif": ""}, "empty"),
        ({"motif": np.full((4, 6), 0.25)}, "transpose"),
        ({"motif": np.full((6, 4), 0.3)}, "sum to 1"),
        ({"motif": [[1.5, -0.5, 0, 0]]}, ">= 0"),
        ({"fraction_positive": 1.5}, "fraction_positive"),
        ({"mode": "overwrite"}, "mode"),
        ({"recurrent_every": 10}, "recurrent_every"),
        ({"layout": "NLCX"}, "layout"),
        ({"n_sequences": 0}, "n_sequences"),
        ({"length": 20}, "longer than the sequences"),
        ({"motif": "ACG"}, "occurs by chance"),
    ],
)
def test_bad_configs_raise(kwargs, match):
    args = {"n_sequences": 10, "length": 600, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=match):
        planted_motif_dataset(**args)


JASPAR = """>MA0004.1 Arnt
A  [ 4 19  0  0  0  0 ]
C  [16  0 20  0  0  0 ]
G  [ 0  1  0 20  0 20 ]
T  [ 0  0  0  0 20  0 ]
>MA9999.1 toy
T [ 1 3 ]
G [ 1 0 ]
C [ 1 0 ]
A [ 1 1 ]
"""


def test_read_jaspar(tmp_path):
    path = tmp_path / "motifs.jaspar"
    path.write_text(JASPAR)
    motifs = read_jaspar(path)
    assert list(motifs) == ["MA0004.1", "MA9999.1"]
    arnt = motifs["MA0004.1"]
    assert arnt.shape == (6, 4)
    np.testing.assert_allclose(arnt[0], [0.2, 0.8, 0, 0])
    np.testing.assert_allclose(arnt.sum(axis=1), 1.0)
    np.testing.assert_allclose(motifs["MA9999.1"], [[0.25] * 4, [0.25, 0, 0, 0.75]])
    smoothed = read_jaspar(path, pseudocount=1.0)["MA0004.1"]
    np.testing.assert_allclose(smoothed[0], np.array([5, 17, 1, 1]) / 24)
    data = planted_motif_dataset(20, 60, arnt, seed=0)
    assert data.motif == "CACGTG"


def test_read_jaspar_drops_a_byte_order_mark_and_names_a_non_utf8_file(tmp_path):
    plain, bom = tmp_path / "plain.jaspar", tmp_path / "bom.jaspar"
    plain.write_text(JASPAR)
    bom.write_bytes(b"\xef\xbb\xbf" + JASPAR.encode())
    with_bom, without = read_jaspar(bom), read_jaspar(plain)
    assert list(with_bom) == list(without) == ["MA0004.1", "MA9999.1"]
    for name in without:
        np.testing.assert_array_equal(with_bom[name], without[name])
    latin = tmp_path / "latin.jaspar"
    latin.write_bytes(b">MA1 caf\xe9\n" + JASPAR.encode())
    with pytest.raises(ValueError, match=f"{latin}: not UTF-8 text"):
        read_jaspar(latin)


def test_read_bare_pfm(tmp_path):
    path = tmp_path / "ctcf.pfm"
    path.write_text("1 2 3\n1 0 0\n1 0 0\n1 2 1\n")
    motifs = read_jaspar(path)
    np.testing.assert_allclose(motifs["ctcf"], [[0.25] * 4, [0.5, 0, 0, 0.5], [0.75, 0, 0, 0.25]])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (">x\nA [1 2]\nC [1 2]\nG [1 2]\n", "3 rows"),
        (">x\nA [1 2]\nC [1 2]\nG [1]\nT [1 2]\n", "lengths"),
        (">x\nA [1 2]\nC [1 2]\nG [1 2]\nG [1 2]\n", "each of A, C, G, T"),
        (">x\nA [1 -2]\nC [1 2]\nG [1 2]\nT [1 2]\n", "negative"),
        (">x\nA [1 0]\nC [1 0]\nG [1 0]\nT [1 0]\n", "position 1"),
        (">x\nA [1 b]\nC [1 2]\nG [1 2]\nT [1 2]\n", "non-numeric"),
        ("", "no matrix"),
    ],
)
def test_read_jaspar_errors(tmp_path, text, match):
    path = tmp_path / "bad.jaspar"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_jaspar(path)


def test_read_jaspar_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        read_jaspar(tmp_path / "nope.jaspar")
