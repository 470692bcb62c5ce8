"""Tests for captum_genomics.aggregate (locus, corrected, hypothetical, rolling, interval)."""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.aggregate import (
    IntervalScores,
    correct_gradients,
    hypothetical_scores,
    interval_scores,
    locus_scores,
    rolling_mean,
)
from captum_genomics.dna.annotations import Interval

SETTINGS = settings(max_examples=40, deadline=None)


def random_one_hot(rng: np.random.Generator, n: int, length: int, n_fraction: float = 0.0):
    """(N, 4, L) float64 one-hot; a fraction of columns are N (all zero)."""
    x = np.zeros((n, 4, length))
    base = rng.integers(0, 4, size=(n, length))
    np.put_along_axis(x, base[:, None, :], 1.0, axis=1)
    x *= (rng.random((n, length)) >= n_fraction)[:, None, :]
    return torch.from_numpy(x)


def random_simplex(rng: np.random.Generator, shape) -> torch.Tensor:
    """Non-negative (.., 4, L) columns summing to 1."""
    w = rng.gamma(0.5, size=shape) + 1e-12
    return torch.from_numpy(w / w.sum(axis=1, keepdims=True))


def random_baseline(rng: np.random.Generator, kind: str, n: int, length: int):
    if kind == "scalar":
        return float(rng.uniform(-1, 1))
    if kind == "channel":
        return torch.from_numpy(rng.normal(size=4))
    if kind == "batch1":
        return torch.from_numpy(rng.normal(size=(1, 4, length)))
    return torch.from_numpy(rng.normal(size=(n, 4, length)))


def as_full(baseline, n: int, length: int) -> torch.Tensor:
    """Materialise any accepted NCL baseline as (N, 4, L) float64."""
    b = torch.as_tensor(baseline, dtype=torch.float64)
    if b.ndim == 1:
        b = b.reshape(1, 4, 1)
    return b.expand(n, 4, length)


shapes = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(1, 40))


# ---------------------------------------------------------------- locus_scores


def test_locus_scores_by_hand():
    a = torch.tensor([[[1.0, -4.0, 0.0], [2.0, 1.0, 0.0], [-3.0, 0.5, 0.0], [0.5, 2.0, 0.0]]])
    x = torch.tensor([[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    torch.testing.assert_close(locus_scores(a), torch.tensor([[0.5, -0.5, 0.0]]))
    torch.testing.assert_close(locus_scores(a, "abs_sum"), torch.tensor([[0.5, 0.5, 0.0]]))
    torch.testing.assert_close(locus_scores(a, "max_abs"), torch.tensor([[-3.0, -4.0, 0.0]]))
    # Third column is N: the observed score is 0.
    torch.testing.assert_close(
        locus_scores(a, "observed", inputs=x), torch.tensor([[2.0, -4.0, 0.0]])
    )
    nlc = a.permute(0, 2, 1).numpy()
    for method in ("sum", "abs_sum", "max_abs"):
        got = locus_scores(nlc, method, layout="NLC")
        assert isinstance(got, torch.Tensor) and got.device.type == "cpu"
        torch.testing.assert_close(got, locus_scores(a, method))
    got = locus_scores(nlc, "observed", inputs=x.permute(0, 2, 1).numpy(), layout="NLC")
    torch.testing.assert_close(got, torch.tensor([[2.0, -4.0, 0.0]]))


def test_locus_scores_max_abs_tie_takes_positive_value():
    a = torch.tensor([[[-2.0, 2.0, -3.0], [2.0, -2.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]])
    torch.testing.assert_close(locus_scores(a, "max_abs"), torch.tensor([[2.0, 2.0, -3.0]]))


@SETTINGS
@given(shapes, st.sampled_from(["NCL", "NLC"]))
def test_locus_sum_preserves_completeness_total(shape, layout):
    seed, n, length = shape
    rng = np.random.default_rng(seed)
    a = torch.from_numpy(rng.normal(size=(n, 4, length)))
    given_a = a if layout == "NCL" else a.permute(0, 2, 1).contiguous()
    scores = locus_scores(given_a, "sum", layout=layout)
    assert scores.shape == (n, length) and scores.dtype == torch.float64
    torch.testing.assert_close(scores.sum(dim=1), a.sum(dim=(1, 2)))
    torch.testing.assert_close(scores.sum(), a.sum())
    assert torch.all(locus_scores(given_a, "abs_sum", layout=layout) >= 0)
    mx = locus_scores(given_a, "max_abs", layout=layout)
    torch.testing.assert_close(mx.abs(), a.abs().amax(dim=1))
    assert torch.all((a == mx[:, None, :]).any(dim=1))


@SETTINGS
@given(shapes)
def test_observed_picks_the_observed_channel(shape):
    seed, n, length = shape
    rng = np.random.default_rng(seed)
    x = random_one_hot(rng, n, length, n_fraction=0.2)
    a = torch.from_numpy(rng.normal(size=(n, 4, length)))
    got = locus_scores(a, "observed", inputs=x.float())
    expected = torch.zeros(n, length, dtype=torch.float64)
    for i in range(n):
        for j in range(length):
            hot = torch.nonzero(x[i, :, j]).flatten()
            if len(hot):
                expected[i, j] = a[i, hot[0], j]
    torch.testing.assert_close(got, expected)


def test_locus_scores_old_method_keyword_and_constant_still_work():
    a = torch.tensor([[[1.0, -2.0], [3.0, 0.5], [0.0, 0.0], [-0.5, 1.0]]])
    with pytest.warns(DeprecationWarning, match=r"locus_scores\(method=...\).*aggregate="):
        old = locus_scores(a, method="abs_sum")
    torch.testing.assert_close(old, locus_scores(a, aggregate="abs_sum"))
    torch.testing.assert_close(old, torch.tensor([[3.5, 0.5]]))
    with pytest.raises(TypeError, match="both 'method' and its new name 'aggregate'"):
        locus_scores(a, method="sum", aggregate="sum")
    import captum_genomics.aggregate as module

    with pytest.warns(DeprecationWarning, match=r"aggregate\.LOCUS_METHODS .*LOCUS_AGGREGATES"):
        assert module.LOCUS_METHODS == module.LOCUS_AGGREGATES == (
            "sum", "abs_sum", "observed", "max_abs")


def test_locus_scores_errors():
    a = torch.zeros(2, 4, 5)
    with pytest.raises(ValueError, match="aggregate must be one of"):
        locus_scores(a, "mean")
    with pytest.raises(ValueError, match="needs the one-hot inputs"):
        locus_scores(a, "observed")
    with pytest.raises(ValueError, match="differs from attributions shape"):
        locus_scores(a, "observed", inputs=torch.zeros(1, 4, 5))
    with pytest.raises(TypeError, match=r"attributions\[0\]"):
        locus_scores((a,))
    with pytest.raises(ValueError, match="layout"):
        locus_scores(a, layout="LNC")
    with pytest.raises(ValueError, match="4 channels"):
        locus_scores(torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match="NaN or infinite"):
        locus_scores(torch.full((1, 4, 2), float("nan")))
    with pytest.raises(TypeError, match="floating"):
        locus_scores(torch.zeros(1, 4, 2, dtype=torch.long))


# ---------------------------------------------------------------- gradient corrections


def test_correct_and_hypothetical_by_hand():
    g = torch.tensor([[[1.0, 0.0], [2.0, 4.0], [3.0, 0.0], [6.0, 0.0]]])  # means 3, 1
    expected = torch.tensor([[[-2.0, -1.0], [-1.0, 3.0], [0.0, -1.0], [3.0, -1.0]]])
    torch.testing.assert_close(correct_gradients(g), expected)
    torch.testing.assert_close(hypothetical_scores(g, 0.25), expected)
    torch.testing.assert_close(hypothetical_scores(g, 0), g)
    # Baseline = first base (A) everywhere: hyp = g - g[A].
    b = torch.tensor([[[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]])
    torch.testing.assert_close(hypothetical_scores(g, b), g - g[:, :1, :])
    torch.testing.assert_close(
        hypothetical_scores(g.permute(0, 2, 1).numpy(), b.permute(0, 2, 1), layout="NLC"),
        (g - g[:, :1, :]).permute(0, 2, 1),
    )


@SETTINGS
@given(shapes, st.sampled_from(["NCL", "NLC"]))
def test_correct_gradients_simplex_identity(shape, layout):
    seed, n, length = shape
    rng = np.random.default_rng(seed)
    g = torch.from_numpy(rng.normal(scale=3.0, size=(n, 4, length)))
    x = random_one_hot(rng, n, length)
    b = random_simplex(rng, (n, 4, length))
    given_g = g if layout == "NCL" else g.permute(0, 2, 1)
    corrected = correct_gradients(given_g, layout=layout)
    assert corrected.shape == given_g.shape
    corrected = corrected if layout == "NCL" else corrected.permute(0, 2, 1)
    torch.testing.assert_close(corrected.mean(dim=1), torch.zeros(n, length, dtype=g.dtype))
    torch.testing.assert_close(((x - b) * corrected).sum(dim=1), ((x - b) * g).sum(dim=1))
    # Correction removes only the (1, 1, 1, 1) component: applying it twice changes nothing.
    torch.testing.assert_close(correct_gradients(corrected), corrected)


@SETTINGS
@given(shapes, st.sampled_from(["scalar", "channel", "batch1", "full"]))
def test_hypothetical_observed_entry_is_attribution_sum(shape, kind):
    seed, n, length = shape
    rng = np.random.default_rng(seed)
    g = torch.from_numpy(rng.normal(size=(n, 4, length)))
    x = random_one_hot(rng, n, length)
    baseline = random_baseline(rng, kind, n, length)
    hyp = hypothetical_scores(g, baseline)
    attributions = (x - as_full(baseline, n, length)) * g
    torch.testing.assert_close(
        locus_scores(hyp, "observed", inputs=x), locus_scores(attributions, "sum")
    )
    # Every base's entry is the attribution that base would get: (e_c - b) . g.
    for c in range(4):
        e_c = torch.zeros(n, 4, length, dtype=torch.float64)
        e_c[:, c] = 1.0
        torch.testing.assert_close(
            hyp[:, c], ((e_c - as_full(baseline, n, length)) * g).sum(dim=1)
        )


@SETTINGS
@given(shapes)
def test_hypothetical_uniform_baseline_equals_corrected(shape):
    seed, n, length = shape
    g = torch.from_numpy(np.random.default_rng(seed).normal(size=(n, 4, length))).float()
    quarter = torch.full((1, 4, length), 0.25)
    torch.testing.assert_close(hypothetical_scores(g, 0.25), correct_gradients(g))
    torch.testing.assert_close(hypothetical_scores(g, quarter), correct_gradients(g))
    torch.testing.assert_close(hypothetical_scores(g, np.float32(0.25)), correct_gradients(g))
    assert hypothetical_scores(g, quarter).dtype == torch.float32


def test_hypothetical_errors():
    g = torch.zeros(2, 4, 5)
    with pytest.raises(ValueError, match="does not broadcast"):
        hypothetical_scores(g, torch.zeros(3, 4, 5))
    with pytest.raises(ValueError, match="does not broadcast"):
        hypothetical_scores(g, torch.zeros(1, 4, 6))
    with pytest.raises(ValueError, match=r"need shape \(4,\)"):
        hypothetical_scores(g, torch.zeros(5))
    with pytest.raises(ValueError, match="finite"):
        hypothetical_scores(g, float("inf"))
    with pytest.raises(TypeError, match="got bool"):
        hypothetical_scores(g, True)
    with pytest.raises(TypeError, match="got str"):
        hypothetical_scores(g, "uniform")
    with pytest.raises(ValueError, match="unsqueeze"):
        hypothetical_scores(g, torch.zeros(4, 5))
    with pytest.raises(ValueError, match="gradients"):
        correct_gradients(torch.zeros(4, 5))


# ---------------------------------------------------------------- rolling_mean


def naive_rolling(v: np.ndarray, window: int, center: bool, min_periods: int) -> np.ndarray:
    left, right = ((window - 1) // 2, window // 2) if center else (window - 1, 0)
    out = np.full(v.shape, np.nan)
    for idx in np.ndindex(v.shape[:-1]):
        row = v[idx]
        for i in range(len(row)):
            chunk = row[max(0, i - left): i + right + 1]
            chunk = chunk[~np.isnan(chunk)]
            if len(chunk) >= min_periods:
                out[idx + (i,)] = chunk.mean()
    return out


def test_rolling_mean_by_hand():
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(rolling_mean(v, 3), [1.5, 2.0, 3.0, 4.0, 4.5])
    np.testing.assert_allclose(rolling_mean(v, 2), [1.5, 2.5, 3.5, 4.5, 5.0])
    np.testing.assert_allclose(rolling_mean(v, 3, center=False), [1.0, 1.5, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(
        rolling_mean(v, 3, center=False, min_periods=3), [np.nan, np.nan, 2.0, 3.0, 4.0]
    )
    with_nan = np.array([1.0, np.nan, np.nan, np.nan, 5.0])
    np.testing.assert_allclose(rolling_mean(with_nan, 3), [1.0, 1.0, np.nan, 5.0, 5.0])
    np.testing.assert_allclose(rolling_mean(v, 1), v)
    np.testing.assert_allclose(rolling_mean(v, 100), np.full(5, 3.0))


@SETTINGS
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from([(30,), (3, 17), (1, 1), (2, 0)]),
    st.integers(1, 12),
    st.booleans(),
    st.integers(1, 12),
    st.booleans(),
)
def test_rolling_mean_matches_naive_loop(seed, shape, window, center, min_periods, use_torch):
    min_periods = min(min_periods, window)
    rng = np.random.default_rng(seed)
    v = rng.normal(size=shape)
    v[rng.random(shape) < 0.2] = np.nan
    expected = naive_rolling(v, window, center, min_periods)
    given_v = torch.from_numpy(v) if use_torch else v
    got = rolling_mean(given_v, window, center=center, min_periods=min_periods)
    assert type(got) is type(given_v) and got.shape == v.shape and got.dtype == given_v.dtype
    got = got.numpy() if use_torch else got
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_rolling_mean_dtypes():
    f32 = rolling_mean(torch.arange(6, dtype=torch.float32), 2)
    assert f32.dtype == torch.float32
    ints = rolling_mean(np.arange(6), 2)
    assert ints.dtype == np.float64
    np.testing.assert_allclose(ints, [0.5, 1.5, 2.5, 3.5, 4.5, 5.0])
    assert rolling_mean(torch.arange(6), 2).dtype == torch.get_default_dtype()


def test_rolling_mean_errors():
    v = np.zeros(5)
    with pytest.raises(ValueError, match="window must be >= 1"):
        rolling_mean(v, 0)
    with pytest.raises(TypeError, match="window must be an int"):
        rolling_mean(v, 2.5)
    with pytest.raises(ValueError, match="min_periods"):
        rolling_mean(v, 2, min_periods=3)
    with pytest.raises(ValueError, match="locus_scores"):
        rolling_mean(np.zeros((1, 4, 5)), 2)
    with pytest.raises(ValueError, match="infinite"):
        rolling_mean(np.array([1.0, np.inf]), 2)
    with pytest.raises(TypeError, match="torch.Tensor or numpy"):
        rolling_mean([1.0, 2.0], 2)
    with pytest.raises(TypeError, match="real numbers"):
        rolling_mean(np.zeros(3, dtype=complex), 2)


# ---------------------------------------------------------------- interval_scores


def test_interval_scores_by_hand():
    # Genome positions 101..110.
    track = np.array([0.0, 1.0, 2.0, 3.0, -4.0, 5.0, np.nan, 7.0, 8.0, 9.0])
    genes = [
        Interval("chr1", 101, 103, "+", "a"),  # 0, 1, 2
        Interval("chr1", 104, 106, "-", "b"),  # 3, -4, 5
        Interval("chr1", 107, 108, "+", "c"),  # nan, 7
        Interval("chr1", 95, 101, "+", "clipped_left"),  # 0
        Interval("chr1", 110, 130, "+", "clipped_right"),  # 9
        Interval("chr1", 107, 107, "+", "all_nan"),
        Interval("chr1", 1, 100, "+", "outside"),
    ]
    with pytest.warns(UserWarning, match="1 of 7 intervals lie wholly outside .*101-110"):
        res = interval_scores(track, genes, offset=101)
    assert isinstance(res, IntervalScores) and len(res) == 6
    assert list(res.name) == ["a", "b", "c", "clipped_left", "clipped_right", "all_nan"]
    np.testing.assert_array_equal(res.start, [101, 104, 107, 95, 110, 107])
    np.testing.assert_array_equal(res.n_positions, [3, 3, 2, 1, 1, 1])
    np.testing.assert_allclose(res.score, [1.0, 4 / 3, 7.0, 0.0, 9.0, np.nan])
    np.testing.assert_array_equal(res.rank, [4, 3, 2, 5, 1, 6])
    np.testing.assert_allclose(res.quantile, [0.4, 0.6, 0.8, 0.2, 1.0, np.nan])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = genes[:6]
        np.testing.assert_allclose(
            interval_scores(track, kept, 101, "sum").score, [3.0, 4.0, 7.0, 0.0, 9.0, np.nan]
        )
        np.testing.assert_allclose(
            interval_scores(track, kept, 101, "max").score, [2.0, 5.0, 7.0, 0.0, 9.0, np.nan]
        )
        np.testing.assert_allclose(
            interval_scores(track, kept, 101, "abs_mean").score, [1.0, 4.0, 7.0, 0.0, 9.0, np.nan]
        )
        ties = interval_scores(torch.ones(4), [Interval("c", 1, 2), Interval("c", 3, 4)])
        np.testing.assert_array_equal(ties.rank, [1, 1])
        np.testing.assert_array_equal(ties.quantile, [1.0, 1.0])
        assert len(interval_scores(track, [], 101)) == 0


def naive_interval(track, ivs, offset, reduce):
    scores, counts = [], []
    for iv in ivs:
        values = [track[p - offset] for p in range(iv.start, iv.end + 1)
                  if 0 <= p - offset < len(track)]
        counts.append(len(values))
        values = [v for v in values if not math.isnan(v)]
        if not values:
            scores.append(math.nan)
        elif reduce == "mean":
            scores.append(sum(values) / len(values))
        elif reduce == "sum":
            scores.append(sum(values))
        elif reduce == "max":
            scores.append(max(values))
        else:
            scores.append(sum(abs(v) for v in values) / len(values))
    return scores, counts


@SETTINGS
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 60),
    st.integers(1, 10**6),
    st.lists(st.tuples(st.integers(-20, 80), st.integers(0, 30)), max_size=12),
    st.sampled_from(["mean", "sum", "max", "abs_mean"]),
)
def test_interval_scores_matches_naive_loop(seed, length, offset, spans, reduce):
    rng = np.random.default_rng(seed)
    # Small integers keep every sum exact, so tied intervals tie exactly.
    track = rng.integers(-3, 4, size=length).astype(np.float64)
    track[rng.random(length) < 0.15] = np.nan
    ivs = [
        Interval("chrZ", max(1, offset + s), max(1, offset + s) + w, ".", f"g{k}")
        for k, (s, w) in enumerate(spans)
    ]
    inside = [iv for iv in ivs if iv.end >= offset and iv.start <= offset + length - 1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = interval_scores(torch.from_numpy(track), ivs, offset=offset, reduce=reduce)
    assert len(caught) == (len(inside) < len(ivs))
    scores, counts = naive_interval(track, inside, offset, reduce)
    assert list(res.name) == [iv.name for iv in inside]
    np.testing.assert_array_equal(res.n_positions, counts)
    np.testing.assert_array_equal(res.score, scores)
    finite = [s for s in scores if not math.isnan(s)]
    for k, s in enumerate(scores):
        if math.isnan(s):
            assert res.rank[k] == len(finite) + 1 and math.isnan(res.quantile[k])
        else:
            assert res.rank[k] == 1 + sum(f > s for f in finite)
            assert res.quantile[k] == sum(f <= s for f in finite) / len(finite)
    positions = [v for v in track.tolist() if not math.isnan(v)]
    if reduce == "abs_mean":
        positions = [abs(v) for v in positions]
    for k, s in enumerate(scores):
        if math.isnan(s):
            assert math.isnan(res.genome_quantile[k])
        else:
            expected = sum(v <= s for v in positions) / len(positions)
            assert res.genome_quantile[k] == pytest.approx(expected)


def test_interval_scores_tsv_is_atomic_and_round_trips(tmp_path):
    res = interval_scores(
        np.array([0.1, 0.2, np.nan, 1 / 3]),
        [Interval("chr1", 1, 2, name="g1"), Interval("chr1", 3, 4, name="g2"),
         Interval("chr1", 3, 3, name="g3")],
    )
    path = tmp_path / "genes.tsv"
    path.write_text("old content\n")
    res.to_tsv(path)
    rows = [line.split("\t") for line in path.read_text().splitlines()]
    assert rows[0] == ["name", "chrom", "start", "end", "n_positions", "score", "rank",
                       "quantile", "genome_quantile"]
    assert rows[1][:5] == ["g1", "chr1", "1", "2", "2"]
    assert float(rows[1][5]) == res.score[0] and float(rows[2][5]) == 1 / 3
    assert rows[3][5] == "nan" and rows[3][6] == "3" and rows[3][7] == "nan"
    assert os.listdir(tmp_path) == ["genes.tsv"]

    bad = IntervalScores(*(np.array([x]) for x in ("a\tb", "c", 1, 1, 1, 0.0, 1, 1.0)))
    with pytest.raises(ValueError, match="tab or line break"):
        bad.to_tsv(path)
    assert path.read_text().startswith("name\tchrom")
    assert os.listdir(tmp_path) == ["genes.tsv"]
    with pytest.raises(FileNotFoundError):
        res.to_tsv(tmp_path / "missing_dir" / "x.tsv")
    assert os.listdir(tmp_path) == ["genes.tsv"]


def test_interval_scores_errors_and_chromosomes():
    track = np.zeros(10)
    two_chroms = [Interval("chr1", 1, 2, name="a"), Interval("chr2", 1, 3, name="b")]
    with pytest.raises(ValueError, match="2 chromosomes .*chrom="):
        interval_scores(track, two_chroms)
    res = interval_scores(track, two_chroms, chrom="chr2")
    assert list(res.name) == ["b"] and list(res.chrom) == ["chr2"]
    with pytest.raises(ValueError, match="reduce must be one of"):
        interval_scores(track, two_chroms[:1], reduce="median")
    with pytest.raises(ValueError, match="offset must be >= 1"):
        interval_scores(track, two_chroms[:1], offset=0)
    with pytest.raises(ValueError, match=r"pass scores\[0\]"):
        interval_scores(track[None], two_chroms[:1])
    with pytest.raises(ValueError, match="infinite"):
        interval_scores(np.array([np.inf]), two_chroms[:1])
    with pytest.raises(ValueError, match="empty"):
        interval_scores(np.zeros(0), two_chroms[:1])
    with pytest.raises(TypeError, match="Interval-like"):
        interval_scores(track, [(1, 2)])
    with pytest.raises(TypeError, match="iterable of Interval"):
        interval_scores(track, "chr1:1-2")
    with pytest.raises(ValueError, match="differ in length"):
        IntervalScores(*(np.zeros(k) for k in (1, 1, 1, 1, 1, 1, 1, 1, 2)))


# ---------------------------------------------------------------- devices


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_results_stay_on_cuda():
    rng = np.random.default_rng(0)
    a = torch.from_numpy(rng.normal(size=(2, 4, 30))).float().cuda()
    x = random_one_hot(rng, 2, 30).float().cuda()
    for method in ("sum", "abs_sum", "max_abs"):
        out = locus_scores(a, method)
        assert out.is_cuda
        torch.testing.assert_close(out.cpu(), locus_scores(a.cpu(), method))
    assert locus_scores(a, "observed", inputs=x.cpu()).is_cuda
    assert correct_gradients(a).is_cuda
    assert hypothetical_scores(a, torch.full((1, 4, 30), 0.25)).is_cuda
    assert hypothetical_scores(a, np.full(4, 0.25)).is_cuda
    track = locus_scores(a)
    rolled = rolling_mean(track, 5)
    assert rolled.is_cuda
    torch.testing.assert_close(rolled.cpu(), rolling_mean(track.cpu(), 5))
    res = interval_scores(track[0], [Interval("c", 1, 10)])
    assert res.score[0] == pytest.approx(float(track[0, :10].mean()), rel=1e-5)
