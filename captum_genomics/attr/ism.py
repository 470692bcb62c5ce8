"""Exact in-silico mutagenesis (ISM): the effect of every single-base substitution.

:class:`InSilicoMutagenesis` scores, for each input sequence, every sequence that differs from
it at one position, and returns the change of the explained score as an (N, 4, L) track:

- the plain path runs the model on the mutants in batches (``perturbations_per_eval`` per
  call), exact for any model;
- for SpliceAI site and exon scores (:meth:`InSilicoMutagenesis.for_spliceai_site`,
  :meth:`InSilicoMutagenesis.for_spliceai_exon`) the incremental path rescores each mutant
  from the reference's cached activations, recomputing only the mutation's cone
  (:class:`~captum_genomics.splicing.incremental.IncrementalSpliceAI`); positions outside the
  sites' receptive field cannot change the score and get exactly 0 without evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from captum.attr import PerturbationAttribution
from captum.log import log_usage
from torch import nn
from tqdm.auto import tqdm

from captum_genomics._validate import check_choice, check_eval_mode, check_int, check_layout
from captum_genomics.attr._targets import (
    forward_args_tuple,
    per_example_targets,
    select_targets,
    single_input,
)
from captum_genomics.dna.alphabet import CODE_N, CODE_UNKNOWN, one_hot_to_codes
from captum_genomics.dna.codec import check_one_hot, from_ncl

__all__ = ["CONVENTIONS", "InSilicoMutagenesis"]

#: Sign conventions: ``"effect"`` = f(mutant) - f(x); ``"ablation"`` = f(x) - f(mutant), the
#: sign of Captum's ``FeatureAblation`` and ``Occlusion``.
CONVENTIONS = ("effect", "ablation")

_SITE_KINDS = ("acceptor", "donor")


class InSilicoMutagenesis(PerturbationAttribution):
    r"""Effect of every single-base substitution on a model's score, exactly.

    For one-hot inputs :math:`x` of shape (N, 4, L) the attribution is

    .. math:: \mathrm{ISM}[n, b, p] = f(x_n \text{ with base } b \text{ at } p) - f(x_n),

    0 at the observed base (``convention="effect"``, the default: positive where the
    mutation raises the score). ``convention="ablation"`` returns the opposite sign,
    :math:`f(x_n) - f(\text{mutant})`, which is Captum's ablation convention (``FeatureAblation``
    and ``Occlusion`` report the original output minus the perturbed one).

    Parameters
    ----------
    forward_func : callable
        The model, or any function taking the inputs (in ``layout``) followed by
        ``additional_forward_args`` and returning one score per example or an output tensor
        from which ``target`` selects one.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of the inputs the model takes: (N, 4, L) or (N, L, 4). Attributions come back
        in the same layout.
    convention : {"effect", "ablation"}, default "effect"
        Sign of the attribution (see above).

    Attributes
    ----------
    spliceai : dict or None
        For explainers built by :meth:`for_spliceai_site` / :meth:`for_spliceai_exon`: the
        model, sites, kinds and reduction the incremental path scores; None otherwise.

    Notes
    -----
    **N columns.** A column that is not one-hot (all 0, or all 0.25) is mutated to each of the
    four bases, so all four entries are filled there; there is no observed base to leave at 0.
    Any other column (fractional, two ones) is refused.

    **Training mode.** A module in training mode (dropout, BatchNorm) scores each mutant with
    another random model: ``attribute`` warns; the incremental path refuses, as it reads the
    BatchNorm running statistics.

    Examples
    --------
    >>> ism = InSilicoMutagenesis(model)
    >>> effects = ism.attribute(one_hot(["ACGT" * 150]), target=1)        # (1, 4, 600)
    >>> site = InSilicoMutagenesis.for_spliceai_site(load_spliceai(), 5677)  # doctest: +SKIP
    >>> site.attribute(x, positions=(5600, 5700))  # doctest: +SKIP
    """

    def __init__(
        self,
        forward_func: Callable[..., torch.Tensor],
        layout: str = "NCL",
        convention: str = "effect",
    ) -> None:
        super().__init__(forward_func)
        self.layout = check_layout(layout)
        self.convention = check_choice(convention, "convention", CONVENTIONS)
        self.spliceai: dict | None = None

    @classmethod
    def for_spliceai_site(
        cls, model: nn.Module, site: int, kind: str = "acceptor", convention: str = "effect"
    ) -> InSilicoMutagenesis:
        """ISM of one SpliceAI splice-site probability, with the incremental fast path.

        Parameters
        ----------
        model : SpliceAI or SpliceAIEnsemble
            Maps (N, 4, L + context) to (N, 3, L) probabilities (e.g.
            :func:`captum_genomics.models.load_spliceai`), in eval mode.
        site : int
            Input position of the site (index into the inputs, flanks included).
        kind : {"acceptor", "donor"}
            Which probability is read at the site.
        convention : {"effect", "ablation"}, default "effect"

        Returns
        -------
        InSilicoMutagenesis
            Explains P(kind) at ``site`` (layout "NCL"); ``attribute`` uses the incremental
            path unless ``method="plain"`` (the :class:`~captum_genomics.splicing.SpliceSiteHead`
            run on every mutant).
        """
        site = check_int(site, "site", 0)
        check_choice(kind, "kind", _SITE_KINDS)
        from captum_genomics.splicing.heads import SpliceSiteHead

        explainer = cls(SpliceSiteHead(model, [site], kind), convention=convention)
        explainer.spliceai = {"model": model, "sites": (site,), "kinds": (kind,), "reduce": None}
        return explainer

    @classmethod
    def for_spliceai_exon(
        cls,
        model: nn.Module,
        acceptor: int,
        donor: int,
        reduce: str = "mean",
        convention: str = "effect",
    ) -> InSilicoMutagenesis:
        """ISM of a SpliceAI exon score, with the incremental fast path.

        Parameters
        ----------
        model : SpliceAI or SpliceAIEnsemble
            As :meth:`for_spliceai_site`.
        acceptor, donor : int
            Input positions of the exon's acceptor (first exon base) and donor (last exon
            base), ``acceptor <= donor``.
        reduce : {"mean", "max", "min", "acceptor", "donor"}, default "mean"
            How P(acceptor) at the acceptor and P(donor) at the donor combine
            (:func:`~captum_genomics.splicing.reduce_sites`).
        convention : {"effect", "ablation"}, default "effect"

        Returns
        -------
        InSilicoMutagenesis
            Explains the exon score (layout "NCL") of an
            :class:`~captum_genomics.splicing.ExonHead`.
        """
        from captum_genomics.splicing.heads import ExonHead
        from captum_genomics.splicing.sites import check_reduce, sites_read

        reduce = check_reduce(reduce)
        acceptor, donor = check_int(acceptor, "acceptor", 0), check_int(donor, "donor", 0)
        explainer = cls(ExonHead(model, [acceptor, donor], reduce), convention=convention)
        reads = sites_read(reduce)
        explainer.spliceai = {
            "model": model,
            "sites": tuple(s for s, r in zip((acceptor, donor), reads) if r),
            "kinds": tuple(k for k, r in zip(_SITE_KINDS, reads) if r),
            "reduce": reduce,
        }
        return explainer

    @log_usage()
    def attribute(  # type: ignore[override]
        self,
        inputs: torch.Tensor,
        target: Any = None,
        additional_forward_args: Any = None,
        perturbations_per_eval: int = 64,
        positions: Any = None,
        method: str | None = None,
        layout: str | None = None,
        show_progress: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor]:
        """Score every single-base substitution of every input.

        Parameters
        ----------
        inputs : torch.Tensor, shape (N, 4, L) or (N, L, 4)
            One-hot sequences in ``layout``; N columns (all 0 or all 0.25) are allowed. A
            1-tuple holding the tensor is accepted (as Captum wrappers pass it) and answered
            with a 1-tuple.
        target : int, tuple, list or torch.Tensor, optional
            Which output to explain, as in Captum: must pick one scalar per example.
        additional_forward_args : any, optional
            Extra arguments for ``forward_func`` after the inputs; tensors whose first
            dimension is N are indexed per example (repeated for its mutants), other values
            are passed unchanged.
        perturbations_per_eval : int, default 64
            Mutants per model call (incremental path: per engine call).
        positions : (int, int), sequence of int or numpy.ndarray, optional
            Mutate only these positions: a window ``(start, stop)`` (``start <= p < stop``)
            or an index array. Other positions get 0. Default: every position.
        method : {"plain", "incremental"}, optional
            ``"plain"`` runs ``forward_func`` on every mutant. ``"incremental"`` (explainers
            built by :meth:`for_spliceai_site` / :meth:`for_spliceai_exon` only, and their
            default) rescores only each mutation's cone and skips positions outside the
            sites' receptive field (exactly 0 there); it needs 0/1 inputs (N all zero, as
            SpliceAI reads it), no ``target`` beyond 0 and no ``additional_forward_args``.
        layout : {"NCL", "NLC"}, optional
            Overrides the explainer's layout for this call.
        show_progress : bool, default False
            Show a progress bar over the model calls.

        Returns
        -------
        torch.Tensor, shape like ``inputs``
            ``out[n, b, p] = f(mutant) - f(x_n)`` (``convention="effect"``) for the mutant
            with base ``b`` (A, C, G, T) at position ``p``; 0 at observed bases and at
            positions not mutated. The inputs' dtype and device.

        Raises
        ------
        ValueError
            Non-one-hot columns, bad ``positions``, an unavailable ``method``, or a target
            that does not pick one score per example.
        """
        raw, as_tuple = single_input(inputs, "InSilicoMutagenesis")
        layout = self.layout if layout is None else check_layout(layout)
        x = check_one_hot(raw, layout)
        per_eval = check_int(perturbations_per_eval, "perturbations_per_eval")
        default = "plain" if self.spliceai is None else "incremental"
        method = check_choice(default if method is None else method, "method",
                              ("plain", "incremental"))
        if method == "incremental" and self.spliceai is None:
            raise ValueError(
                "method='incremental' needs an explainer built by "
                "InSilicoMutagenesis.for_spliceai_site or for_spliceai_exon"
            )
        check_eval_mode(self.forward_func, "InSilicoMutagenesis")
        codes, quarter = one_hot_to_codes(x.detach().cpu().numpy())
        _check_columns(codes)
        length = x.shape[2]
        selected = _positions(positions, length)
        if method == "incremental":
            run = self._incremental_runner(x, codes, quarter, target, additional_forward_args)
        else:
            run = self._plain_runner(x, target, additional_forward_args, layout)
        out = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
        mutants = [_mutants(codes[n], selected, run.reach) for n in range(x.shape[0])]
        calls = sum(-(-len(m) // per_eval) for m in mutants)
        with tqdm(total=calls, desc="ISM", disable=not show_progress) as progress:
            for n, todo in enumerate(mutants):
                reference = run.reference(n)
                for start in range(0, len(todo), per_eval):
                    chunk = todo[start : start + per_eval]
                    scores = run.mutants(n, chunk) - reference
                    index = torch.from_numpy(chunk).to(out.device)
                    out[n, index[:, 1], index[:, 0]] = scores.to(out.device, out.dtype)
                    progress.update(1)
        if self.convention == "ablation":
            out = out.neg_()
        out = from_ncl(out, layout)
        return (out,) if as_tuple else out

    def _plain_runner(self, x, target, additional_forward_args, layout) -> _PlainRunner:
        return _PlainRunner(self.forward_func, x, target, additional_forward_args, layout)

    def _incremental_runner(self, x, codes, quarter, target, additional_forward_args):
        if additional_forward_args is not None:
            raise ValueError("method='incremental' takes no additional_forward_args")
        if target not in (None, 0):
            raise ValueError(f"method='incremental' explains one score: target must be None "
                             f"or 0, got {target!r}")
        if quarter.any():
            raise ValueError(
                "method='incremental' reads N as all-zero columns, as SpliceAI does; the inputs "
                "hold 0.25 columns: use zeros for N, or method='plain'"
            )
        from captum_genomics.attr._ism_spliceai import IncrementalRunner

        return IncrementalRunner(codes, **self.spliceai)


def _check_columns(codes: np.ndarray) -> None:
    """Refuse columns that are neither one-hot nor N."""
    bad = np.argwhere(codes == CODE_UNKNOWN)
    if bad.size:
        n, p = (int(v) for v in bad[0])
        raise ValueError(
            f"InSilicoMutagenesis needs one-hot inputs (one 1 and three 0 per column, or an N "
            f"column of all 0 or all 0.25); {len(bad)} column(s) are neither, first in sequence "
            f"{n} at position {p}"
        )


def _positions(positions: Any, length: int) -> np.ndarray:
    """Sorted unique positions to mutate, shape (P,), from ``positions=``."""
    if positions is None:
        return np.arange(length)
    if isinstance(positions, tuple) and len(positions) == 2 and all(
        isinstance(v, (int, np.integer)) for v in positions
    ):
        start, stop = (int(v) for v in positions)
        if not 0 <= start < stop <= length:
            raise ValueError(
                f"positions window ({start}, {stop}) must satisfy 0 <= start < stop <= L = "
                f"{length}"
            )
        return np.arange(start, stop)
    array = np.asarray(positions.cpu() if isinstance(positions, torch.Tensor) else positions)
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            "positions must be a (start, stop) window or a non-empty 1-D array of integer "
            f"positions, got {positions!r}"
        )
    if array.min() < 0 or array.max() >= length:
        raise ValueError(f"positions must lie in [0, {length}), got {array.min()}..{array.max()}")
    return np.unique(array)


def _mutants(codes: np.ndarray, positions: np.ndarray, reach: np.ndarray | None) -> np.ndarray:
    """``(M, 2)`` (position, base) of every substitution at ``positions`` (within ``reach``)."""
    if reach is not None:
        positions = positions[reach[0] <= positions]
        positions = positions[positions <= reach[1]]
    bases = np.tile(np.arange(4), positions.size)
    at = np.repeat(positions, 4)
    keep = (codes[at] != bases) | (codes[at] == CODE_N)
    return np.stack([at[keep], bases[keep]], axis=1)


class _PlainRunner:
    """Scores of an example and of its mutants from ``forward_func``."""

    reach = None

    def __init__(self, forward_func, x: torch.Tensor, target, additional_forward_args, layout):
        self.forward_func = forward_func
        self.x = x
        self.layout = layout
        self.targets = per_example_targets(target, x.shape[0], x.device)
        self.args = forward_args_tuple(additional_forward_args)

    def _score(self, n: int, batch: torch.Tensor) -> torch.Tensor:
        m = batch.shape[0]
        rows = torch.full((m,), n, dtype=torch.long)
        args = tuple(
            a[rows.to(a.device)]
            if isinstance(a, torch.Tensor) and a.dim() > 0 and a.shape[0] == self.x.shape[0]
            else a
            for a in self.args
        )
        with torch.no_grad():
            output = self.forward_func(from_ncl(batch, self.layout), *args)
        if not isinstance(output, torch.Tensor):
            raise TypeError(f"forward_func must return a tensor, got {type(output).__name__}")
        index = None if self.targets is None else self.targets[rows.to(self.targets.device)]
        return select_targets(output, index)

    def reference(self, n: int) -> torch.Tensor:
        return self._score(n, self.x[n : n + 1])[0]

    def mutants(self, n: int, chunk: np.ndarray) -> torch.Tensor:
        m = len(chunk)
        batch = self.x[n : n + 1].expand(m, -1, -1).clone()
        rows = torch.arange(m, device=batch.device)
        at = torch.from_numpy(chunk[:, 0]).to(batch.device)
        batch[rows, :, at] = 0
        batch[rows, torch.from_numpy(chunk[:, 1]).to(batch.device), at] = 1
        return self._score(n, batch)
