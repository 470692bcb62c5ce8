"""Tests for captum_genomics.dna.shuffle: exact uniform k-let shuffles."""

from __future__ import annotations

import random
import warnings
from collections import Counter

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from captum_genomics.dna.shuffle import ShuffleWarning, dinucleotide_shuffle, kmer_shuffle

ALPHA = 1e-3  # chi-square rejection level; the seeds are fixed, so the tests are deterministic


def one_hot(seqs: list[str], quarter_n: bool = False, dtype=np.float32) -> np.ndarray:
    """(N, 4, L) one-hot of equal-length A/C/G/T/N strings; N is all 0 or all 0.25."""
    x = np.zeros((len(seqs), 4, len(seqs[0])), dtype=dtype)
    for i, s in enumerate(seqs):
        for j, c in enumerate(s):
            if c == "N":
                x[i, :, j] = 0.25 if quarter_n else 0
            else:
                x[i, "ACGT".index(c), j] = 1
    return x


def decode(x) -> list[str]:
    """Strings of a (..., 4, L) batch (N for all-0 or all-0.25 columns), flattened."""
    arr = np.asarray(x.detach().cpu().float() if isinstance(x, torch.Tensor) else x, float)
    arr = arr.reshape(-1, 4, arr.shape[-1])
    is_one_hot = (arr == 1).sum(axis=1) == 1
    idx = np.where(is_one_hot, arr.argmax(axis=1), 4)
    return ["".join("ACGTN"[i] for i in row) for row in idx]


def enumerate_shuffles(seq: str, k: int) -> set[str]:
    """Every string with the k-let counts and first and last k - 1 letters of ``seq``."""
    if len(seq) < k:
        return {seq}
    left = Counter(seq[i : i + k] for i in range(len(seq) - k + 1))
    found: set[str] = set()

    def extend(prefix: str) -> None:
        if len(prefix) == len(seq):
            found.add(prefix)
            return
        context = prefix[len(prefix) - k + 1 :] if k > 1 else ""
        for letter in "ACGTN":
            klet = context + letter
            if left[klet]:
                left[klet] -= 1
                extend(prefix + letter)
                left[klet] += 1

    extend(seq[: k - 1])
    return {s for s in found if s[len(s) - k + 1 :] == seq[len(seq) - k + 1 :] or k == 1}


def klets(s: str, j: int) -> Counter:
    return Counter(s[i : i + j] for i in range(len(s) - j + 1))


def draw_counts(seq: str, k: int, n: int, seed: int) -> Counter:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ShuffleWarning)
        out = kmer_shuffle(one_hot([seq]), k, n, seed=seed)
    return Counter(decode(out))


def assert_uniform(seq: str, k: int, n_expected: int, per_class: int = 60, seed: int = 0):
    space = enumerate_shuffles(seq, k)
    assert len(space) == n_expected
    counts = draw_counts(seq, k, per_class * len(space), seed)
    assert set(counts) == space  # every shuffle reached, nothing outside the class
    assert chisquare([counts[s] for s in sorted(space)]).pvalue > ALPHA


# ---------------------------------------------------------------- uniformity (exhaustive)


def test_enumeration_finds_the_306_dinucleotide_shuffles():
    space = enumerate_shuffles("ACGTACGGTCATGA", 2)
    assert len(space) == 306
    assert all(klets(s, 2) == klets("ACGTACGGTCATGA", 2) for s in space)


def test_uniform_dinucleotide():
    assert_uniform("ACGTACGGTCATGA", 2, 306)


def test_uniform_trinucleotide():
    assert_uniform("CCAACTAGTCCGAGAGAAAGCC", 3, 144)


def test_uniform_with_exits_that_return_through_forced_vertices():
    # T is forced (its only other vertex is A), so A -> T -> A returns: a non-move for A.
    assert_uniform("ATAACAAATAGCG", 2, 180)


def test_uniform_permutation_k1():
    assert_uniform("AACGTG", 1, 180)


def test_uniform_with_n_as_fifth_letter():
    assert_uniform("CACCNCACGNGNA", 2, 144)


def test_chi_square_rejects_a_biased_sampler():
    # The acceptance test above has power: tangermeme-like bias (half the mass on one
    # shuffle) is rejected at the same level.
    space = sorted(enumerate_shuffles("ACGTACGGTCATGA", 2))
    counts = np.full(len(space), 60)
    counts[0] += 60 * len(space) // 10
    assert chisquare(counts).pvalue < ALPHA


def small_shuffle_classes(count: int, seed: int = 0) -> list[tuple[str, int]]:
    """(sequence, k) pairs over ACGN whose shuffle class has 2 to 40 members.

    Drawn once here, because most random short strings have one shuffle or hundreds, and
    hypothesis would discard them.
    """
    rng = random.Random(seed)
    pairs: list[tuple[str, int]] = []
    while len(pairs) < count:
        seq = "".join(rng.choice("ACGN") for _ in range(rng.randint(2, 9)))
        k = rng.randint(1, 4)
        if 2 <= len(enumerate_shuffles(seq, k)) <= 40:
            pairs.append((seq, k))
    return pairs


@settings(max_examples=40, deadline=None)
@given(
    pair=st.sampled_from(small_shuffle_classes(150)),
    seed=st.integers(0, 2**32 - 1),
)
def test_reaches_every_shuffle_and_only_those(pair, seed):
    seq, k = pair
    space = enumerate_shuffles(seq, k)
    counts = draw_counts(seq, k, 30 * len(space), seed)
    assert set(counts) == space


@settings(max_examples=60, deadline=None)
@given(seq=st.text(alphabet="ACGTN", min_size=1, max_size=10), k=st.integers(1, 5))
def test_warns_exactly_when_the_class_has_one_member(seq, k):
    single = len(enumerate_shuffles(seq, k)) == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = kmer_shuffle(one_hot([seq]), k, 3, seed=0)
    warned = any(issubclass(w.category, ShuffleWarning) for w in caught)
    assert warned == single
    if single:
        np.testing.assert_array_equal(out, np.broadcast_to(one_hot([seq])[:, None], out.shape))


# ---------------------------------------------------------------- invariants


@st.composite
def batches(draw):
    length = draw(st.integers(1, 60))
    alphabet = draw(st.sampled_from(["ACGT", "ACGTN", "AC", "GN"]))
    seqs = draw(
        st.lists(st.text(alphabet=alphabet, min_size=length, max_size=length), min_size=1,
                 max_size=4)
    )
    return seqs


@settings(max_examples=60, deadline=None)
@given(
    seqs=batches(),
    k=st.integers(1, 6),
    n=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    quarter_n=st.booleans(),
    as_tensor=st.booleans(),
)
def test_keeps_klet_counts_ends_and_encoding(seqs, k, n, seed, quarter_n, as_tensor):
    x = one_hot(seqs, quarter_n=quarter_n)
    if as_tensor:
        x = torch.from_numpy(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShuffleWarning)
        out = kmer_shuffle(x, k, n, seed=seed)
    assert type(out) is type(x)
    assert tuple(out.shape) == (len(seqs), n, 4, len(seqs[0]))
    assert out.dtype == x.dtype
    values = np.asarray(out)
    column_sums = values.sum(axis=2)
    n_value = 0.25 if quarter_n else 0.0
    is_n = (values == n_value).all(axis=2)
    is_one_hot = ((values == 1).sum(axis=2) == 1) & ((values == 0).sum(axis=2) == 3)
    assert (is_n | is_one_hot).all()
    assert np.isin(column_sums, [1.0, 4 * n_value]).all()
    shuffles = decode(out)
    for i, s in enumerate(seqs):
        for shuffled in shuffles[i * n : (i + 1) * n]:
            for j in range(1, k + 1):
                assert klets(shuffled, j) == klets(s, j)
            if k > 1:
                assert shuffled[: k - 1] == s[: k - 1]
                assert shuffled[len(s) - k + 1 :] == s[len(s) - k + 1 :]


@pytest.mark.parametrize("k", [11, 30])
def test_long_klets_use_the_sparse_vertex_table(k):
    # Three copies of a (k-1)-mer make the sequence shuffleable at any k; k = 11 exceeds the
    # dense table and k = 30 needs two integer codes per (k-1)-mer.
    rng = np.random.default_rng(k)
    part = ["".join(rng.choice(list("ACGT"), m)) for m in (k - 1, 7, 9, 11, 5)]
    repeat, a, b, c, d = part
    seq = a + repeat + b + repeat + c + repeat + d
    out = kmer_shuffle(one_hot([seq]), k, 20, seed=1)
    shuffles = decode(out)
    assert all(klets(s, k) == klets(seq, k) for s in shuffles)
    assert all(s[: k - 1] == seq[: k - 1] and s[-(k - 1) :] == seq[-(k - 1) :] for s in shuffles)
    assert len(set(shuffles)) > 1


def test_long_random_batch_keeps_dinucleotides():
    rng = np.random.default_rng(3)
    seqs = ["".join(rng.choice(list("ACGTN"), 3000, p=[0.3, 0.2, 0.2, 0.29, 0.01]))
            for _ in range(3)]
    out = dinucleotide_shuffle(torch.from_numpy(one_hot(seqs)), 4, seed=5)
    for i, s in enumerate(decode(out)):
        assert klets(s, 2) == klets(seqs[i // 4], 2)
        assert s[0] == seqs[i // 4][0] and s[-1] == seqs[i // 4][-1]
        assert s != seqs[i // 4]


def test_n_runs_and_homopolymers_are_shuffled():
    seq = "N" * 200 + "ACGTTGCA" * 10 + "A" * 50 + "N" * 100
    out = dinucleotide_shuffle(one_hot([seq], quarter_n=True), 8, seed=2)
    shuffles = decode(out)
    assert all(klets(s, 2) == klets(seq, 2) for s in shuffles)
    assert len(set(shuffles)) == 8
    n_columns = (np.asarray(out) == 0.25).all(axis=2)
    assert n_columns.sum() == 8 * seq.count("N")


# ---------------------------------------------------------------- seeds


def test_same_seed_same_shuffles_and_different_seeds_differ():
    x = torch.from_numpy(one_hot(["ACGTACGGTCATGAACGTTGCA", "GGCATCGATCGTACGATCGTAA"]))
    a = kmer_shuffle(x, 2, 10, seed=7)
    assert torch.equal(a, kmer_shuffle(x, 2, 10, seed=7))
    assert torch.equal(a, kmer_shuffle(x, 2, 10, seed=np.random.default_rng(7)))
    assert not torch.equal(a, kmer_shuffle(x, 2, 10, seed=8))


@settings(max_examples=40, deadline=None)
@given(
    seqs=batches(),
    k=st.integers(1, 4),
    n=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_shuffles_of_a_sequence_do_not_depend_on_the_batch(seqs, k, n, seed, data):
    x = one_hot(seqs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShuffleWarning)
        batch = kmer_shuffle(x, k, n, seed=seed)
        i = data.draw(st.integers(0, len(seqs) - 1), label="i")
        alone = kmer_shuffle(x[i : i + 1], k, n, seed=seed)
        np.testing.assert_array_equal(alone[0], batch[i])
        # Reversed batch: every sequence at another position, other neighbours.
        np.testing.assert_array_equal(kmer_shuffle(x[::-1].copy(), k, n, seed=seed)[::-1], batch)
        m = data.draw(st.integers(1, n), label="m")
        np.testing.assert_array_equal(kmer_shuffle(x, k, m, seed=seed), batch[:, :m])


def test_equal_sequences_get_equal_shuffles_and_the_seed_still_matters():
    x = one_hot(["ACGTACGGTCATGAACGTTGCA", "ACGTACGGTCATGAACGTTGCA"])
    out = kmer_shuffle(x, 2, 6, seed=3)
    np.testing.assert_array_equal(out[0], out[1])
    assert not np.array_equal(out, kmer_shuffle(x, 2, 6, seed=4))


def test_generator_advances_between_calls():
    x = one_hot(["ACGTACGGTCATGAACGTTGCA"])
    rng = np.random.default_rng(0)
    assert not np.array_equal(kmer_shuffle(x, 2, 10, seed=rng), kmer_shuffle(x, 2, 10, seed=rng))


def test_dinucleotide_shuffle_is_kmer_shuffle_with_k2():
    x = one_hot(["ACGTACGGTCATGA"])
    np.testing.assert_array_equal(dinucleotide_shuffle(x, 5, seed=3), kmer_shuffle(x, 2, 5, seed=3))


def test_shuffles_within_a_call_differ():
    out = dinucleotide_shuffle(one_hot(["ACGTACGGTCATGA"]), 20, seed=0)
    assert len(set(decode(out))) > 10


# ---------------------------------------------------------------- single-arrangement fallback


def test_single_arrangement_warns_and_copies():
    other = "ACGTTGCAACGTAGCTAGCTAGGATCGATCGGATCCGATA"
    seqs = ["ACGT" * 10, "A" * 40, other]
    x = torch.from_numpy(one_hot(seqs))
    with pytest.warns(ShuffleWarning, match=r"sequences \[0, 1\]"):
        out = dinucleotide_shuffle(x, 5, seed=0)
    assert torch.equal(out[:2], x[:2, None].expand(2, 5, 4, 40))
    assert any(s != other for s in decode(out[2]))


def test_shorter_than_k_warns_and_copies():
    x = one_hot(["ACG", "TTA"])
    with pytest.warns(ShuffleWarning, match=r"sequences \[0, 1\]"):
        out = kmer_shuffle(x, 4, 3, seed=0)
    np.testing.assert_array_equal(out, np.broadcast_to(x[:, None], (2, 3, 4, 3)))


def test_no_warning_when_every_sequence_shuffles():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dinucleotide_shuffle(one_hot(["ACGTACGGTCATGA"]), 3, seed=0)


def test_warning_is_a_user_warning():
    assert issubclass(ShuffleWarning, UserWarning)


# ---------------------------------------------------------------- dtypes and devices


@pytest.mark.parametrize(
    "dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64,
              torch.uint8, torch.bool]
)
def test_torch_dtypes_kept(dtype):
    x = torch.from_numpy(one_hot(["ACGTACGGTCATGA", "ACNNACGGTCATGA"])).to(dtype)
    out = dinucleotide_shuffle(x, 3, seed=0)
    assert out.dtype == dtype and out.device == x.device
    assert decode(out)[:3] != ["ACGTACGGTCATGA"] * 3
    assert sorted(decode(out)[0]) == sorted("ACGTACGGTCATGA")
    assert sorted(decode(out)[3]) == sorted("ACNNACGGTCATGA")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int8, np.bool_])
def test_numpy_in_numpy_out(dtype):
    x = one_hot(["ACGTACGGTCATGA"], dtype=dtype)
    out = dinucleotide_shuffle(x, 2, seed=0)
    assert isinstance(out, np.ndarray) and out.dtype == dtype and out.shape == (1, 2, 4, 14)


def test_non_contiguous_input():
    x = torch.from_numpy(one_hot(["ACGTACGGTCATGA"] * 2)).transpose(1, 2).contiguous()
    x = x.transpose(1, 2)  # (N, 4, L) view over (N, L, 4) memory
    out = dinucleotide_shuffle(x, 4, seed=0)
    assert all(klets(s, 2) == klets("ACGTACGGTCATGA", 2) for s in decode(out))


def test_empty_batch():
    out = dinucleotide_shuffle(torch.zeros(0, 4, 10), 3, seed=0)
    assert out.shape == (0, 3, 4, 10)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_tensor_stays_on_device():
    x = torch.from_numpy(one_hot(["ACGTACGGTCATGA", "CACCNCACGNGNA" + "A"])).cuda()
    out = dinucleotide_shuffle(x, 4, seed=0)
    assert out.is_cuda and out.dtype == x.dtype
    assert torch.equal(out.cpu(), dinucleotide_shuffle(x.cpu(), 4, seed=0))


# ---------------------------------------------------------------- errors


def test_layout_nlc_is_named():
    with pytest.raises(ValueError, match=r"looks like \(N, L, 4\).*transpose"):
        dinucleotide_shuffle(torch.zeros(2, 30, 4), 2)


@pytest.mark.parametrize(
    "x, match",
    [
        (torch.zeros(4, 10), "3-D"),
        (torch.zeros(1, 5, 10), "4 channels"),
        (torch.zeros(1, 4, 0), "empty"),
    ],
)
def test_bad_shapes(x, match):
    with pytest.raises(ValueError, match=match):
        dinucleotide_shuffle(x, 2)


def test_bad_column_is_named():
    x = one_hot(["ACGTACGT"])
    x[0, :, 5] = [0.5, 0.5, 0, 0]
    with pytest.raises(ValueError, match=r"x\[0, :, 5\]"):
        dinucleotide_shuffle(x, 2)


def test_mixed_n_encodings_rejected():
    x = one_hot(["ANCGNT"])
    x[0, :, 4] = 0.25
    with pytest.raises(ValueError, match="mix"):
        dinucleotide_shuffle(x, 2)


@pytest.mark.parametrize("k, n", [(0, 2), (2, 0), (-1, 3)])
def test_counts_below_one(k, n):
    with pytest.raises(ValueError, match=">= 1, got"):
        kmer_shuffle(one_hot(["ACGT"]), k, n)


@pytest.mark.parametrize("k, n", [(2.0, 2), (2, "3"), (True, 2)])
def test_counts_must_be_int(k, n):
    with pytest.raises(TypeError, match="must be an int"):
        kmer_shuffle(one_hot(["ACGT"]), k, n)


@pytest.mark.parametrize("x", [[[[1, 0], [0, 1], [0, 0], [0, 0]]], "ACGT"])
def test_non_array_input(x):
    with pytest.raises(TypeError, match=r"torch.Tensor or numpy.ndarray"):
        dinucleotide_shuffle(x, 2)


def test_complex_input():
    with pytest.raises(TypeError, match="real"):
        dinucleotide_shuffle(torch.zeros(1, 4, 5, dtype=torch.complex64), 2)


@pytest.mark.parametrize("seed", [1.5, "0", np.random.RandomState(0)])
def test_bad_seed(seed):
    with pytest.raises(TypeError, match="seed"):
        dinucleotide_shuffle(one_hot(["ACGTACGT"]), 2, seed=seed)


def test_default_seed_is_fixed_and_none_draws_fresh_entropy():
    x = one_hot(["ACGTACGGTCATGAACGTTGCAGGATCCA"])
    np.testing.assert_array_equal(kmer_shuffle(x, 2, 8), kmer_shuffle(x, 2, 8, seed=0))
    assert not np.array_equal(kmer_shuffle(x, 2, 8, seed=None), kmer_shuffle(x, 2, 8, seed=None))
