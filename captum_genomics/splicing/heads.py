"""Scalar scores of SpliceAI outputs at chosen splice sites, shaped for Captum's ``target``.

A head wraps a SpliceAI-like model ((N, 4, L + context) -> (N, 3, L)) and returns (N, k), one
column per requested site or exon, so that ``target=j`` explains column j. Only the output
positions asked for are computed: the input is cut to each site's receptive field
[site - context / 2, site + context / 2], so a single-site score costs one output position
whatever the input length. Gradients still reach the whole input, as zeros outside the
windows.

Positions are input positions (:mod:`captum_genomics.splicing.sites`): input position ``i`` is
output position ``i - context / 2``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from captum_genomics.models.spliceai import check_one_hot_input
from captum_genomics.splicing.sites import (
    SITE_CLASSES,
    Positions,
    as_positions,
    check_exons,
    check_input_positions,
    check_reduce,
    model_context,
    reduce_sites,
    site_classes,
    sites_read,
)

__all__ = ["OUTPUTS", "SITE_CLASSES", "ExonHead", "SpliceSiteHead", "score_splice_sites"]

#: Scales of a site score: softmax probability, pre-softmax score, log(p / (1 - p)).
OUTPUTS = ("probability", "logit", "log_odds")


def _check_output(output: str, model: nn.Module) -> None:
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    if output != "probability" and not callable(getattr(model, "logits", None)):
        raise TypeError(
            f"output={output!r} needs a model with a logits(x) method; "
            f"{type(model).__name__} has none (use output='probability')"
        )


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
    """Scores of the given classes at the given input positions, computing nothing else.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (N, 4, L + context) to (N, 3, L) probabilities and exposes ``context``;
        ``logits(x)`` is needed for ``output`` other than ``"probability"``
        (e.g. :class:`~captum_genomics.models.SpliceAI`,
        :class:`~captum_genomics.models.SpliceAIEnsemble`).
    x : torch.Tensor, shape (N, 4, L + context)
        One-hot DNA, channels A, C, G, T.
    sites : int, sequence, numpy.ndarray or torch.Tensor, shape (k,) or (N, k)
        Input positions in ``context/2 .. L + context/2 - 1`` (output position
        ``site - context/2``), shared by the batch or one row per sequence.
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
    context = model_context(model)
    reference = next(model.parameters(), None)
    x = check_one_hot_input(x, context, x if reference is None else reference)
    n, _, length_in = x.shape
    length = length_in - context
    sites_t = as_positions(sites, "sites").to(x.device)
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
    check_input_positions(sites_t, context, length_in)
    # The window of output position o covers input positions o .. o + context.
    first = sites_t - context // 2
    k = sites_t.shape[1]
    classes = torch.tensor(site_classes(kinds, k), device=x.device)
    rows = torch.arange(n, device=x.device)
    lo = first.min(dim=1).values
    span = int((first.max(dim=1).values - lo).max())
    macs = getattr(model, "macs", None)
    merged = k > 1 and (not callable(macs) or macs(span + 1) < k * macs(1))
    if merged:
        start = lo.clamp(max=length - 1 - span)
        width = context + span + 1
        index = (start[:, None] + torch.arange(width, device=x.device))[:, None, :]
        windows = x.gather(2, index.expand(n, 4, width))
        scores = _transform(model, windows, output)
        return scores[rows[:, None], classes[None, :], first - start[:, None]]
    width = context + 1
    index = first[:, :, None, None] + torch.arange(width, device=x.device)
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
        Input positions (indices into ``x``, flanks included; output position
        ``site - context/2``); per-sequence rows must match the batch given to ``forward``
        (pass them per call instead when Captum enlarges the batch, as IG does).
    kinds : str, int or sequence of those, length k
        ``"acceptor"``, ``"donor"`` or ``"neither"`` for each site (or one for all).
    output : {"probability", "logit", "log_odds"}
        See :func:`score_splice_sites`.

    Examples
    --------
    >>> head = SpliceSiteHead(model, [6859, 6967], ["acceptor", "donor"])  # doctest: +SKIP
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
        model_context(model)
        self.model = model
        self.output = output
        sites_t = as_positions(sites, "sites")
        self.register_buffer("sites", sites_t[None] if sites_t.dim() == 0 else sites_t, False)
        site_classes(kinds, self.sites.shape[-1])
        self.kinds = kinds if isinstance(kinds, (str, int)) else list(kinds)

    def extra_repr(self) -> str:
        return f"sites={self.sites.tolist()}, kinds={self.kinds!r}, output={self.output!r}"

    def forward(self, x: torch.Tensor, sites: Positions | None = None) -> torch.Tensor:
        """Site scores.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L + context)
        sites : shape (k,) or (N, k), optional
            Input positions overriding the stored sites for this call (same k).

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
        (acceptor, donor) input positions (output position ``site - context/2``),
        acceptor <= donor.
    reduce : {"mean", "max", "min", "acceptor", "donor"}
        How the two site scores combine (:func:`~captum_genomics.splicing.sites.reduce_sites`);
        ``"acceptor"`` / ``"donor"`` compute only that site.
    output : {"probability", "logit", "log_odds"}
        Site score scale (see :func:`score_splice_sites`); the reference uses probabilities.

    Examples
    --------
    >>> head = ExonHead(load_spliceai(), exons=[(6859, 6967)])  # doctest: +SKIP
    >>> head(x)  # (N, 1): mean of P(acceptor) at 6859 and P(donor) at 6967  # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        exons: Positions,
        reduce: str = "mean",
        output: str = "probability",
    ) -> None:
        super().__init__()
        check_reduce(reduce)
        _check_output(output, model)
        model_context(model)
        self.model = model
        self.reduce = reduce
        self.output = output
        self.register_buffer("exons", self._check_exons(exons), False)

    @staticmethod
    def _check_exons(exons: Positions) -> torch.Tensor:
        t = as_positions(exons, "exons")
        if t.dim() == 1:
            t = t[None]
        if t.dim() not in (2, 3) or t.shape[-1] != 2 or t.shape[-2] == 0:
            raise ValueError(
                f"exons must be (acceptor, donor) pairs of shape (2,), (E, 2) or (N, E, 2), "
                f"got shape {tuple(t.shape)}"
            )
        return check_exons(t)

    def extra_repr(self) -> str:
        return f"exons={self.exons.tolist()}, reduce={self.reduce!r}, output={self.output!r}"

    def forward(self, x: torch.Tensor, exons: Positions | None = None) -> torch.Tensor:
        """Exon scores.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L + context)
        exons : shape (E, 2) or (N, E, 2), optional
            (acceptor, donor) input positions overriding the stored exons for this call.

        Returns
        -------
        torch.Tensor, shape (N, E)
        """
        pairs = self.exons if exons is None else self._check_exons(exons)
        reads = sites_read(self.reduce)
        kinds = [kind for kind, read in zip(("acceptor", "donor"), reads) if read]
        columns = [pairs[..., i] for i, read in enumerate(reads) if read]
        n_exons = pairs.shape[-2]
        scores = score_splice_sites(
            self.model, x, torch.cat(columns, dim=-1), [k for k in kinds for _ in range(n_exons)],
            self.output,
        )
        parts = iter(scores.split(n_exons, dim=1))
        acceptor, donor = (next(parts) if read else None for read in reads)
        return reduce_sites(acceptor, donor, self.reduce)
