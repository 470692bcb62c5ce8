"""How well an attribution recovers known ground truth, and how good a local dataset is.

Ground-truth metrics take any Captum attribution of one-hot DNA (torch or NumPy, layout
``"NCL"`` (N, 4, L) or ``"NLC"`` (N, L, 4)) or per-position scores (N, L) derived from it,
e.g. ``locus_scores(attr, "sum")``, together with the planted-motif ground truth of
:func:`captum_genomics.synthetic.planted_motif_dataset`:

- :func:`avg_match_percent`: Avg.Match% of the deepG study;
- :func:`motif_recovery`: AUROC and AUPR against motif positions (Koo & Ploenzke 2021);
- :func:`signal_to_noise`: motif signal over background noise;
- :func:`cosine_similarity`: agreement with the centred ground-truth probabilities
  (Majdandzic et al. 2023);
- :func:`off_simplex_angle`: angle between gradients and the simplex of one-hot DNA
  (Majdandzic et al. 2023).

Local-dataset metrics (GGGP perturbation datasets): :func:`archive_quality`,
:func:`quality_components` and :func:`local_dataset_quality` (archive quality and its parts),
:func:`edit_distances`, :func:`edit_distance_distribution` and :func:`local_dataset_locality`
(how far the perturbations lie from the input: mean and median edit distance, mean units),
:func:`score_matched_locality` and :func:`matched_locality` (two datasets' edit distances
compared at equal scores),
:func:`surrogate_fidelity` (agreement of a surrogate with the model).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import torch

from captum_genomics.dna.codec import check_one_hot
from captum_genomics.gggp.archive import QualityComponents, archive_quality, quality_components
from captum_genomics.gggp.dataset import LocalDataset
from captum_genomics.gggp.grammar import Grammar, encode_sequence
from captum_genomics.gggp.locality import (
    edit_distances,
    individual_edit_distances,
    locality_statistics,
    score_matched_locality,
)
from captum_genomics.gggp.search import SearchSettings
from captum_genomics.surrogates import fidelity as surrogate_fidelity

__all__ = [
    "QualityComponents",
    "archive_quality",
    "avg_match_percent",
    "cosine_similarity",
    "edit_distance_distribution",
    "edit_distances",
    "information_content",
    "local_dataset_locality",
    "local_dataset_quality",
    "matched_locality",
    "motif_recovery",
    "off_simplex_angle",
    "quality_components",
    "score_matched_locality",
    "signal_to_noise",
    "surrogate_fidelity",
]


def _as_numpy(x, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (N, L) or (L,), got {arr.shape}")
    return arr


def _scores_and_mask(scores, motif_mask) -> tuple[np.ndarray, np.ndarray]:
    """Validated (N, L) float scores and bool motif mask of the same shape."""
    s = _as_numpy(scores, "scores").astype(float)
    mask = _as_numpy(motif_mask, "motif_mask").astype(bool)
    if s.shape != mask.shape:
        raise ValueError(f"scores {s.shape} and motif_mask {mask.shape} differ in shape")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or infinite values")
    return s, mask


def avg_match_percent(attributions, inputs, motif_mask, layout: str = "NCL") -> float:
    """Avg.Match%: how often the top-attributed base is the motif's base.

    At each ground-truth motif position, take the base with the largest
    attribution; the score is the percentage of positions where it is the
    observed (planted) base, averaged over sequences that hold a motif (the
    deepG study's definition). Meaningful for baselines that give every base an
    attribution (0.25, shuffles); with the zero baseline the unobserved bases
    are exactly 0 and the metric degenerates.

    Parameters
    ----------
    attributions : torch.Tensor, shape (N, 4, L) or (N, L, 4)
        Per-base attributions in ``layout``.
    inputs : torch.Tensor, shape like ``attributions``
        The one-hot inputs that were explained.
    motif_mask : array-like of bool, shape (N, L)
        True at ground-truth motif positions.
    layout : {"NCL", "NLC"}, default "NCL"

    Returns
    -------
    float
        Percentage in [0, 100]; NaN (with a warning) when no sequence has a motif.
    """
    attr = check_one_hot(attributions, layout=layout, name="attributions")
    x = check_one_hot(inputs, layout=layout)
    if attr.shape != x.shape:
        raise ValueError(
            f"attributions {tuple(attr.shape)} and inputs {tuple(x.shape)} differ in shape"
        )
    mask = torch.as_tensor(_as_numpy(motif_mask, "motif_mask"), dtype=torch.bool,
                           device=x.device)
    if mask.shape != (x.shape[0], x.shape[2]):
        raise ValueError(f"motif_mask must have shape (N, L) = {(x.shape[0], x.shape[2])}")
    hit = (attr.argmax(dim=1) == x.argmax(dim=1)) & mask
    per_sequence = mask.sum(dim=1)
    has_motif = per_sequence > 0
    if not has_motif.any():
        warnings.warn("no motif position in motif_mask; Avg.Match% is undefined", stacklevel=2)
        return float("nan")
    rates = hit.sum(dim=1)[has_motif].double() / per_sequence[has_motif].double()
    return float(100.0 * rates.mean())


def information_content(probabilities, background=None, axis: int = -1) -> np.ndarray:
    """Information content in bits of each position of a probability matrix or map.

    Parameters
    ----------
    probabilities : array-like, shape (M, 4), or any shape with 4 entries along ``axis``
        Per-position base probabilities (A, C, G, T summing to 1 along ``axis``), e.g. a
        PWM (M, 4) or a ground-truth map (N, 4, L) with ``axis=1`` (see
        :meth:`~captum_genomics.synthetic.PlantedMotifData.probability_map`).
    background : array-like, shape (4,), optional
        Background base frequencies; uniform by default.
    axis : int, default -1
        Axis holding the four bases.

    Returns
    -------
    numpy.ndarray, shape of ``probabilities`` without ``axis``, e.g. (M,) or (N, L)
        Kullback–Leibler divergence from the background, in bits (2 bits for a
        fixed base against a uniform background, 0 for a uniform column).
    """
    if isinstance(probabilities, torch.Tensor):
        probabilities = probabilities.detach().cpu().numpy()
    p = np.asarray(probabilities, dtype=float)
    if p.ndim == 0 or not -p.ndim <= axis < p.ndim or p.shape[axis] != 4:
        raise ValueError(
            f"probabilities must hold the 4 bases A, C, G, T along axis {axis}, e.g. shape "
            f"(M, 4); got shape {p.shape}"
        )
    p = np.moveaxis(p, axis, -1)
    if np.any(p < 0) or not np.allclose(p.sum(axis=-1), 1.0, atol=1e-6):
        raise ValueError("each row of probabilities must be non-negative and sum to 1")
    q = np.full(4, 0.25) if background is None else np.asarray(background, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p / q), 0.0)
    return terms.sum(axis=-1)


def _auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann–Whitney AUROC with average ranks for ties."""
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(scores)]
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    n_pos = labels.sum()
    n_neg = len(labels) - n_pos
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Average precision (area under the step precision–recall curve), ties grouped."""
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], labels[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    true_pos = np.cumsum(y)[last_of_tie]
    precision = true_pos / (last_of_tie + 1)
    recall_gain = np.diff(np.r_[0, true_pos]) / y.sum()
    return float((precision * recall_gain).sum())


def motif_recovery(scores, motif_mask, information=None, threshold: float = 0.1) -> dict:
    """AUROC and AUPR of per-position scores against ground-truth motif positions.

    Following Koo & Ploenzke (2021): positives are motif positions whose
    information content exceeds ``threshold`` bits, negatives are background
    positions (outside every motif), and low-information motif positions are
    left out. Both are computed per sequence and averaged over sequences that
    have positives and negatives.

    Parameters
    ----------
    scores : array-like, shape (N, L)
        Per-position importance (e.g. ``locus_scores(attr, "sum")``); larger
        means more important. Use absolute values for two-signed scores.
    motif_mask : array-like of bool, shape (N, L)
        True at planted motif positions.
    information : array-like, shape (N, L), optional
        Information content (bits) of each motif position; without it every
        motif position is a positive.
    threshold : float, default 0.1
        Minimum information content of a positive.

    Returns
    -------
    dict
        ``{"auroc": float, "aupr": float, "n_sequences": int}``; NaN scores (with
        a warning) when no sequence has both classes.
    """
    s, mask = _scores_and_mask(scores, motif_mask)
    positive = mask.copy()
    if information is not None:
        info = _as_numpy(information, "information")
        if info.shape != s.shape:
            raise ValueError(f"information {info.shape} must have the shape of scores {s.shape}")
        positive &= info > threshold
    negative = ~mask
    aurocs, auprs = [], []
    for row, pos, neg in zip(s, positive, negative):
        if pos.any() and neg.any():
            keep = pos | neg
            aurocs.append(_auroc(row[keep], pos[keep]))
            auprs.append(_average_precision(row[keep], pos[keep]))
    if not aurocs:
        warnings.warn("no sequence has both motif and background positions", stacklevel=2)
        return {"auroc": float("nan"), "aupr": float("nan"), "n_sequences": 0}
    return {"auroc": float(np.mean(aurocs)), "aupr": float(np.mean(auprs)),
            "n_sequences": len(aurocs)}


def _masked_moments(s: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row count, mean and (population) standard deviation of ``s`` where ``mask``."""
    count = mask.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(mask, s, 0.0).sum(axis=1) / count
        var = np.where(mask, (s - mean[:, None]) ** 2, 0.0).sum(axis=1) / count
    return count, mean, np.sqrt(var)


def signal_to_noise(scores, motif_mask, center: bool = False) -> float:
    """Signal-to-noise ratio of per-position scores: motif signal over background spread.

    For each sequence with both motif and background positions,

    ``SNR = mean(s[motif]) / std(s[background])``   (``center=False``, the default), or
    ``SNR = (mean(s[motif]) - mean(s[background])) / std(s[background])``   (``center=True``),

    with the population standard deviation (``ddof=0``); the result is the mean over those
    sequences. The default follows the signal-to-noise ratio of Majdandzic et al. (2023)
    as this package defines it (their code may normalise differently): background
    attributions of a well-behaved method scatter around zero, so the background spread is
    the noise floor the motif must rise above. ``center=True`` makes the ratio invariant to
    a constant offset of the scores: it is the z-score of the mean motif score against the
    background distribution, the better choice for magnitudes (``abs_sum``) whose
    background mean is not zero.

    Parameters
    ----------
    scores : array-like, shape (N, L) or (L,)
        Per-position importance, e.g. ``locus_scores(attr, "sum")``.
    motif_mask : array-like of bool, shape like ``scores``
        True at ground-truth motif positions; every other position is background.
    center : bool, default False
        Subtract the background mean from the motif mean.

    Returns
    -------
    float
        Mean SNR over sequences holding both classes. A sequence whose background is
        constant (zero spread) gives ``+inf`` or ``-inf`` when its numerator is non-zero
        and is left out when it is zero as well (0/0, e.g. all-equal scores). NaN, with a
        warning, when no sequence is left.

    Examples
    --------
    >>> signal_to_noise([[3.0, 1.0, -1.0, 1.0, -1.0]], [[True, False, False, False, False]])
    3.0
    """
    s, mask = _scores_and_mask(scores, motif_mask)
    n_pos, mean_pos, _ = _masked_moments(s, mask)
    n_neg, mean_neg, std_neg = _masked_moments(s, ~mask)
    usable = (n_pos > 0) & (n_neg > 0)
    numerator = mean_pos - mean_neg if center else mean_pos
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator[usable] / std_neg[usable]
    ratio = ratio[~np.isnan(ratio)]
    if ratio.size == 0:
        warnings.warn(
            "no sequence has motif and background positions with a defined ratio "
            "(no motif, or all-equal scores); SNR is undefined",
            stacklevel=2,
        )
        return float("nan")
    return float(ratio.mean())


def cosine_similarity(attributions, probabilities, motif_mask, layout: str = "NCL") -> float:
    """Cosine similarity of attribution maps to the centred ground truth at motif positions.

    Following Majdandzic et al. (2023), the ground truth is the base-probability matrix
    centred per position, ``p[:, c, l] - 0.25`` (the mean over the four bases removed), and
    each sequence's attribution map is compared with it over its motif positions only:

    ``cos_n = <a_n, p_n - 1/4>_M / (||a_n||_M ||p_n - 1/4||_M)``,

    where ``<., .>_M`` and ``||.||_M`` run over the 4 bases at the motif positions ``M`` of
    sequence ``n``. The attributions are *not* centred, so a gradient component off the
    simplex (see :func:`off_simplex_angle`) lowers the score: this is how the metric shows
    the benefit of gradient correction. The result is the mean over sequences with a motif.

    Parameters
    ----------
    attributions : torch.Tensor or numpy.ndarray, shape (N, 4, L) or (N, L, 4)
        Per-base attributions in ``layout``, e.g. hypothetical scores or corrected gradients
        (a map that is non-zero only at the observed base can still agree partly).
    probabilities : torch.Tensor or numpy.ndarray, shape like ``attributions``
        Ground-truth base probabilities per position (each position sums to 1), e.g.
        :meth:`~captum_genomics.synthetic.PlantedMotifData.probability_map`.
    motif_mask : array-like of bool, shape (N, L)
        True at ground-truth motif positions.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of ``attributions`` and ``probabilities``.

    Returns
    -------
    float
        Mean cosine similarity in [-1, 1]. Sequences whose attributions (or centred ground
        truth, e.g. a uniform PWM) are all zero over the motif are left out; NaN with a
        warning when no sequence is left (no motif, or nothing to compare).
    """
    a = check_one_hot(attributions, layout=layout, name="attributions").double().cpu()
    p = check_one_hot(probabilities, layout=layout, name="probabilities").double().cpu()
    if a.shape != p.shape:
        raise ValueError(
            f"attributions {tuple(a.shape)} and probabilities {tuple(p.shape)} differ in "
            "shape (both shown as (N, 4, L))"
        )
    if bool(((p.sum(dim=1) - 1).abs() > 1e-5).any() or (p < 0).any()):
        raise ValueError(
            "probabilities must be non-negative and sum to 1 over A, C, G, T at every "
            "position; pass data.probability_map(), not the one-hot inputs of N positions"
        )
    mask = torch.as_tensor(_as_numpy(motif_mask, "motif_mask"), dtype=torch.bool)
    if mask.shape != (a.shape[0], a.shape[2]):
        raise ValueError(f"motif_mask must have shape (N, L) = {(a.shape[0], a.shape[2])}")
    truth = (p - 0.25) * mask[:, None, :]
    a = a * mask[:, None, :]
    dot = (a * truth).sum(dim=(1, 2))
    norms = a.flatten(1).norm(dim=1) * truth.flatten(1).norm(dim=1)
    usable = norms > 0
    if not bool(usable.any()):
        warnings.warn(
            "no sequence has a motif with non-zero attributions and ground truth; cosine "
            "similarity is undefined",
            stacklevel=2,
        )
        return float("nan")
    return float((dot[usable] / norms[usable]).mean())


def off_simplex_angle(gradients, layout: str = "NCL", degrees: bool = True) -> np.ndarray:
    r"""Angle between each position's gradient and the simplex of one-hot DNA.

    Geometry (Majdandzic et al. 2023): one-hot columns and every mixture of them lie on
    the plane :math:`\{x \in \mathbb{R}^4 : \sum_c x_c = 1\}`, whose unit normal is
    :math:`n = \tfrac12 (1, 1, 1, 1)`. The component of a gradient column :math:`g` along
    the normal is :math:`g \cdot n = \tfrac12 \sum_c g_c = 2\,\bar g` with
    :math:`\bar g` the mean over the four bases, and the angle :math:`\theta` between
    :math:`g` and the plane satisfies :math:`\sin\theta = |g \cdot n| / \lVert g \rVert`, so

    .. math:: \theta = \arcsin\!\left( \frac{2\,|\bar g|}{\lVert g \rVert_2} \right)
              \in [0°, 90°].

    0° means the gradient lies in the simplex (only changes between bases matter); 90°
    means it points straight off it (all four bases move together, which no sequence
    can do). :func:`captum_genomics.correct_gradients` removes the normal component and
    so brings every angle to 0°.

    Parameters
    ----------
    gradients : torch.Tensor or numpy.ndarray, shape (N, 4, L) or (N, L, 4)
        Gradients (e.g. Captum ``Saliency(abs=False)`` or IG with
        ``multiply_by_inputs=False``) in ``layout``.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of ``gradients``.
    degrees : bool, default True
        Return degrees; radians otherwise.

    Returns
    -------
    numpy.ndarray, shape (N, L), float64
        The angle at each position; NaN where the gradient is exactly zero (no direction).

    Examples
    --------
    >>> g = torch.tensor([[[1.0], [1.0], [1.0], [1.0]]])   # all bases together
    >>> off_simplex_angle(g)
    array([[90.]])
    """
    g = check_one_hot(gradients, layout=layout, name="gradients").double().cpu().numpy()
    norm = np.linalg.norm(g, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sine = np.where(norm > 0, 2.0 * np.abs(g.mean(axis=1)) / norm, np.nan)
    angle = np.arcsin(np.clip(sine, 0.0, 1.0))
    return np.degrees(angle) if degrees else angle


def local_dataset_quality(dataset: LocalDataset) -> QualityComponents:
    """Archive quality of a GGGP local dataset, binned as its search binned it.

    Parameters
    ----------
    dataset : LocalDataset
        A local dataset (e.g. from ``GGGPPerturbationExplainer.generate``); the bins,
        sub-bins, score range, target size and coverage threshold are read from
        ``dataset.provenance["settings"]``, with :class:`~captum_genomics.gggp.SearchSettings`
        defaults for any that is missing.

    Returns
    -------
    QualityComponents
        ``quality = 0.3 size + 0.3 uniformity + 0.2 diversity + 0.2 coverage`` and its
        parts (see :func:`quality_components`).
    """
    settings = _search_settings(dataset)
    return quality_components(
        dataset.scores,
        n_bins=int(settings["n_bins"]),
        score_range=tuple(settings["score_range"]),
        n_sub_bins=int(settings["n_sub_bins"]),
        target_size=int(settings["archive_size"]),
        min_per_bin=int(settings["min_per_bin"]),
    )


def _search_settings(data) -> dict:
    """The settings a dataset's or result's search ran with (``SearchSettings`` defaults for
    any a dataset's provenance lacks)."""
    if not isinstance(data, LocalDataset):
        return data.settings.describe()
    settings = {f.name: f.default for f in dataclasses.fields(SearchSettings)}
    settings.update(data.provenance.get("settings") or {})
    return settings


def local_dataset_locality(data, grammar: Grammar | None = None) -> dict:
    """How close a local dataset stays to its input: the companion of
    :func:`local_dataset_quality` (GGGP archives should be as close as random sampling's or
    closer at equal quality).

    Parameters
    ----------
    data : LocalDataset or SearchResult
        ``n`` perturbations of one reference (a dataset is parsed back from its phenotypes).
    grammar : Grammar, optional
        Grammar whose unit kinds wrote a dataset's phenotypes (default: the built-in kinds).

    Returns
    -------
    dict
        ``mean_edit_distance``, ``median_edit_distance`` (exact Levenshtein distances of the
        edited sequences, unpadded, to the reference), ``mean_units`` and ``n``.
    """
    reference, population, _ = _perturbations(data, grammar)
    return locality_statistics(reference, population)


def _perturbations(data, grammar: Grammar | None):
    """Reference codes, individuals (``None`` when empty) and scores of a dataset or result."""
    if isinstance(data, LocalDataset):
        population = data.population(grammar or Grammar()) if len(data) else None
        return encode_sequence(data.reference), population, np.asarray(data.scores, float)
    population, scores, _, _ = data.archive.entries()
    return data.space.reference, population, scores


def matched_locality(
    data,
    baseline,
    grammar: Grammar | None = None,
    *,
    n_bins: int | None = None,
    score_range: tuple[float, float] | None = None,
) -> dict:
    """Edit distances of a local dataset and a baseline's compared at equal scores.

    Plain mean edit distances penalise a dataset for covering scores far from the input's,
    which take more edits to reach; this compares the two bin by bin
    (:func:`score_matched_locality`), e.g. a GGGP archive against random sampling's.

    Parameters
    ----------
    data, baseline : LocalDataset or SearchResult
        Perturbations of the same reference (datasets are parsed back from their phenotypes).
    grammar : Grammar, optional
        Grammar whose unit kinds wrote the datasets' phenotypes (default: built-in kinds).
    n_bins : int, optional
        Score bins (default: those ``data``'s search binned its archive with, 40).
    score_range : (float, float), optional
        Range of the bins (default: ``data``'s search's, ``(0, 1)`` for probabilities).

    Returns
    -------
    dict
        As :func:`score_matched_locality`, plus ``mean_edit_distance`` and
        ``baseline_mean_edit_distance`` (the plain means).

    Raises
    ------
    ValueError
        If the two hold different references, or either is empty.
    """
    sides = []
    for name, item in (("data", data), ("baseline", baseline)):
        reference, population, scores = _perturbations(item, grammar)
        if population is None:
            raise ValueError(f"{name} holds no perturbations; there is nothing to compare")
        sides.append((reference, individual_edit_distances(reference, population), scores))
    (reference, distances, scores), (base_reference, base_distances, base_scores) = sides
    if not np.array_equal(reference, base_reference):
        raise ValueError(
            "data and baseline perturb different references; compare datasets of one input"
        )
    settings = _search_settings(data)
    out = score_matched_locality(
        distances,
        scores,
        base_distances,
        base_scores,
        n_bins=int(settings["n_bins"] if n_bins is None else n_bins),
        score_range=tuple(settings["score_range"] if score_range is None else score_range),
    )
    out["mean_edit_distance"] = float(distances.mean())
    out["baseline_mean_edit_distance"] = float(base_distances.mean())
    return out


def edit_distance_distribution(dataset: LocalDataset, grammar: Grammar | None = None) -> dict:
    """Distribution of the edit distances of a local dataset's perturbations to its input.

    Each phenotype is re-applied to ``dataset.reference`` without the fixed-length padding
    or trimming of the model inputs, and its Levenshtein distance to the reference is
    computed exactly (:func:`edit_distances`, band = the largest sum over a phenotype's
    units of ``max(bases replaced, bases written)``). The GGGP study reports mean distances
    of 5.6–7.1 for GGGP archives and 10–11 for random sampling.

    Parameters
    ----------
    dataset : LocalDataset
        ``n`` perturbations of one reference.
    grammar : Grammar, optional
        Grammar whose unit kinds wrote the phenotypes; the default
        (SNV, Deletion, Insertion) reads the built-in kinds.

    Returns
    -------
    dict
        ``"distances"``: (n,) int64 per row; ``"counts"``: (max + 1,) int64 number of rows
        at each distance 0, 1, ...; ``"mean"``, ``"median"``: floats; ``"max"``: int.

    Raises
    ------
    ValueError
        If the dataset is empty or a phenotype does not parse with ``grammar``.
    """
    if len(dataset) == 0:
        raise ValueError("the local dataset has no rows; run a longer search first")
    distances = individual_edit_distances(
        encode_sequence(dataset.reference), dataset.population(grammar or Grammar())
    )
    return {
        "distances": distances,
        "counts": np.bincount(distances),
        "mean": float(distances.mean()),
        "median": float(np.median(distances)),
        "max": int(distances.max()),
    }
