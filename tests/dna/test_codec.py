"""Tests for captum_genomics.dna.codec: one-hot encoding, decoding, layouts, checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.dna.codec import (
    ALPHABET,
    BASE_RADIUS,
    LAYOUTS,
    check_one_hot,
    decode,
    from_ncl,
    nearest_sequences,
    one_hot,
    reverse_complement,
    to_ncl,
)

IUPAC = "ACGTNRYSWKMBDHV"

acgtn = st.text(alphabet="ACGTNacgtn", min_size=1, max_size=120)
layouts = st.sampled_from(LAYOUTS)
n_policies = st.sampled_from(("zeros", "uniform"))
SETTINGS = settings(max_examples=40, deadline=None)


def reference_one_hot(s: str, n_value: float) -> np.ndarray:
    """Slow, obviously-correct (4, L) encoding."""
    out = np.zeros((4, len(s)))
    for i, c in enumerate(s.upper()):
        if c == "N":
            out[:, i] = n_value
        else:
            out[ALPHABET.index(c), i] = 1
    return out


def rc_text_reference(s: str) -> str:
    pairs = dict(zip("ACGTNRYSWKMBDHV", "TGCANYRSWMKVHDB"))
    return "".join(pairs[c.upper()].lower() if c.islower() else pairs[c] for c in reversed(s))


# --------------------------------------------------------------------------- one_hot / decode


@SETTINGS
@given(s=acgtn, layout=layouts, n_policy=n_policies)
def test_one_hot_matches_reference_and_round_trips(s, layout, n_policy):
    x = one_hot(s, layout=layout, n_policy=n_policy)
    assert x.dtype == torch.float32 and x.device.type == "cpu"
    n_value = 0.25 if n_policy == "uniform" else 0.0
    expected = reference_one_hot(s, n_value)
    np.testing.assert_array_equal(to_ncl(x, layout)[0].numpy(), expected)
    assert decode(x, layout=layout) == [s.upper()]


@SETTINGS
@given(
    batch=st.integers(1, 5).flatmap(
        lambda n: st.integers(1, 60).flatmap(
            lambda L: st.lists(
                st.text(alphabet="ACGTN", min_size=L, max_size=L), min_size=n, max_size=n
            )
        )
    ),
    n_policy=n_policies,
)
def test_batch_layouts_agree(batch, n_policy):
    ncl = one_hot(batch, layout="NCL", n_policy=n_policy)
    nlc = one_hot(batch, layout="NLC", n_policy=n_policy)
    assert ncl.shape == (len(batch), 4, len(batch[0]))
    assert torch.equal(ncl, nlc.permute(0, 2, 1))
    assert torch.equal(ncl, torch.cat([one_hot(s, n_policy=n_policy) for s in batch]))
    assert ncl.is_contiguous() and nlc.is_contiguous()
    assert decode(nlc, layout="NLC") == batch


def test_one_hot_dtype_and_device():
    x = one_hot("ACGTN", dtype=torch.float64, device="cpu")
    assert x.dtype == torch.float64
    assert one_hot("ACGTN", dtype=torch.uint8).sum().item() == 4
    assert one_hot(("AC", "GT")).shape == (2, 4, 2)
    assert one_hot(np.array(["AC", "GT"])).shape == (2, 4, 2)
    with pytest.raises(TypeError, match="floating dtype"):
        one_hot("ACGTN", n_policy="uniform", dtype=torch.int64)
    with pytest.raises(TypeError, match="torch.dtype"):
        one_hot("ACGT", dtype=np.float32)


@SETTINGS
@given(s=acgtn, layout=layouts, n_value=st.floats(-2, 2, allow_nan=False))
def test_one_hot_takes_an_explicit_n_value(s, layout, n_value):
    x = one_hot(s, layout=layout, n_policy=n_value)
    np.testing.assert_array_equal(
        to_ncl(x, layout)[0].numpy(), reference_one_hot(s, np.float32(n_value))
    )


def test_explicit_n_value_errors():
    with pytest.raises(TypeError, match="floating dtype"):
        one_hot("ACN", n_policy=0.5, dtype=torch.int64)
    assert one_hot("ACN", n_policy=0.0, dtype=torch.int64).sum().item() == 2
    with pytest.raises(ValueError, match="finite"):
        one_hot("ACN", n_policy=float("inf"))
    with pytest.raises(TypeError, match="policy name or a number"):
        one_hot("ACN", n_policy=None)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_one_hot_on_cuda():
    x = one_hot(["ACGTN", "TTNAA"], n_policy="uniform", device="cuda")
    assert x.device.type == "cuda"
    assert torch.equal(x.cpu(), one_hot(["ACGTN", "TTNAA"], n_policy="uniform"))
    assert check_one_hot(x).device.type == "cuda"
    assert torch.equal(reverse_complement(x).cpu(), reverse_complement(x.cpu()))
    assert decode(x) == ["ACGTN", "TTNAA"]


@SETTINGS
@given(s=st.text(alphabet="ACGTN", min_size=1, max_size=80), data=st.data())
def test_lowercase_policy(s, data):
    lower = data.draw(st.lists(st.booleans(), min_size=len(s), max_size=len(s)))
    mixed = "".join(c.lower() if f else c for c, f in zip(s, lower))
    assert torch.equal(one_hot(mixed), one_hot(s))
    if mixed != s:
        pos = next(i for i, c in enumerate(mixed) if c.islower())
        with pytest.raises(ValueError) as err:
            one_hot(mixed, lowercase="error")
        msg = str(err.value)
        assert repr(mixed[pos]) in msg and f"position {pos}" in msg
        assert "lowercase='accept'" in msg
    else:
        assert torch.equal(one_hot(mixed, lowercase="error"), one_hot(s))


bad_chars = st.characters(blacklist_characters="ACGTNacgtn", blacklist_categories=("Cs",))


@SETTINGS
@given(
    batch=st.lists(st.text(alphabet="ACGTN", min_size=6, max_size=6), min_size=1, max_size=4),
    char=bad_chars,
    data=st.data(),
)
def test_unknown_character_error_and_n_policy(batch, char, data):
    seq_i = data.draw(st.integers(0, len(batch) - 1))
    pos = data.draw(st.integers(0, 5))
    bad = list(batch)
    bad[seq_i] = bad[seq_i][:pos] + char + bad[seq_i][pos + 1 :]
    with pytest.raises(ValueError) as err:
        one_hot(bad)
    msg = str(err.value)
    assert repr(char) in msg
    assert f"sequence {seq_i}" in msg and f"position {pos}" in msg
    assert "unknown='n'" in msg
    as_n = list(batch)
    as_n[seq_i] = as_n[seq_i][:pos] + "N" + as_n[seq_i][pos + 1 :]
    for n_policy in ("zeros", "uniform"):
        assert torch.equal(
            one_hot(bad, unknown="n", n_policy=n_policy), one_hot(as_n, n_policy=n_policy)
        )


def test_lowercase_iupac_names_both_policies():
    with pytest.raises(ValueError, match="unknown='n'.*lowercase='accept'"):
        one_hot("ACrT", lowercase="error")


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "pattern"),
    [
        (("",), {}, ValueError, "at least one base"),
        (([],), {}, ValueError, "empty list"),
        ((["ACG", "AC", "ACGT"],), {}, ValueError, r"2, 3, 4.*pad or trim"),
        ((b"ACGT",), {}, TypeError, "bytes"),
        ((["AC", 3],), {}, TypeError, r"sequences\[1\]"),
        ((42,), {}, TypeError, "str or a sequence of str"),
        (("ACGT",), {"layout": "LNC"}, ValueError, "layout must be one of"),
        (("ACGT",), {"n_policy": "random"}, ValueError, "n_policy"),
        (("ACGT",), {"lowercase": "upper"}, ValueError, "lowercase"),
        (("ACGT",), {"unknown": "skip"}, ValueError, "unknown"),
    ],
)
def test_one_hot_bad_input(args, kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        one_hot(*args, **kwargs)


def test_decode_rejects_non_one_hot_column():
    x = one_hot(["ACGT", "GGGG"])
    x[1, :, 2] = torch.tensor([0.5, 0.5, 0.0, 0.0])
    with pytest.raises(ValueError, match="sequence 1, position 2"):
        decode(x)
    with pytest.raises(ValueError, match="sequence 0, position 0"):
        decode(torch.randn(2, 4, 3) + 2)


def test_decode_accepts_numpy_and_integer_one_hot():
    x = one_hot(["ACGTN"], layout="NLC", dtype=torch.int8)
    assert decode(x.numpy(), layout="NLC") == ["ACGTN"]


# --------------------------------------------------------------------------- reverse complement


@SETTINGS
@given(s=st.text(alphabet=IUPAC + IUPAC.lower(), min_size=0, max_size=100))
def test_reverse_complement_text(s):
    rc = reverse_complement(s)
    assert rc == rc_text_reference(s)
    assert reverse_complement(rc) == s
    assert [c.islower() for c in rc] == [c.islower() for c in reversed(s)]
    assert reverse_complement([s, rc]) == [rc, s]


@SETTINGS
@given(s=acgtn, layout=layouts, n_policy=n_policies)
def test_reverse_complement_tensor_agrees_with_text(s, layout, n_policy):
    x = one_hot(s, layout=layout, n_policy=n_policy)
    rc = reverse_complement(x, layout=layout)
    assert torch.equal(rc, one_hot(reverse_complement(s), layout=layout, n_policy=n_policy))
    assert torch.equal(reverse_complement(rc, layout=layout), x)


@SETTINGS
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 20)), seed=st.integers(0, 2**16))
def test_reverse_complement_attributions(shape, seed):
    n, length = shape
    attr = torch.randn(n, 4, length, generator=torch.Generator().manual_seed(seed))
    rc = reverse_complement(attr)
    assert torch.equal(reverse_complement(rc), attr)
    # Base b at position i maps to base 3 - b at position L - 1 - i.
    assert torch.equal(rc[:, 0, 0], attr[:, 3, length - 1])
    assert torch.equal(rc[:, 1, length - 1], attr[:, 2, 0])
    nlc = reverse_complement(attr.permute(0, 2, 1), layout="NLC")
    assert torch.equal(nlc.permute(0, 2, 1), rc)


def test_reverse_complement_errors():
    with pytest.raises(ValueError, match=r"'X' at position 2"):
        reverse_complement("ACXT")
    with pytest.raises(ValueError, match="looks like"):
        reverse_complement(torch.zeros(1, 7, 4))
    with pytest.raises(TypeError):
        reverse_complement(3.5)


# --------------------------------------------------------------------------- layouts, validation


@SETTINGS
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 9)))
def test_to_from_ncl_inverse(shape):
    n, length = shape
    x = torch.arange(n * 4 * length, dtype=torch.float32).reshape(n, 4, length)
    nlc = from_ncl(x, "NLC")
    assert nlc.shape == (n, length, 4)
    assert torch.equal(to_ncl(nlc, "NLC"), x)
    assert to_ncl(x, "NCL") is x and from_ncl(x, "NCL") is x
    assert nlc.data_ptr() == x.data_ptr()
    arr = x.numpy()
    assert np.shares_memory(from_ncl(arr, "NLC"), arr)
    np.testing.assert_array_equal(to_ncl(from_ncl(arr, "NLC"), "NLC"), arr)


def test_layout_validation():
    for bad in ("ncl", "NCHW", None):
        with pytest.raises(ValueError, match="layout must be one of"):
            to_ncl(torch.zeros(1, 4, 2), bad)
    with pytest.raises(ValueError, match="3-D"):
        from_ncl(torch.zeros(4, 2), "NLC")


@SETTINGS
@given(
    n=st.integers(1, 3),
    length=st.integers(1, 12),
    layout=layouts,
    dtype=st.sampled_from([torch.float16, torch.float32, torch.float64]),
)
def test_check_one_hot_accepts_fractional_and_returns_ncl(n, length, layout, dtype):
    base = torch.rand(n, 4, length).to(dtype)
    x = from_ncl(base, layout)
    out = check_one_hot(x, layout=layout)
    assert out.shape == (n, 4, length) and out.dtype == dtype
    assert torch.equal(out, base)
    assert out.data_ptr() == x.data_ptr()
    from_numpy = check_one_hot(x.numpy(), layout=layout)
    assert isinstance(from_numpy, torch.Tensor) and torch.equal(from_numpy, base)


@pytest.mark.parametrize(
    ("x", "layout", "exc", "pattern"),
    [
        (torch.zeros(4, 10), "NCL", ValueError, r"x\.unsqueeze\(0\)|inputs\.unsqueeze\(0\)"),
        (torch.zeros(10, 4), "NLC", ValueError, r"unsqueeze\(0\)"),
        (torch.zeros(2, 10, 4), "NCL", ValueError, r"looks like \(N, L, 4\): pass layout='NLC'"),
        (torch.zeros(2, 4, 10), "NLC", ValueError, r"looks like \(N, 4, L\): pass layout='NCL'"),
        (torch.zeros(2, 5, 10), "NCL", ValueError, "4 channels"),
        (torch.zeros(2, 4, 10, 1), "NCL", ValueError, "3-D"),
        (torch.zeros(2, 4, 10, dtype=torch.int64), "NCL", TypeError, "floating dtype"),
        (torch.zeros(2, 4, 0), "NCL", ValueError, "L >= 1"),
        (torch.zeros(0, 4, 3), "NCL", ValueError, "N >= 1"),
        ("ACGT", "NCL", TypeError, "one_hot"),
        ([[0.0] * 4], "NCL", TypeError, "torch.Tensor or numpy.ndarray"),
        (torch.zeros(1, 4, 3), "4NL", ValueError, "layout must be one of"),
    ],
)
def test_check_one_hot_errors(x, layout, exc, pattern):
    with pytest.raises(exc, match=pattern):
        check_one_hot(x, layout=layout)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_check_one_hot_non_finite(value):
    x = torch.zeros(3, 4, 8)
    x[2, 1, 5] = value
    with pytest.raises(ValueError, match="sequence 2 at position 5"):
        check_one_hot(x)
    with pytest.raises(ValueError, match="baselines holds NaN"):
        check_one_hot(x.permute(0, 2, 1), layout="NLC", name="baselines")


def test_nearest_sequences_refuses_columns_beyond_max_distance():
    clean = one_hot(["ACGNN"])
    clean[0, :, 4] = 0.25  # N columns of both encodings; the tie keeps all-zero N
    direction = torch.tensor([1.0, -1.0, 1.0, -1.0]) / 2  # unit length
    for radius, accepted in ((0.42, True), (0.44, False)):
        moved = clean.clone()
        moved[0, :, 1] += radius * direction  # the C column
        if accepted:
            expected = one_hot(["ACGNN"])
            read = nearest_sequences(moved, max_distance=BASE_RADIUS)
            torch.testing.assert_close(read, expected, atol=0, rtol=0)
        else:
            with pytest.raises(ValueError, match=r"seqs is not .* position 1 .* 0\.44 from"):
                nearest_sequences(moved, max_distance=BASE_RADIUS, name="seqs")
    assert abs(BASE_RADIUS - 0.5 * float((one_hot("A") - 0.25).norm())) < 1e-7
    # noisy N columns are read as N; without max_distance every column is read
    moved = clean.clone()
    moved[0, :, 3:] += 0.2 * direction[:, None]
    torch.testing.assert_close(nearest_sequences(moved, max_distance=BASE_RADIUS),
                               one_hot(["ACGNN"]), atol=0, rtol=0)
    halfway = torch.tensor([[[0.5], [0.5], [0.0], [0.0]]])
    torch.testing.assert_close(nearest_sequences(halfway), torch.full((1, 4, 1), 0.25))
    with pytest.raises(ValueError, match="1 such column"):
        nearest_sequences(halfway, max_distance=BASE_RADIUS)
