"""How well an attribution recovers known ground truth (planted motifs)."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from captum_genomics.sequence import check_one_hot


def _as_numpy(x, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (N, L) or (L,), got {arr.shape}")
    return arr


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


def information_content(probabilities, background=None) -> np.ndarray:
    """Information content in bits of each row of a position probability matrix.

    Parameters
    ----------
    probabilities : array-like, shape (M, 4)
        Per-position base probabilities (rows sum to 1).
    background : array-like, shape (4,), optional
        Background base frequencies; uniform by default.

    Returns
    -------
    numpy.ndarray, shape (M,)
        Kullback–Leibler divergence from the background, in bits (2 bits for a
        fixed base against a uniform background, 0 for a uniform column).
    """
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 2 or p.shape[1] != 4:
        raise ValueError(f"probabilities must have shape (M, 4), got {p.shape}")
    if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("each row of probabilities must be non-negative and sum to 1")
    q = np.full(4, 0.25) if background is None else np.asarray(background, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p / q), 0.0)
    return terms.sum(axis=1)


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
    s = _as_numpy(scores, "scores").astype(float)
    mask = _as_numpy(motif_mask, "motif_mask").astype(bool)
    if s.shape != mask.shape:
        raise ValueError(f"scores {s.shape} and motif_mask {mask.shape} differ in shape")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or infinite values")
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
