"""Scalar scores of SpliceAI outputs at chosen splice sites, shaped for Captum's ``target``.

A head wraps a SpliceAI-like model ((N, 4, L + context) -> (N, 3, L)) and returns (N, k), one
column per requested site or exon, so that ``target=j`` explains column j. Only the output
positions asked for are computed: the input is cut to each site's receptive field
[site, site + context] (input coordinates), so a single-site score costs one output position
whatever the input length. Gradients still reach the whole input, as zeros outside the
windows.

Positions are output coordinates: output position i is input position i + context / 2.
Acceptors sit on the first exon base and donors on the last exon base, in transcript
orientation (reverse-complement minus-strand genes first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .spliceai import check_one_hot_input

__all__ = ["SITE_CLASSES", "SpliceSiteHead", "ExonHead", "score_splice_sites"]

#: Output classes of SpliceAI by name.
SITE_CLASSES = {"neither": 0, "acceptor": 1, "donor": 2}
_OUTPUTS = ("probability", "logit", "log_odds")
_REDUCTIONS = ("mean", "max", "min", "acceptor", "donor")

Positions = int | Sequence[int] | Sequence[Sequence[int]] | np.ndarray | torch.Tensor


def _class_indices(kinds: str | int | Sequence[str | int], k: int) -> torch.Tensor:
    items = [kinds] * k if isinstance(kinds, (str, int)) else list(kinds)
    if len(items) != k:
        raise ValueError(f"got {len(items)} site kinds for {k} sites: give one, or one per site")
    out = []
    for item in items:
        if isinstance(item, str) and item in SITE_CLASSES:
            out.append(SITE_CLASSES[item])
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool) and 0 <= item < 3:
            out.append(int(item))
        else:
            raise ValueError(
                f"unknown site kind {item!r}: use 'acceptor', 'donor', 'neither' or 0, 1, 2"
            )
    return torch.tensor(out, dtype=torch.long)


def _as_positions(positions: Positions, name: str) -> torch.Tensor:
    t = torch.as_tensor(positions)
    if t.dtype == torch.bool or t.is_floating_point() or t.is_complex():
        raise TypeError(f"{name} must be integers (output positions), got dtype {t.dtype}")
    return t.long()


def _check_output(output: str, model: nn.Module) -> None:
    if output not in _OUTPUTS:
        raise ValueError(f"output must be one of {_OUTPUTS}, got {output!r}")
    if output != "probability" and not callable(getattr(model, "logits", None)):
        raise TypeError(
            f"output={output!r} needs a model with a logits(x) method; "
            f"{type(model).__name__} has none (use output='probability')"
        )


def _model_context(model: nn.Module) -> int:
    context = getattr(model, "context", None)
    if not isinstance(context, int) or context < 0 or context % 2:
        raise TypeError(
            f"the model must expose an even integer `context` (input length minus output "
            f"length), like SpliceAI; {type(model).__name__} has {context!r}"
        )
    return context


def _transform(model: nn.Module, windows: torch.Tensor, output: str) -> torch.Tensor:
    """Model output on windows as probabilities, logits or log-odds, shape (B, 3, M)."""
    if output == "probability":
        return model(windows)
    logits = model.logits(windows)
    if output == "logit":
        return logits
    # log p_c - log(1 - p_c) = logit_c - logsumexp(other logits), stable near p_c = 1.
    n_classes = logits.shape[1]
    eye = torch.eye(n_classes, dtype=torch.bool, device=logits.device)[None, :, :, None]
    others = logits.unsqueeze(1).expand(-1, n_classes, -1, -1).masked_fill(eye, float("-inf"))
    return logits - torch.logsumexp(others, dim=2)


def score_splice_sites(
    model: nn.Module,
    x: torch.Tensor,
    sites: Positions,
    kinds: str | int | Sequence[str | int] = "acceptor",
    output: str = "probability",
) -> torch.Tensor:
    """Scores of the given classes at the given output positions, computing nothing else.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (N, 4, L + context) to (N, 3, L) probabilities and exposes ``context``;
        ``logits(x)`` is needed for ``output`` other than ``"probability"``
        (e.g. :class:`SpliceAI`, :class:`SpliceAIEnsemble`).
    x : torch.Tensor, shape (N, 4, L + context)
        One-hot DNA, channels A, C, G, T.
    sites : int, sequence, numpy.ndarray or torch.Tensor, shape (k,) or (N, k)
        Output positions in 0..L-1, shared by the batch or one row per sequence.
    kinds : str, int or sequence of those, length k
        Class scored at each site: ``"acceptor"`` (1), ``"donor"`` (2) or ``"neither"`` (0);
        one value applies to all sites.
    output : {"probability", "logit", "log_odds"}
        Softmax probability, the model's pre-softmax score, or log(p / (1 - p)).

    Returns
    -------
    torch.Tensor, shape (N, k)
        On the device of ``x``; differentiable with respect to ``x``.

    Notes
    -----
    Each site is scored on its own window of context + 1 input positions, or all sites of a
    sequence on one window spanning them when the model's ``macs`` says that is cheaper
    (without ``macs``: one window whenever k > 1).
    """
    _check_output(output, model)
    context = _model_context(model)
    reference = next(model.parameters(), None)
    x = check_one_hot_input(x, context, x if reference is None else reference)
    n, _, length_in = x.shape
    length = length_in - context
    sites_t = _as_positions(sites, "sites").to(x.device)
    if sites_t.dim() == 0:
        sites_t = sites_t[None]
    if sites_t.dim() == 1:
        sites_t = sites_t.expand(n, -1)
    if sites_t.dim() != 2 or sites_t.shape[0] != n or sites_t.shape[1] == 0:
        raise ValueError(
            f"sites must have shape (k,) or (N, k) = ({n}, k) with k >= 1, got "
            f"{tuple(sites_t.shape)}; when Captum enlarges the batch (IG steps), pass "
            "per-sequence sites with each call, e.g. additional_forward_args=(sites,)"
        )
    if bool(((sites_t < 0) | (sites_t >= length)).any()):
        bad = sites_t[(sites_t < 0) | (sites_t >= length)][0].item()
        raise ValueError(
            f"site {bad} lies outside the output positions 0..{length - 1} of this input "
            f"(output position i is input position i + {context // 2})"
        )
    k = sites_t.shape[1]
    classes = _class_indices(kinds, k).to(x.device)
    rows = torch.arange(n, device=x.device)
    lo = sites_t.min(dim=1).values
    span = int((sites_t.max(dim=1).values - lo).max())
    macs = getattr(model, "macs", None)
    merged = k > 1 and (not callable(macs) or macs(span + 1) < k * macs(1))
    if merged:
        start = lo.clamp(max=length - 1 - span)
        width = context + span + 1
        index = (start[:, None] + torch.arange(width, device=x.device))[:, None, :]
        windows = x.gather(2, index.expand(n, 4, width))
        scores = _transform(model, windows, output)
        return scores[rows[:, None], classes[None, :], sites_t - start[:, None]]
    width = context + 1
    index = sites_t[:, :, None, None] + torch.arange(width, device=x.device)
    windows = x[:, None].expand(n, k, 4, length_in).gather(3, index.expand(n, k, 4, width))
    scores = _transform(model, windows.reshape(n * k, 4, width), output)
    return scores[..., 0].reshape(n, k, -1).gather(2, classes.expand(n, k)[..., None])[..., 0]


class SpliceSiteHead(nn.Module):
    """Scores of a model's output at chosen sites: forward returns (N, k), ``target=j`` = site j.

    Parameters
    ----------
    model : torch.nn.Module
        A SpliceAI-like model (see :func:`score_splice_sites`).
    sites : int, sequence, numpy.ndarray or torch.Tensor, shape (k,) or (N, k)
        Output positions; per-sequence rows must match the batch given to ``forward``
        (pass them per call instead when Captum enlarges the batch, as IG does).
    kinds : str, int or sequence of those, length k
        ``"acceptor"``, ``"donor"`` or ``"neither"`` for each site (or one for all).
    output : {"probability", "logit", "log_odds"}
        See :func:`score_splice_sites`.

    Examples
    --------
    >>> head = SpliceSiteHead(model, [1859, 1967], ["acceptor", "donor"])  # doctest: +SKIP
    >>> ig = IntegratedGradients(head)  # doctest: +SKIP
    >>> ig.attribute(x, baselines=0.25 * torch.ones_like(x), target=1)  # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        sites: Positions,
        kinds: str | int | Sequence[str | int] = "acceptor",
        output: str = "probability",
    ) -> None:
        super().__init__()
        _check_output(output, model)
        _model_context(model)
        self.model = model
        self.output = output
        sites_t = _as_positions(sites, "sites")
        self.register_buffer("sites", sites_t[None] if sites_t.dim() == 0 else sites_t, False)
        _class_indices(kinds, self.sites.shape[-1])
        self.kinds = kinds if isinstance(kinds, (str, int)) else list(kinds)

    def extra_repr(self) -> str:
        return f"sites={self.sites.tolist()}, kinds={self.kinds!r}, output={self.output!r}"

    def forward(self, x: torch.Tensor, sites: Positions | None = None) -> torch.Tensor:
        """Site scores.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L + context)
        sites : shape (k,) or (N, k), optional
            Overrides the stored sites for this call (same k).

        Returns
        -------
        torch.Tensor, shape (N, k)
        """
        sites = self.sites if sites is None else sites
        return score_splice_sites(self.model, x, sites, self.kinds, self.output)


class ExonHead(nn.Module):
    """Exon scores of the GGGP reference: forward returns (N, E), ``target=j`` = exon j.

    The score of an exon combines the acceptor probability at its acceptor (first exon base)
    and the donor probability at its donor (last exon base).

    Parameters
    ----------
    model : torch.nn.Module
        A SpliceAI-like model (see :func:`score_splice_sites`).
    exons : array-like, shape (2,), (E, 2) or (N, E, 2)
        (acceptor, donor) output positions, acceptor <= donor.
    reduce : {"mean", "max", "min", "acceptor", "donor"}
        How the two site scores combine; ``"acceptor"`` / ``"donor"`` compute only that site.
    output : {"probability", "logit", "log_odds"}
        Site score scale (see :func:`score_splice_sites`); the reference uses probabilities.

    Examples
    --------
    >>> head = ExonHead(load_spliceai(), exons=[(1859, 1967)])  # doctest: +SKIP
    >>> head(x)  # (N, 1): mean of P(acceptor) at 1859 and P(donor) at 1967  # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        exons: Positions,
        reduce: str = "mean",
        output: str = "probability",
    ) -> None:
        super().__init__()
        if reduce not in _REDUCTIONS:
            raise ValueError(f"reduce must be one of {_REDUCTIONS}, got {reduce!r}")
        _check_output(output, model)
        _model_context(model)
        self.model = model
        self.reduce = reduce
        self.output = output
        self.register_buffer("exons", self._check_exons(exons), False)

    @staticmethod
    def _check_exons(exons: Any) -> torch.Tensor:
        t = _as_positions(exons, "exons")
        if t.dim() == 1:
            t = t[None]
        if t.dim() not in (2, 3) or t.shape[-1] != 2 or t.shape[-2] == 0:
            raise ValueError(
                f"exons must be (acceptor, donor) pairs of shape (2,), (E, 2) or (N, E, 2), "
                f"got shape {tuple(t.shape)}"
            )
        if bool((t[..., 0] > t[..., 1]).any()):
            raise ValueError(
                "each exon is (acceptor, donor) in transcript orientation, with the acceptor "
                "(first exon base) at or before the donor (last exon base); got "
                f"{t[t[..., 0] > t[..., 1]][0].tolist()}. Swap them, or reverse-complement "
                "the input of a minus-strand gene"
            )
        return t

    def extra_repr(self) -> str:
        return f"exons={self.exons.tolist()}, reduce={self.reduce!r}, output={self.output!r}"

    def forward(self, x: torch.Tensor, exons: Positions | None = None) -> torch.Tensor:
        """Exon scores.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L + context)
        exons : shape (E, 2) or (N, E, 2), optional
            Overrides the stored exons for this call.

        Returns
        -------
        torch.Tensor, shape (N, E)
        """
        pairs = self.exons if exons is None else self._check_exons(exons)
        n_exons = pairs.shape[-2]
        if self.reduce == "acceptor":
            return score_splice_sites(self.model, x, pairs[..., 0], "acceptor", self.output)
        if self.reduce == "donor":
            return score_splice_sites(self.model, x, pairs[..., 1], "donor", self.output)
        sites = torch.cat([pairs[..., 0], pairs[..., 1]], dim=-1)
        kinds = ["acceptor"] * n_exons + ["donor"] * n_exons
        both = score_splice_sites(self.model, x, sites, kinds, self.output)
        acceptor, donor = both[:, :n_exons], both[:, n_exons:]
        if self.reduce == "mean":
            return (acceptor + donor) / 2
        if self.reduce == "max":
            return torch.maximum(acceptor, donor)
        return torch.minimum(acceptor, donor)
