"""Exon scores of edited sequences for the GGGP search: one protocol, two interchangeable scorers.

A :class:`Scorer` maps an :class:`~captum_genomics.gggp.population.EditBatch` to one score per
sequence.  The exon scorers score each edited sequence by the SpliceAI probabilities at the
cassette exon's own splice sites, followed through indels by the engine (``batch.tracked``):

* :class:`SpliceAIExonScorer` runs the model on each site's receptive window;
* :class:`IncrementalExonScorer` gives the same scores (to float rounding) from the reference's
  cached activations, recomputing only what each edit changes and the sites read.

Both take the same arguments in the same order, so swapping one for the other is a one-word
change.  Positions are input positions (:mod:`captum_genomics.splicing.sites`): 0-based indices
into the searched sequence, which is read as if padded with N beyond both ends; for a reference
that carries its own ``C / 2`` N flanks, index ``i`` is SpliceAI's output position ``i - C / 2``.

Examples
--------
>>> exon = build_exon_input()  # doctest: +SKIP
>>> scorer = IncrementalExonScorer(load_spliceai(), exon.acceptor, exon.donor)  # doctest: +SKIP
>>> search(exon.sequence, scorer, grammar=exon.grammar(), tracked=scorer.tracked,
...        settings=SearchSettings(max_evaluations=2000))  # doctest: +SKIP
"""

from __future__ import annotations

import abc
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from captum_genomics._validate import check_int
from captum_genomics.dna.alphabet import CODE_N
from captum_genomics.dna.codec import codes_to_tensor
from captum_genomics.gggp.population import EditBatch
from captum_genomics.splicing._incremental_plan import spliceai_members
from captum_genomics.splicing.heads import score_splice_sites
from captum_genomics.splicing.incremental import EditGeometry, IncrementalSpliceAI, reference_codes
from captum_genomics.splicing.sites import (
    SITE_CLASSES,
    check_exons,
    check_reduce,
    model_context,
    reduce_sites,
    sites_read,
)

__all__ = ["ExonScorer", "IncrementalExonScorer", "Scorer", "SpliceAIExonScorer"]


@runtime_checkable
class Scorer(Protocol):
    """What :func:`~captum_genomics.gggp.search` calls: edited sequences in, scores out.

    Attributes
    ----------
    tracked : tuple of int
        Reference positions the scorer reads; pass as ``search(..., tracked=scorer.tracked)``
        so that ``batch.tracked`` says where each moved.
    name : str
        Recorded in the search provenance.
    """

    tracked: tuple[int, ...]
    name: str

    def __call__(self, batch: EditBatch) -> np.ndarray:
        """Scores of the ``n`` sequences of ``batch``, shape (n,) float."""


class ExonScorer(abc.ABC):
    """Exon score of edited sequences: SpliceAI probabilities at the moved splice sites.

    For each sequence of an :class:`~captum_genomics.gggp.population.EditBatch` the scorer
    reads where the cassette exon's acceptor and donor moved (``batch.tracked``), takes the
    acceptor probability at the acceptor and the donor probability at the donor, and combines
    them (``reduce``).  Subclasses compute :meth:`site_probabilities`.

    Bases beyond either end of a sequence count as N (all-zero one-hot), as in SpliceAI's own
    padding; so sequences shortened by deletions are scored as if padded, and a reference
    without its own N flanks works too.

    Deleted sites: a site whose base was deleted or rewritten by a length-changing unit
    (tracked coordinate -1) no longer exists, so its probability counts as 0 before the
    reduction (``"mean"`` halves the other site's probability, ``"max"`` keeps it, ``"min"``
    gives 0).  The default grammar forbids edits around both sites, so this arises only with
    user grammars.

    Parameters
    ----------
    model : torch.nn.Module
        SpliceAI-like model, ``(N, 4, L + context) -> (N, 3, L)`` probabilities (neither,
        acceptor, donor) with an even integer ``context`` attribute, e.g. from
        :func:`captum_genomics.models.load_spliceai`; put in eval mode, run without gradients
        on its device.
    acceptor, donor : int
        Input positions of the cassette exon's acceptor (first exon base) and donor (last exon
        base) in the reference that is searched, ``0 <= acceptor <= donor``.
    reduce : {"mean", "max", "min", "acceptor", "donor"}
        How the two probabilities combine (the reference uses ``"mean"``).
    tracked_columns : (int, int)
        Columns of ``batch.tracked`` holding the acceptor and the donor: ``(0, 1)`` when the
        search tracks :attr:`tracked`; give others when it tracks more positions.
    batch_size : int, optional
        Most sequences per model call (default :attr:`default_batch_size`).
    name : str, optional
        Recorded in the search provenance (default ``"spliceai_exon_<reduce>"``, with
        ``"_incremental"`` appended for the incremental scorer).
    reference : str, numpy.ndarray or torch.Tensor, optional
        ``(L,)`` text or codes, or ``(4, L)`` one-hot, of the searched reference; every batch
        must then carry it.

    Attributes
    ----------
    tracked : (int, int)
        ``(acceptor, donor)``: pass as ``search(..., tracked=scorer.tracked)``.
    context : int
        The model's context.
    reference : numpy.ndarray or None
        ``(L,)`` uint8 reference codes, once known.
    """

    #: Sequences per model call when ``batch_size`` is not given.
    default_batch_size: ClassVar[int]
    _name_suffix: ClassVar[str] = ""

    def __init__(
        self,
        model: nn.Module,
        acceptor: int,
        donor: int,
        reduce: str = "mean",
        tracked_columns: tuple[int, int] = (0, 1),
        batch_size: int | None = None,
        name: str | None = None,
        *,
        reference=None,
    ) -> None:
        self.context = self._check_model(model)
        self.reduce = check_reduce(reduce)
        acceptor = check_int(acceptor, "acceptor", 0)
        donor = check_int(donor, "donor", 0)
        check_exons(np.array([acceptor, donor]))
        columns = tuple(int(c) for c in tracked_columns)
        if len(columns) != 2 or min(columns) < 0:
            raise ValueError(f"tracked_columns must be two column indices, got {tracked_columns}")
        self.model = model.eval()
        self.acceptor = acceptor
        self.donor = donor
        self.tracked_columns = columns
        self.batch_size = check_int(
            self.default_batch_size if batch_size is None else batch_size, "batch_size"
        )
        self.name = name or f"spliceai_exon_{reduce}{self._name_suffix}"
        self.reference: np.ndarray | None = None
        if reference is not None:
            self._use_reference(reference_codes(reference))

    @property
    def tracked(self) -> tuple[int, int]:
        """``(acceptor, donor)`` reference positions to track in the search."""
        return self.acceptor, self.donor

    @property
    def needed(self) -> np.ndarray:
        """``(2,)`` bool: which of (acceptor, donor) the reduction reads."""
        return np.array(sites_read(self.reduce))

    def _check_model(self, model: nn.Module) -> int:
        """The context of a model this scorer can run, else a TypeError."""
        return model_context(model)

    def _use_reference(self, codes: np.ndarray) -> None:
        """Adopt ``(L,)`` reference codes (both sites must lie inside)."""
        if self.donor >= codes.size:
            raise ValueError(f"donor {self.donor} lies beyond the reference ({codes.size} bases)")
        self.reference = codes

    def _sites(self, batch: EditBatch) -> np.ndarray:
        """``(n, 2)`` moved acceptor and donor of each sequence (-1 where deleted), checked."""
        if self.reference is not None and not np.array_equal(batch.reference, self.reference):
            raise ValueError(
                "batch.reference differs from the scorer's reference; build the scorer on the "
                "sequence that is searched"
            )
        tracked = np.asarray(batch.tracked, dtype=np.int64)
        if tracked.ndim != 2 or tracked.shape[1] <= max(self.tracked_columns):
            raise ValueError(
                f"batch.tracked has shape {tracked.shape}, without columns {self.tracked_columns} "
                "for the acceptor and donor; run the search with tracked=scorer.tracked"
            )
        sites = tracked[:, list(self.tracked_columns)]
        unedited = batch.population.n_units == 0
        same_frame = batch.fixed_length is None or batch.fixed_length == batch.reference.size
        if same_frame and unedited.any() and (sites[unedited] != self.tracked).any():
            raise ValueError(
                f"batch.tracked columns {self.tracked_columns} of an unedited sequence are "
                f"{sites[unedited][0].tolist()}, not the acceptor and donor {self.tracked}; run "
                "the search with tracked=scorer.tracked (or set tracked_columns)"
            )
        return sites

    @abc.abstractmethod
    def site_probabilities(self, batch: EditBatch) -> np.ndarray:
        """Acceptor and donor probabilities at the moved sites.

        Parameters
        ----------
        batch : EditBatch
            ``n`` edited sequences ``(n, W)`` with tracked coordinates ``(n, T)``.

        Returns
        -------
        numpy.ndarray
            ``(n, 2)`` float64: P(acceptor) at the acceptor, P(donor) at the donor; 0 where a
            site was deleted, and 0 for the site a one-site ``reduce`` does not read.
        """

    def __call__(self, batch: EditBatch) -> np.ndarray:
        """``(n,)`` exon scores of the ``n`` sequences of ``batch``, the GGGP scorer hook."""
        p = self.site_probabilities(batch)
        return reduce_sites(p[:, 0], p[:, 1], self.reduce)


class SpliceAIExonScorer(ExonScorer):
    """Exon scores from the model run on each site's receptive window (see :class:`ExonScorer`).

    Only the needed output positions are computed: each sequence is cut to the receptive field
    of its sites (``context + span + 1`` bases) and scored by
    :func:`~captum_genomics.splicing.heads.score_splice_sites` (the engine of
    :class:`~captum_genomics.splicing.heads.ExonHead`), in batches, on the model's device.
    Memory grows with ``batch_size * context``.  Parameters as :class:`ExonScorer`.
    """

    default_batch_size = 32

    def site_probabilities(self, batch: EditBatch) -> np.ndarray:
        sites = self._sites(batch)
        present = sites >= 0
        needed = self.needed
        kinds = [k for k, keep in zip(("acceptor", "donor"), needed) if keep]
        out = np.zeros((len(batch), 2))
        rows = np.flatnonzero((present & needed).any(axis=1))
        for start in range(0, rows.size, self.batch_size):
            idx = rows[start : start + self.batch_size]
            out[np.ix_(idx, np.flatnonzero(needed))] = self._score_rows(
                batch.sequences[idx], sites[idx][:, needed], kinds
            )
        return np.where(present, out, 0.0)

    def _score_rows(self, codes: np.ndarray, sites: np.ndarray, kinds: list[str]) -> np.ndarray:
        """``(m, k)`` probabilities of ``kinds`` at ``(m, k)`` sites (-1: any present site)."""
        fill = sites.max(axis=1, keepdims=True)
        sites = np.where(sites >= 0, sites, fill)
        low = sites.min(axis=1)
        span = int((sites.max(axis=1) - low).max())
        half = self.context // 2
        width = self.context + span + 1
        # window of row r: sequence positions [low_r - half, low_r - half + width), N outside
        padded = np.pad(codes, ((0, 0), (half, half + span)), constant_values=CODE_N)
        index = low[:, None] + np.arange(width)[None, :]
        window = np.take_along_axis(padded, index, axis=1)
        parameter = next(self.model.parameters(), None)
        x = codes_to_tensor(
            window,
            dtype=torch.float32 if parameter is None else parameter.dtype,
            device=None if parameter is None else parameter.device,
        )
        local = torch.from_numpy(sites - low[:, None] + half).to(x.device)
        with torch.no_grad():
            scores = score_splice_sites(self.model, x, local, kinds, "probability")
        return scores.double().cpu().numpy()


class IncrementalExonScorer(ExonScorer):
    """Exon scores computed incrementally from the reference (see :class:`ExonScorer`).

    Same arguments, semantics and outputs as :class:`SpliceAIExonScorer` (to float rounding,
    about 1e-7), but each sequence costs only the layers' positions that its edits change and
    its sites read (:class:`~captum_genomics.splicing.incremental.IncrementalSpliceAI`).  The
    model must be a :class:`~captum_genomics.models.SpliceAI` or
    :class:`~captum_genomics.models.SpliceAIEnsemble`.  Without ``reference`` the scorer takes
    the reference of the first batch it scores and builds its cache then; every later batch
    must carry the same reference.  Memory grows with ``batch_size`` and the number of edits.

    Attributes
    ----------
    engine : IncrementalSpliceAI or None
        The incremental model, with its reference cache; None until the reference is known.
    """

    default_batch_size = 128
    _name_suffix = "_incremental"
    engine: IncrementalSpliceAI | None = None

    def _check_model(self, model: nn.Module) -> int:
        spliceai_members(model)
        return super()._check_model(model)

    def _use_reference(self, codes: np.ndarray) -> None:
        super()._use_reference(codes)
        self.engine = IncrementalSpliceAI(self.model, codes, self.tracked)

    def site_probabilities(self, batch: EditBatch) -> np.ndarray:
        if self.reference is None:
            self._use_reference(reference_codes(batch.reference))
        sites = self._sites(batch)
        needed = self.needed
        use = (sites >= 0) & needed
        columns = np.flatnonzero(needed)
        geometry = EditGeometry.from_edit_batch(
            batch, sites[:, columns], np.asarray(self.tracked)[columns]
        )
        # a missing site reads the other one's position (scored, then zeroed)
        stand_in = np.where(use, sites, np.where(use[:, ::-1], sites[:, ::-1], 0))
        geometry.sites = torch.from_numpy(np.ascontiguousarray(stand_in[:, columns]))
        rows = np.flatnonzero(use.any(axis=1))
        out = np.zeros((len(batch), 2))
        classes = torch.tensor([SITE_CLASSES["acceptor"], SITE_CLASSES["donor"]])
        classes = classes[torch.from_numpy(columns)]
        for start in range(0, rows.size, self.batch_size):
            idx = rows[start : start + self.batch_size]
            probs = self.engine.probabilities(geometry.take(torch.from_numpy(idx)))
            picked = probs.gather(2, classes.to(probs.device).expand(idx.size, -1)[..., None])
            out[np.ix_(idx, columns)] = picked[..., 0].double().cpu().numpy()
        return np.where(use, out, 0.0)

