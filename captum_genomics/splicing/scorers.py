"""Site and exon scores of edited sequences for the GGGP search: one protocol, one signature.

A :class:`Scorer` maps an :class:`~captum_genomics.gggp.population.EditBatch` to one score per
sequence.  The SpliceAI scorers score each edited sequence by the SpliceAI probabilities at the
reference's own splice sites, followed through indels by the engine (``batch.tracked``):

* a site scorer reads one site (P(acceptor) at an acceptor, or P(donor) at a donor):
  :class:`SpliceAISiteScorer`, :class:`IncrementalSiteScorer`;
* an exon scorer reads the cassette exon's acceptor and donor and combines them (``reduce``):
  :class:`SpliceAIExonScorer`, :class:`IncrementalExonScorer`.

The ``SpliceAI*`` scorers run the model on each site's receptive window; the ``Incremental*``
ones give the same scores (to float rounding) from the reference's cached activations,
recomputing only what each edit changes and the sites read.  The plain and incremental scorer
of a kind take the same arguments in the same order, so swapping one for the other is a
one-word change.  Positions are input positions (:mod:`captum_genomics.splicing.sites`):
0-based indices into the searched sequence, which is read as if padded with N beyond both
ends; for a reference that carries its own ``C / 2`` N flanks, index ``i`` is SpliceAI's output
position ``i - C / 2``.

Examples
--------
>>> exon = build_exon_input()  # doctest: +SKIP
>>> scorer = IncrementalExonScorer(load_spliceai(), exon.acceptor, exon.donor)  # doctest: +SKIP
>>> search(exon.sequence, scorer, grammar=exon.grammar(), tracked=scorer.tracked,
...        settings=SearchSettings(max_evaluations=2000))  # doctest: +SKIP
>>> acceptor_only = IncrementalSiteScorer(load_spliceai(), exon.acceptor)  # doctest: +SKIP
"""

from __future__ import annotations

import abc
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from captum_genomics._validate import check_choice, check_int
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

__all__ = [
    "ExonScorer",
    "IncrementalExonScorer",
    "IncrementalSiteScorer",
    "Scorer",
    "SiteScorer",
    "SpliceAIExonScorer",
    "SpliceAIScorer",
    "SpliceAISiteScorer",
]

#: Site kinds a site scorer reads.
SITE_KINDS = ("acceptor", "donor")


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


class SpliceAIScorer(abc.ABC):
    """SpliceAI probabilities at ``k`` moved splice sites: what site and exon scorers share.

    For each sequence of an :class:`~captum_genomics.gggp.population.EditBatch` the scorer
    reads where its sites moved (``batch.tracked``) and takes, at each, the probability of the
    site's kind.  :class:`SiteScorer` (one site) and :class:`ExonScorer` (acceptor and donor,
    reduced) set the sites; subclasses compute :meth:`site_probabilities` (plain or
    incremental).

    Bases beyond either end of a sequence count as N (all-zero one-hot), as in SpliceAI's own
    padding; so sequences shortened by deletions are scored as if padded, and a reference
    without its own N flanks works too.  A site whose base was deleted or rewritten by a
    length-changing unit (tracked coordinate -1) no longer exists: its probability is 0.

    Attributes
    ----------
    tracked : tuple of int
        ``(k,)`` reference positions of the sites: pass as ``search(..., tracked=...)``.
    kinds : tuple of str
        ``(k,)`` kind of each site, ``"acceptor"`` or ``"donor"``.
    tracked_columns : tuple of int
        ``(k,)`` columns of ``batch.tracked`` holding the sites.
    context : int
        The model's context.
    batch_size : int
        Most sequences per model call.
    name : str
        Recorded in the search provenance.
    reference : numpy.ndarray or None
        ``(L,)`` uint8 reference codes, once known.
    """

    #: Sequences per model call when ``batch_size`` is not given.
    default_batch_size: ClassVar[int]
    _name_suffix: ClassVar[str] = ""

    def _setup(
        self, model, sites, kinds, tracked_columns, batch_size, name, default_name, reference
    ) -> None:
        """Check and store what every SpliceAI scorer holds (called by the ``__init__``)."""
        self.context = self._check_model(model)
        columns = tuple(int(c) for c in tracked_columns)
        if len(columns) != len(sites) or min(columns) < 0:
            raise ValueError(
                f"tracked_columns must be {len(sites)} column indices, got {tracked_columns}"
            )
        self.model = model.eval()
        self.tracked: tuple[int, ...] = tuple(sites)
        self.kinds = tuple(kinds)
        self.tracked_columns = columns
        self.batch_size = check_int(
            self.default_batch_size if batch_size is None else batch_size, "batch_size"
        )
        self.name = name or default_name + self._name_suffix
        self.reference: np.ndarray | None = None
        if reference is not None:
            self._use_reference(reference_codes(reference))

    @property
    def needed(self) -> np.ndarray:
        """``(k,)`` bool: which sites the score reads (all, unless a reduction skips one)."""
        return np.ones(len(self.tracked), bool)

    @property
    def _site_names(self) -> str:
        return "the " + " and ".join(self.kinds)

    def _check_model(self, model: nn.Module) -> int:
        """The context of a model this scorer can run, else a TypeError."""
        return model_context(model)

    def _use_reference(self, codes: np.ndarray) -> None:
        """Adopt ``(L,)`` reference codes (every site must lie inside)."""
        last = int(np.argmax(self.tracked))
        if self.tracked[last] >= codes.size:
            raise ValueError(
                f"{self.kinds[last]} {self.tracked[last]} lies beyond the reference "
                f"({codes.size} bases)"
            )
        self.reference = codes

    def _sites(self, batch: EditBatch) -> np.ndarray:
        """``(n, k)`` moved sites of each sequence (-1 where deleted), checked."""
        if self.reference is not None and not np.array_equal(batch.reference, self.reference):
            raise ValueError(
                "batch.reference differs from the scorer's reference; build the scorer on the "
                "sequence that is searched"
            )
        tracked = np.asarray(batch.tracked, dtype=np.int64)
        if tracked.ndim != 2 or tracked.shape[1] <= max(self.tracked_columns):
            raise ValueError(
                f"batch.tracked has shape {tracked.shape}, without columns {self.tracked_columns} "
                f"for {self._site_names}; run the search with tracked=scorer.tracked"
            )
        sites = tracked[:, list(self.tracked_columns)]
        unedited = batch.population.n_units == 0
        same_frame = batch.fixed_length is None or batch.fixed_length == batch.reference.size
        if same_frame and unedited.any() and (sites[unedited] != self.tracked).any():
            raise ValueError(
                f"batch.tracked columns {self.tracked_columns} of an unedited sequence are "
                f"{sites[unedited][0].tolist()}, not {self._site_names} {self.tracked}; run "
                "the search with tracked=scorer.tracked (or set tracked_columns)"
            )
        return sites

    @abc.abstractmethod
    def site_probabilities(self, batch: EditBatch) -> np.ndarray:
        """Probabilities of each site's kind at the moved sites.

        Parameters
        ----------
        batch : EditBatch
            ``n`` edited sequences ``(n, W)`` with tracked coordinates ``(n, T)``.

        Returns
        -------
        numpy.ndarray
            ``(n, k)`` float64: P(kind of site j) at site j; 0 where a site was deleted, and 0
            for a site the score does not read (:attr:`needed`).
        """


class _PlainScoring(SpliceAIScorer):
    """Probabilities from the model run on each site's receptive window.

    Only the needed output positions are computed: each sequence is cut to the receptive field
    of its sites (``context + span + 1`` bases) and scored by
    :func:`~captum_genomics.splicing.heads.score_splice_sites` (the engine of
    :class:`~captum_genomics.splicing.heads.ExonHead`), in batches, on the model's device.
    Memory grows with ``batch_size * context``.
    """

    default_batch_size = 32

    def site_probabilities(self, batch: EditBatch) -> np.ndarray:
        sites = self._sites(batch)
        present = sites >= 0
        needed = self.needed
        kinds = [k for k, keep in zip(self.kinds, needed) if keep]
        out = np.zeros(sites.shape)
        rows = np.flatnonzero((present & needed).any(axis=1))
        for start in range(0, rows.size, self.batch_size):
            idx = rows[start : start + self.batch_size]
            out[np.ix_(idx, np.flatnonzero(needed))] = self._score_rows(
                batch.sequences[idx], sites[idx][:, needed], kinds
            )
        return np.where(present & needed, out, 0.0)

    site_probabilities.__doc__ = SpliceAIScorer.site_probabilities.__doc__

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


class _IncrementalScoring(SpliceAIScorer):
    """Probabilities computed incrementally from the reference.

    Each sequence costs only the layers' positions that its edits change and its sites read
    (:class:`~captum_genomics.splicing.incremental.IncrementalSpliceAI`).  The model must be a
    :class:`~captum_genomics.models.SpliceAI` or :class:`~captum_genomics.models.SpliceAIEnsemble`.
    Without ``reference`` the scorer takes the reference of the first batch it scores and builds
    its cache then; every later batch must carry the same reference.  Memory grows with
    ``batch_size`` and the number of edits.
    """

    default_batch_size = 128
    _name_suffix = "_incremental"
    #: The incremental model, with its reference cache; None until the reference is known.
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
        use = (sites >= 0) & self.needed
        columns = np.flatnonzero(self.needed)
        geometry = EditGeometry.from_edit_batch(
            batch, sites[:, columns], np.asarray(self.tracked)[columns]
        )
        # a missing site reads another site's position (scored, then zeroed)
        fill = np.where(use, sites, -1).max(axis=1, keepdims=True)
        stand_in = np.where(use, sites, np.maximum(fill, 0))
        geometry.sites = torch.from_numpy(np.ascontiguousarray(stand_in[:, columns]))
        rows = np.flatnonzero(use.any(axis=1))
        out = np.zeros(sites.shape)
        classes = torch.tensor([SITE_CLASSES[self.kinds[c]] for c in columns])
        for start in range(0, rows.size, self.batch_size):
            idx = rows[start : start + self.batch_size]
            probs = self.engine.probabilities(geometry.take(torch.from_numpy(idx)))
            picked = probs.gather(2, classes.to(probs.device).expand(idx.size, -1)[..., None])
            out[np.ix_(idx, columns)] = picked[..., 0].double().cpu().numpy()
        return np.where(use, out, 0.0)

    site_probabilities.__doc__ = SpliceAIScorer.site_probabilities.__doc__


class SiteScorer(SpliceAIScorer):
    """Site score of edited sequences: the SpliceAI probability of one splice site.

    For each sequence the scorer reads where the site moved (``batch.tracked``) and takes
    P(acceptor) there for an acceptor, P(donor) for a donor; a deleted site scores 0.  No
    partner site is needed, so an acceptor can be explained without its exon's donor.
    :class:`SpliceAISiteScorer` and :class:`IncrementalSiteScorer` compute it (see
    :class:`SpliceAIScorer` for what they share).

    Parameters
    ----------
    model : torch.nn.Module
        SpliceAI-like model, ``(N, 4, L + context) -> (N, 3, L)`` probabilities (neither,
        acceptor, donor) with an even integer ``context`` attribute, e.g. from
        :func:`captum_genomics.models.load_spliceai`; put in eval mode, run without gradients
        on its device.
    site : int
        Input position of the site in the reference that is searched (an acceptor is the
        first exon base, a donor the last, in transcript orientation).
    kind : {"acceptor", "donor"}
        Which probability is read at the site.
    tracked_column : int
        Column of ``batch.tracked`` holding the site: 0 when the search tracks
        :attr:`tracked`; give another when it tracks more positions.
    batch_size : int, optional
        Most sequences per model call (default :attr:`default_batch_size`).
    name : str, optional
        Recorded in the search provenance (default ``"spliceai_<kind>"``, with
        ``"_incremental"`` appended for the incremental scorer).
    reference : str, numpy.ndarray or torch.Tensor, optional
        ``(L,)`` text or codes, or ``(4, L)`` one-hot, of the searched reference; every batch
        must then carry it.

    Attributes
    ----------
    tracked : (int,)
        ``(site,)``: pass as ``search(..., tracked=scorer.tracked)``.
    site : int
    kind : str
    """

    def __init__(
        self,
        model: nn.Module,
        site: int,
        kind: str = "acceptor",
        tracked_column: int = 0,
        batch_size: int | None = None,
        name: str | None = None,
        *,
        reference=None,
    ) -> None:
        self.site = check_int(site, "site", 0)
        self.kind = check_choice(kind, "kind", SITE_KINDS)
        self._setup(
            model,
            (self.site,),
            (self.kind,),
            (check_int(tracked_column, "tracked_column", 0),),
            batch_size,
            name,
            f"spliceai_{kind}",
            reference,
        )

    def __call__(self, batch: EditBatch) -> np.ndarray:
        """``(n,)`` site probabilities of the ``n`` sequences of ``batch``, the GGGP hook."""
        return self.site_probabilities(batch)[:, 0]


class ExonScorer(SpliceAIScorer):
    """Exon score of edited sequences: SpliceAI probabilities at the moved splice sites.

    An exon scorer is a two-site scorer with a reduction: for each sequence it takes the
    acceptor probability at the moved acceptor and the donor probability at the moved donor,
    and combines them (``reduce``).  :class:`SpliceAIExonScorer` and
    :class:`IncrementalExonScorer` compute them (see :class:`SpliceAIScorer`).

    Deleted sites count as probability 0 before the reduction (``"mean"`` halves the other
    site's probability, ``"max"`` keeps it, ``"min"`` gives 0).  The default grammar forbids
    edits around both sites, so this arises only with user grammars.

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
    acceptor, donor : int
    reduce : str
    """

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
        self.reduce = check_reduce(reduce)
        self.acceptor = check_int(acceptor, "acceptor", 0)
        self.donor = check_int(donor, "donor", 0)
        check_exons(np.array([self.acceptor, self.donor]))
        self._setup(
            model,
            (self.acceptor, self.donor),
            SITE_KINDS,
            tracked_columns,
            batch_size,
            name,
            f"spliceai_exon_{reduce}",
            reference,
        )

    @property
    def needed(self) -> np.ndarray:
        """``(2,)`` bool: which of (acceptor, donor) the reduction reads."""
        return np.array(sites_read(self.reduce))

    def __call__(self, batch: EditBatch) -> np.ndarray:
        """``(n,)`` exon scores of the ``n`` sequences of ``batch``, the GGGP scorer hook."""
        p = self.site_probabilities(batch)
        return reduce_sites(p[:, 0], p[:, 1], self.reduce)


class SpliceAISiteScorer(_PlainScoring, SiteScorer):
    """Site scores from the model run on the site's receptive window.

    Parameters as :class:`SiteScorer`; memory grows with ``batch_size * context``.
    """


class IncrementalSiteScorer(_IncrementalScoring, SiteScorer):
    """Site scores computed incrementally from the reference.

    Same arguments, semantics and outputs as :class:`SpliceAISiteScorer` (to float rounding,
    about 1e-7); the model must be a :class:`~captum_genomics.models.SpliceAI` or
    :class:`~captum_genomics.models.SpliceAIEnsemble`.  Without ``reference`` the scorer takes
    the reference of the first batch it scores.

    Attributes
    ----------
    engine : IncrementalSpliceAI or None
        The incremental model, with its reference cache; None until the reference is known.
    """


class SpliceAIExonScorer(_PlainScoring, ExonScorer):
    """Exon scores from the model run on each site's receptive window (see :class:`ExonScorer`).

    Only the needed output positions are computed: each sequence is cut to the receptive field
    of its sites (``context + span + 1`` bases) and scored by
    :func:`~captum_genomics.splicing.heads.score_splice_sites`, in batches, on the model's
    device.  Memory grows with ``batch_size * context``.  Parameters as :class:`ExonScorer`.
    """


class IncrementalExonScorer(_IncrementalScoring, ExonScorer):
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
