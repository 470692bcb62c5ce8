"""Motif-recovery metrics on hand-built cases with known answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu

from captum_genomics.aggregate import correct_gradients
from captum_genomics.gggp import LocalDataset
from captum_genomics.metrics import (
    archive_quality,
    avg_match_percent,
    cosine_similarity,
    edit_distance_distribution,
    edit_distances,
    information_content,
    local_dataset_locality,
    local_dataset_quality,
    matched_locality,
    motif_recovery,
    off_simplex_angle,
    quality_components,
    score_matched_locality,
    signal_to_noise,
    surrogate_fidelity,
)
from captum_genomics.synthetic import (
    MOTIF_LENGTHS,
    MOTIFS,
    motif_length_series,
    planted_motif_dataset,
)


def one_hot_codes(codes: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.eye(4)[codes].transpose(0, 2, 1).copy()).float()


def test_avg_match_perfect_half_and_undefined():
    codes = np.array([[0, 1, 2, 3, 0, 1]])
    x = one_hot_codes(codes)
    mask = np.array([[False, True, True, True, True, False]])
    assert avg_match_percent(x.clone(), x, mask) == 100.0
    attr = x.clone()
    attr[0, :, 1] = torch.tensor([1.0, 0.0, 0.0, 0.0])  # wrong base at position 1
    attr[0, :, 2] = torch.tensor([0.0, 0.0, -1.0, 0.5])  # wrong base at position 2
    assert avg_match_percent(attr, x, mask) == 50.0
    with pytest.warns(UserWarning, match="undefined"):
        assert np.isnan(avg_match_percent(attr, x, np.zeros((1, 6), dtype=bool)))


def test_avg_match_averages_over_sequences_and_accepts_nlc():
    x = one_hot_codes(np.array([[0, 0, 0, 0], [1, 1, 1, 1]]))
    attr = x.clone()
    attr[1, :, 0] = torch.tensor([1.0, 0, 0, 0])
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    expected = 100 * (1.0 + 0.75) / 2
    assert avg_match_percent(attr, x, mask) == pytest.approx(expected)
    nlc = avg_match_percent(attr.transpose(1, 2), x.transpose(1, 2), mask, layout="NLC")
    assert nlc == pytest.approx(expected)
    with pytest.raises(ValueError, match="motif_mask"):
        avg_match_percent(attr, x, mask[:, :3])


def test_information_content_known_values():
    ic = information_content([[1, 0, 0, 0], [0.25] * 4, [0.5, 0.5, 0, 0]])
    np.testing.assert_allclose(ic, [2.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="sum to 1"):
        information_content([[0.5, 0.5, 0.5, 0]])


def test_recovery_perfect_inverted_and_ties():
    mask = np.array([[False, True, True, False, False]])
    perfect = motif_recovery([[0, 5, 4, 1, 2]], mask)
    assert perfect["auroc"] == 1.0 and perfect["aupr"] == 1.0
    inverted = motif_recovery([[9, 0, 1, 8, 7]], mask)
    assert inverted["auroc"] == 0.0
    assert inverted["aupr"] == pytest.approx((1 / 4 + 2 / 5) / 2)
    flat = motif_recovery(np.ones((1, 5)), mask)
    assert flat["auroc"] == 0.5 and flat["aupr"] == pytest.approx(2 / 5)


def test_recovery_excludes_low_information_motif_positions():
    mask = np.array([[False, True, True, False]])
    info = np.array([[0.0, 2.0, 0.05, 0.0]])
    scores = np.array([[0.0, 3.0, -9.0, 1.0]])
    out = motif_recovery(scores, mask, information=info)
    assert out["auroc"] == 1.0  # the low-information motif position is left out
    assert motif_recovery(scores, mask)["auroc"] == 0.5


def test_recovery_without_both_classes_is_nan():
    with pytest.warns(UserWarning, match="both"):
        out = motif_recovery(np.ones((2, 4)), np.zeros((2, 4), dtype=bool))
    assert np.isnan(out["auroc"]) and out["n_sequences"] == 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), length=st.integers(4, 60))
def test_auroc_agrees_with_mann_whitney(seed, length):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 5, size=length).astype(float)  # many ties
    mask = rng.random(length) < 0.3
    if mask.all() or not mask.any():
        mask[0], mask[-1] = True, False
    u = mannwhitneyu(scores[mask], scores[~mask]).statistic
    expected = u / (mask.sum() * (~mask).sum())
    assert motif_recovery(scores[None], mask[None])["auroc"] == pytest.approx(expected)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), length=st.integers(4, 40))
def test_aupr_agrees_with_definition(seed, length):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size=length).astype(float)
    labels = rng.random(length) < 0.4
    if not labels.any() or labels.all():
        labels[0], labels[-1] = True, False
    # step-wise precision-recall over distinct thresholds, high to low
    total, previous_recall = 0.0, 0.0
    for t in np.unique(scores)[::-1]:
        chosen = scores >= t
        precision = labels[chosen].mean()
        recall = labels[chosen].sum() / labels.sum()
        total += precision * (recall - previous_recall)
        previous_recall = recall
    assert motif_recovery(scores[None], labels[None])["aupr"] == pytest.approx(total)


# --- information content of probability maps ------------------------------------------------


def test_information_content_of_a_map_along_an_axis():
    ncl = np.full((2, 4, 3), 0.25)
    ncl[0, :, 1] = [0.0, 1.0, 0.0, 0.0]
    ncl[1, :, 2] = [0.5, 0.0, 0.5, 0.0]
    np.testing.assert_allclose(
        information_content(ncl, axis=1), [[0.0, 2.0, 0.0], [0.0, 0.0, 1.0]]
    )
    with pytest.raises(ValueError, match="along axis 1"):
        information_content(np.full((2, 3, 4), 0.25), axis=1)


# --- synthetic ground truth used by the metrics ---------------------------------------------


def test_probability_map_places_motif_rows_over_a_uniform_background():
    pwm = np.array([[0.7, 0.1, 0.1, 0.1], [0.0, 0.0, 1.0, 0.0]] * 5)
    data = planted_motif_dataset(8, length=60, motif=pwm, recurrent_every=20, seed=3)
    probs = data.probability_map().numpy()
    assert probs.shape == (8, 4, 60)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    mask = data.motif_mask.numpy()
    assert np.all(probs.transpose(0, 2, 1)[~mask] == 0.25)
    n, k = np.nonzero(data.motif_starts.numpy() >= 0)
    start = int(data.motif_starts[n[0], k[0]])
    np.testing.assert_allclose(probs[n[0], :, start : start + 10].T, pwm, atol=1e-6)
    nlc = planted_motif_dataset(8, length=60, motif=pwm, recurrent_every=20, seed=3,
                                layout="NLC").probability_map()
    assert torch.equal(nlc, data.probability_map().transpose(1, 2))


def test_motif_length_series_is_nested_and_seeded():
    series = motif_length_series()
    assert list(series) == list(MOTIF_LENGTHS) == list(range(9, 34, 3))
    assert all(len(m) == size for size, m in series.items())
    assert series[30] == MOTIFS["base"] and series[9] == MOTIFS["base"][:9]
    assert series[33].startswith(series[30])
    assert motif_length_series(seed=0) == series
    assert motif_length_series([40], seed=1) != motif_length_series([40], seed=2)
    with pytest.raises(ValueError, match="motif length"):
        motif_length_series([0])


# --- signal-to-noise ------------------------------------------------------------------------


def test_snr_known_values_and_centering():
    mask = np.array([[True, False, False, False, False]])
    scores = np.array([[3.0, 1.0, -1.0, 1.0, -1.0]])  # background mean 0, std 1
    assert signal_to_noise(scores, mask) == 3.0
    assert signal_to_noise(scores + 10, mask) == 13.0
    assert signal_to_noise(scores + 10, mask, center=True) == 3.0
    two = np.vstack([scores, 2 * scores - 4])  # second: motif 2, bg mean -4, std 2
    assert signal_to_noise(two, np.vstack([mask, mask])) == pytest.approx((3.0 + 1.0) / 2)


def test_snr_degenerate_cases():
    mask = np.array([[True, True, False, False]])
    with pytest.warns(UserWarning, match="undefined"):
        assert np.isnan(signal_to_noise(np.ones((1, 4)), np.zeros((1, 4), dtype=bool)))
    with pytest.warns(UserWarning, match="undefined"):
        assert np.isnan(signal_to_noise(np.full((1, 4), 2.0), mask, center=True))
    assert signal_to_noise([[5.0, 5.0, 0.0, 0.0]], mask) == np.inf
    with pytest.raises(ValueError, match="differ in shape"):
        signal_to_noise(np.ones((1, 4)), np.ones((1, 3), dtype=bool))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100.0), shift=st.floats(-50, 50))
def test_snr_scale_and_shift_invariance(seed, scale, shift):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(3, 30))
    mask = np.zeros((3, 30), dtype=bool)
    mask[:, 5:12] = True
    base = signal_to_noise(scores, mask)
    assert signal_to_noise(scale * scores, mask) == pytest.approx(base, rel=1e-9)
    centred = signal_to_noise(scores, mask, center=True)
    moved = signal_to_noise(scale * scores + shift, mask, center=True)
    assert moved == pytest.approx(centred, rel=1e-6, abs=1e-9)


# --- cosine similarity to the centred ground truth ------------------------------------------


def _one_motif_case():
    probs = np.full((1, 4, 6), 0.25)
    probs[0, :, 2:4] = [[1.0, 0.0], [0.0, 0.5], [0.0, 0.5], [0.0, 0.0]]
    mask = np.zeros((1, 6), dtype=bool)
    mask[0, 2:4] = True
    return probs, mask


def test_cosine_similarity_known_values():
    probs, mask = _one_motif_case()
    truth = probs - 0.25
    assert cosine_similarity(3.0 * truth, probs, mask) == pytest.approx(1.0)
    assert cosine_similarity(-truth, probs, mask) == pytest.approx(-1.0)
    # a constant shift over the bases is orthogonal to the centred truth
    assert cosine_similarity(np.ones((1, 4, 6)), probs, mask) == pytest.approx(0.0)
    shifted = truth + 0.4
    expected = (truth[mask[:, None, :].repeat(4, 1)] ** 2).sum() / (
        np.linalg.norm(truth[0][:, 2:4]) * np.linalg.norm(shifted[0][:, 2:4])
    )
    assert cosine_similarity(shifted, probs, mask) == pytest.approx(expected)
    # attribution only on the observed base A at position 2: 0.75 / (1 * ||truth||)
    observed = np.zeros((1, 4, 6))
    observed[0, 0, 2] = 1.0
    assert cosine_similarity(observed, probs, mask) == pytest.approx(
        0.75 / np.linalg.norm(truth[0][:, 2:4])
    )
    noisy = truth.copy()
    noisy[0, :, [0, 5]] = 9.0  # background positions are not scored
    assert cosine_similarity(noisy, probs, mask) == pytest.approx(1.0)
    nlc = cosine_similarity(truth.transpose(0, 2, 1), probs.transpose(0, 2, 1), mask,
                            layout="NLC")
    assert nlc == pytest.approx(1.0)


def test_cosine_similarity_degenerate_and_bad_inputs():
    probs, mask = _one_motif_case()
    with pytest.warns(UserWarning, match="undefined"):
        assert np.isnan(cosine_similarity(probs - 0.25, probs, np.zeros_like(mask)))
    with pytest.warns(UserWarning, match="undefined"):
        assert np.isnan(cosine_similarity(np.zeros((1, 4, 6)), probs, mask))
    with pytest.warns(UserWarning, match="undefined"):  # uniform ground truth: nothing to match
        assert np.isnan(cosine_similarity(probs, np.full((1, 4, 6), 0.25), mask))
    with pytest.raises(ValueError, match="sum to 1"):
        cosine_similarity(probs, np.zeros((1, 4, 6)), mask)
    with pytest.raises(ValueError, match="motif_mask"):
        cosine_similarity(probs, probs, mask[:, :4])


def test_cosine_similarity_on_planted_data_with_a_pwm():
    pwm = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.1, 0.1, 0.7]] * 5)
    data = planted_motif_dataset(6, length=50, motif=pwm, seed=1)
    probs = data.probability_map()
    assert cosine_similarity(probs - 0.25, probs, data.motif_mask) == pytest.approx(1.0)
    # two sequences with motifs, averaged: one perfect, one anti-correlated
    attr = probs - 0.25
    pos = torch.nonzero(data.labels).flatten()
    attr[pos[0]] *= -1
    expected = (len(pos) - 2) / len(pos)
    assert cosine_similarity(attr, probs, data.motif_mask) == pytest.approx(expected)


# --- off-simplex angle ----------------------------------------------------------------------


def test_off_simplex_angle_known_geometry():
    g = torch.tensor([[[1.0, 1.0, 1.0, 0.0], [1.0, -1.0, 0.0, 0.0],
                       [1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]])
    angles = off_simplex_angle(g)
    # (1,1,1,1): straight off; (1,-1,0,0): in the plane; (1,0,0,0): arcsin(2 * 1/4 / 1)
    np.testing.assert_allclose(angles[0, :3], [90.0, 0.0, 30.0], atol=1e-9)
    assert np.isnan(angles[0, 3])
    np.testing.assert_allclose(off_simplex_angle(g, degrees=False)[0, :3],
                               [np.pi / 2, 0.0, np.pi / 6], atol=1e-12)
    np.testing.assert_allclose(off_simplex_angle(g.transpose(1, 2), layout="NLC"), angles)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.001, 1000.0))
def test_off_simplex_angle_range_scale_and_correction(seed, scale):
    g = torch.from_numpy(np.random.default_rng(seed).normal(size=(2, 4, 9)))
    angles = off_simplex_angle(g)
    assert np.all((angles >= 0) & (angles <= 90))
    np.testing.assert_allclose(off_simplex_angle(scale * g), angles, atol=1e-6)
    np.testing.assert_allclose(off_simplex_angle(correct_gradients(g)), 0.0, atol=1e-5)
    # sine of the angle = |component along the unit normal (1,1,1,1)/2| / |g|
    normal = g.sum(dim=1).abs().numpy() / 2
    np.testing.assert_allclose(np.sin(np.radians(angles)),
                               normal / g.norm(dim=1).numpy(), atol=1e-9)


# --- edit distances -------------------------------------------------------------------------


def _levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def test_edit_distances_known_values_and_capping():
    seqs = ["ACGT", "AGT", "ACGTT", "TTTT", "", "acgn", "GATTACA"]
    assert edit_distances(seqs, "ACGT").tolist() == [0, 1, 1, 3, 4, 1, 6]
    assert edit_distances(seqs, "ACGT", max_distance=2).tolist() == [0, 1, 1, 3, 3, 1, 3]
    assert edit_distances([np.array([0, 1, 2, 3], dtype=np.uint8)], "ACGA").tolist() == [1]
    assert edit_distances([], "ACGT").shape == (0,)
    assert edit_distances(["ACG"], "").tolist() == [3]
    with pytest.raises(ValueError, match="outside ACGTN"):
        edit_distances(["ACGX"], "ACGT")
    with pytest.raises(ValueError, match="max_distance"):
        edit_distances(["ACGT"], "ACGT", max_distance=-1)


@settings(max_examples=40, deadline=None)
@given(
    ref=st.text("ACGT", max_size=14),
    seqs=st.lists(st.text("ACGTN", max_size=16), min_size=1, max_size=5),
    cap=st.one_of(st.none(), st.integers(0, 6)),
)
def test_edit_distances_match_plain_dynamic_programme(ref, seqs, cap):
    expected = np.array([_levenshtein(ref, s) for s in seqs])
    if cap is not None:
        expected = np.minimum(expected, cap + 1)
    np.testing.assert_array_equal(edit_distances(seqs, ref, max_distance=cap), expected)


def _five_edits_dataset():
    """Five phenotypes at edit distances 1, 2, 3, 5 and 0 from a 20-nt reference; the model
    inputs are padded to the reference length with N, which the metrics must not see."""
    reference = "ACGTACGTACGTACGTACGT"
    phenotypes = ["SNV[2,A]", "Deletion[3,5]", "Insertion[4,GT]|SNV[10,T]",
                  "SNV[1,A]|SNV[5,A]|Deletion[12,15]", ""]
    n = len(phenotypes)
    dataset = LocalDataset(reference, phenotypes, ["N" * 20] * n, np.linspace(0, 1, n),
                           np.zeros(n), np.zeros(n))
    return reference, dataset


def test_edit_distance_distribution_of_a_local_dataset():
    reference, dataset = _five_edits_dataset()
    out = edit_distance_distribution(dataset)
    assert out["distances"].tolist() == [1, 2, 3, 5, 0]
    assert out["counts"].tolist() == [1, 1, 1, 1, 0, 1]
    assert out["mean"] == pytest.approx(11 / 5) and out["median"] == 2.0 and out["max"] == 5
    with pytest.raises(ValueError, match="no rows"):
        edit_distance_distribution(LocalDataset(reference, [], [], [], [], []))


def test_local_dataset_locality_of_a_dataset_and_of_a_search_result():
    from captum_genomics.gggp import Grammar, SearchSettings, search

    reference, dataset = _five_edits_dataset()
    out = local_dataset_locality(dataset)
    assert out["mean_edit_distance"] == pytest.approx(11 / 5)
    assert out["median_edit_distance"] == 2.0
    assert out["mean_units"] == pytest.approx(7 / 5) and out["n"] == 5
    empty = LocalDataset(reference, [], [], [], [], [])
    assert np.isnan(local_dataset_locality(empty)["mean_units"])

    def scorer(batch):
        return (batch.sequences[:, :40] == 0).mean(axis=1)

    result = search("ACGT" * 20, scorer, grammar=Grammar(), seed=1,
                    settings=SearchSettings(population_size=30, max_evaluations=200))
    from_result = local_dataset_locality(result)
    assert from_result == result.locality and from_result["n"] == len(result.archive) > 0
    as_dataset = local_dataset_locality(LocalDataset.from_search(result))
    assert as_dataset["mean_edit_distance"] == pytest.approx(from_result["mean_edit_distance"])
    assert as_dataset["mean_edit_distance"] == pytest.approx(
        edit_distance_distribution(LocalDataset.from_search(result))["mean"]
    )


def test_matched_locality_of_search_results_and_datasets():
    from captum_genomics.gggp import Grammar, SearchSettings, individual_edit_distances, search

    def scorer(batch):
        return (batch.sequences[:, :40] == 0).mean(axis=1)

    runs = [
        search("ACGT" * 20, scorer, grammar=Grammar(), seed=seed,
               settings=SearchSettings(strategy=strategy, population_size=30,
                                       max_evaluations=200))
        for seed, strategy in ((1, "gggp"), (2, "random"))
    ]
    out = matched_locality(*runs)
    assert out["mean_edit_distance"] == pytest.approx(runs[0].locality["mean_edit_distance"])
    assert out["baseline_mean_edit_distance"] == pytest.approx(
        runs[1].locality["mean_edit_distance"])
    population, scores, _, _ = runs[0].archive.entries()
    base_population, base_scores, _, _ = runs[1].archive.entries()
    expected = score_matched_locality(
        individual_edit_distances(runs[0].space, population), scores,
        individual_edit_distances(runs[1].space, base_population), base_scores)
    assert out["edit_distance"] == pytest.approx(expected["edit_distance"])
    assert out["shared_bins"] == expected["shared_bins"] > 0
    as_datasets = matched_locality(*(LocalDataset.from_search(r) for r in runs))
    assert as_datasets["edit_distance"] == pytest.approx(out["edit_distance"])
    assert matched_locality(runs[0], runs[0])["edit_distance"] == pytest.approx(
        runs[0].locality["mean_edit_distance"])
    other = search("TTGCA" * 16, scorer, grammar=Grammar(), seed=1,
                   settings=SearchSettings(population_size=30, max_evaluations=100))
    with pytest.raises(ValueError, match="different references"):
        matched_locality(runs[0], other)
    reference, _ = _five_edits_dataset()
    with pytest.raises(ValueError, match="no perturbations"):
        matched_locality(LocalDataset(reference, [], [], [], [], []), runs[0])
    # the bins default to the search's: scores on another range are binned on it
    shifted = [dataclasses.replace(r, archive=_shifted_archive(r.archive, 10.0),
                                   settings=dataclasses.replace(r.settings,
                                                                score_range=(10.0, 11.0)))
               for r in runs]
    assert matched_locality(*shifted)["edit_distance"] == pytest.approx(out["edit_distance"])
    with pytest.raises(ValueError, match="outside score_range"):
        matched_locality(*shifted, score_range=(0.0, 1.0))
    coarse = score_matched_locality(
        individual_edit_distances(runs[0].space, population), scores,
        individual_edit_distances(runs[1].space, base_population), base_scores, n_bins=2)
    assert coarse["shared_bins"] < out["shared_bins"]
    assert matched_locality(*runs, n_bins=2) == {
        **coarse, "mean_edit_distance": out["mean_edit_distance"],
        "baseline_mean_edit_distance": out["baseline_mean_edit_distance"]}


def _shifted_archive(archive, shift: float):
    """A copy of ``archive`` with every score moved by ``shift``, binned on the moved range."""
    from captum_genomics.gggp import Archive, Binning

    binning = archive.binning
    moved = Archive(Binning(binning.n_bins, binning.low + shift, binning.high + shift,
                            binning.n_sub_bins), archive.target_size, archive.min_per_bin)
    population, scores, generations, fitness = archive.entries()
    moved.add([bytes([i % 256, i // 256]) for i in range(len(scores))], scores + shift,
              population, generations, fitness)
    return moved


# --- local-dataset quality and surrogate fidelity -------------------------------------------


def _dataset_with_scores(scores, settings=None):
    n = len(scores)
    provenance = {} if settings is None else {"settings": settings}
    return LocalDataset("ACGT", [""] * n, ["ACGT"] * n, scores, np.zeros(n), np.zeros(n),
                        provenance)


def test_local_dataset_quality_reads_the_search_binning():
    settings = {"n_bins": 4, "n_sub_bins": 2, "score_range": [0.0, 1.0], "archive_size": 8,
                "min_per_bin": 2}
    centres = (np.arange(8) + 0.5) / 8  # one score in each sub-bin of each bin
    perfect = local_dataset_quality(_dataset_with_scores(centres, settings))
    assert perfect.quality == pytest.approx(1.0)
    assert perfect == quality_components(centres, n_bins=4, n_sub_bins=2, target_size=8,
                                         min_per_bin=2)
    # everything in one sub-bin of one bin: size 1, uniformity 0, diversity 0, coverage 1/4
    lumped = local_dataset_quality(_dataset_with_scores(np.full(8, 0.1), settings))
    assert lumped.size == 1.0 and lumped.uniformity == 0.0 and lumped.diversity == 0.0
    assert lumped.coverage == pytest.approx(0.25)
    assert lumped.quality == pytest.approx(0.3 + 0.2 * 0.25)
    # without recorded settings the search defaults apply (40 bins, target 5000)
    default = local_dataset_quality(_dataset_with_scores(centres))
    assert default.quality == pytest.approx(archive_quality(centres))
    assert default.size == pytest.approx(8 / 5000)


def test_surrogate_fidelity_known_values():
    observed = np.array([0.1, 0.4, 0.2, 0.9])
    perfect = surrogate_fidelity(observed, observed)
    assert perfect["r2"] == 1.0 and perfect["spearman"] == pytest.approx(1.0)
    mean_only = surrogate_fidelity(np.full(4, observed.mean()), observed)
    assert mean_only["r2"] == pytest.approx(0.0) and np.isnan(mean_only["spearman"])
    assert np.isnan(surrogate_fidelity(observed, np.ones(4))["r2"])
