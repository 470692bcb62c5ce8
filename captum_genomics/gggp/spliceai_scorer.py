"""SpliceAI exon scores for the GGGP search, and the reference's exon-triplet input.

:class:`SpliceAIExonScorer` is a scorer for :func:`~captum_genomics.gggp.search`: it scores each
edited sequence by the SpliceAI probabilities at the cassette exon's own splice sites, followed
through indels by the engine (``EditBatch.tracked``).  :func:`build_exon_input` builds the input
of the reference method from a transcript: the cassette exon with its upstream and downstream
exons and the introns between, trimmed to ``max_distance`` nt of the cassette exon and padded
with N on both sides.

Coordinates are 0-based indices into the sequence that is searched (the padded model input):
acceptor = first exon base, donor = last exon base, in transcript orientation.  For a SpliceAI
model of context ``C`` fed an input padded with ``C / 2`` N on each side, input index ``i`` is
output position ``i - C / 2``.

Examples
--------
>>> exon = build_exon_input()  # TUBB8 internal exon chr10:94744-94852    # doctest: +SKIP
>>> scorer = SpliceAIExonScorer(load_spliceai(), exon.acceptor, exon.donor)  # doctest: +SKIP
>>> result = search(exon.sequence, scorer, grammar=exon.grammar(),           # doctest: +SKIP
...                 settings=SearchSettings(max_evaluations=300), tracked=scorer.tracked)
"""

from __future__ import annotations

import abc
import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ..dna.codec import one_hot
from ..dna.fasta import read_region
from ..example_data import TUBB8, OrientedSequence, Transcript, example_fasta_path
from ..models.heads import score_splice_sites
from .grammar import CODE_N, Grammar
from .population import EditBatch

__all__ = ["REDUCTIONS", "ExonInput", "ExonScorer", "SpliceAIExonScorer", "build_exon_input"]

#: How the acceptor and donor probabilities combine into the exon score.
REDUCTIONS = ("mean", "max", "min", "acceptor", "donor")

_TUBB8_CASSETTE = (94744, 94852)


class ExonScorer(abc.ABC):
    """Shared part of the exon scorers: site bookkeeping, validation and the reduction.

    Subclasses compute :meth:`site_probabilities`; calling the scorer combines them with
    ``reduce``. Deleted sites (tracked coordinate -1) count as probability 0.

    Parameters
    ----------
    acceptor, donor : int
        0-based indices of the cassette exon's acceptor (first exon base) and donor (last exon
        base) in the reference that is searched, ``acceptor <= donor``.
    reduce : {"mean", "max", "min", "acceptor", "donor"}
        How the two probabilities combine (the reference uses ``"mean"``).
    tracked_columns : (int, int)
        Columns of ``batch.tracked`` holding the acceptor and the donor.
    batch_size : int
        Most sequences per model call.
    name : str
        Recorded in the search provenance.
    """

    def __init__(
        self,
        acceptor: int,
        donor: int,
        reduce: str,
        tracked_columns: tuple[int, int],
        batch_size: int,
        name: str,
    ) -> None:
        if reduce not in REDUCTIONS:
            raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
        acceptor, donor = int(acceptor), int(donor)
        if not 0 <= acceptor <= donor:
            raise ValueError(
                f"need 0 <= acceptor <= donor (first and last exon base, transcript orientation), "
                f"got acceptor={acceptor}, donor={donor}; reverse-complement minus-strand genes"
            )
        columns = tuple(int(c) for c in tracked_columns)
        if len(columns) != 2 or min(columns) < 0:
            raise ValueError(f"tracked_columns must be two column indices, got {tracked_columns}")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self.acceptor = acceptor
        self.donor = donor
        self.reduce = reduce
        self.tracked_columns = columns
        self.batch_size = int(batch_size)
        self.name = name

    @property
    def tracked(self) -> tuple[int, int]:
        """``(acceptor, donor)`` reference indices to track in the search."""
        return self.acceptor, self.donor

    @property
    def needed(self) -> np.ndarray:
        """``(2,)`` bool: which of (acceptor, donor) the reduction reads."""
        return {
            "acceptor": np.array([True, False]),
            "donor": np.array([False, True]),
        }.get(self.reduce, np.array([True, True]))

    def _tracked_sites(self, batch: EditBatch) -> np.ndarray:
        """``(n, 2)`` moved acceptor and donor of each sequence (-1 where deleted)."""
        tracked = np.asarray(batch.tracked, dtype=np.int64)
        if tracked.ndim != 2 or tracked.shape[1] <= max(self.tracked_columns):
            raise ValueError(
                f"batch.tracked has shape {tracked.shape}, without columns {self.tracked_columns} "
                "for the acceptor and donor; run the search with tracked=scorer.tracked"
            )
        return tracked[:, list(self.tracked_columns)]

    @abc.abstractmethod
    def site_probabilities(self, batch: EditBatch) -> np.ndarray:
        """Acceptor and donor probabilities at the moved sites.

        Parameters
        ----------
        batch : EditBatch
            ``n`` edited sequences with tracked coordinates.

        Returns
        -------
        numpy.ndarray
            ``(n, 2)`` float64: P(acceptor) at the acceptor, P(donor) at the donor; 0 where a
            site was deleted, and 0 for the site a one-site ``reduce`` does not read.
        """

    def __call__(self, batch: EditBatch) -> np.ndarray:
        """``(n,)`` exon scores of the ``n`` sequences of ``batch``, the GGGP scorer hook."""
        p = self.site_probabilities(batch)
        if self.reduce == "mean":
            return p.mean(axis=1)
        if self.reduce == "max":
            return p.max(axis=1)
        if self.reduce == "min":
            return p.min(axis=1)
        return p[:, 0] if self.reduce == "acceptor" else p[:, 1]


class SpliceAIExonScorer(ExonScorer):
    """Exon score of edited sequences: SpliceAI probabilities at the moved splice sites.

    For each sequence of an :class:`~captum_genomics.gggp.population.EditBatch` the scorer
    reads where the cassette exon's acceptor and donor moved (``batch.tracked``), takes the
    acceptor probability at the acceptor and the donor probability at the donor, and combines
    them (``reduce``).  Only those output positions are computed: each sequence is cut to the
    receptive field of its sites (``context + span + 1`` bases) and scored by
    :func:`captum_genomics.models.heads.score_splice_sites` (the engine of
    :class:`~captum_genomics.models.heads.ExonHead`), in batches, on the model's device.

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
        :func:`captum_genomics.models.load_spliceai`; used in eval mode, without gradients.
    acceptor, donor : int
        0-based indices of the cassette exon's acceptor (first exon base) and donor (last exon
        base) in the reference that is searched, ``acceptor <= donor``.
    reduce : {"mean", "max", "min", "acceptor", "donor"}
        How the two probabilities combine (the reference uses ``"mean"``).
    tracked_columns : (int, int)
        Columns of ``batch.tracked`` holding the acceptor and the donor: ``(0, 1)`` when the
        search tracks :attr:`tracked`; give others when it tracks more positions.
    batch_size : int
        Most sequences per model call (memory grows with ``batch_size * context``).
    name : str, optional
        Recorded in the search provenance (default ``"spliceai_exon_<reduce>"``).

    Attributes
    ----------
    tracked : tuple of int
        ``(acceptor, donor)``: pass as ``search(..., tracked=scorer.tracked)``.
    context : int
        The model's context.
    """

    def __init__(
        self,
        model: nn.Module,
        acceptor: int,
        donor: int,
        reduce: str = "mean",
        tracked_columns: tuple[int, int] = (0, 1),
        batch_size: int = 32,
        name: str | None = None,
    ) -> None:
        context = getattr(model, "context", None)
        if not isinstance(context, int) or context < 0 or context % 2:
            raise TypeError(
                "model must be SpliceAI-like with an even integer `context` (input minus output "
                f"length), e.g. captum_genomics.models.load_spliceai(); got {type(model).__name__}"
            )
        super().__init__(acceptor, donor, reduce, tracked_columns, batch_size,
                         name or f"spliceai_exon_{reduce}")
        self.model = model.eval()
        self.context = context
        parameter = next(model.parameters(), None)
        self._device = torch.device("cpu") if parameter is None else parameter.device
        self._dtype = torch.float32 if parameter is None else parameter.dtype

    def _sites(self, batch: EditBatch) -> np.ndarray:
        """``(n, 2)`` moved sites, checked against the unedited reference's."""
        sites = self._tracked_sites(batch)
        unedited = batch.population.n_units == 0
        same_frame = batch.fixed_length is None or batch.fixed_length == batch.reference.size
        if same_frame and unedited.any() and (sites[unedited] != self.tracked).any():
            raise ValueError(
                f"batch.tracked columns {self.tracked_columns} of an unedited sequence are "
                f"{sites[unedited][0].tolist()}, not the acceptor and donor {self.tracked}; run "
                "the search with tracked=scorer.tracked (or set tracked_columns)"
            )
        return sites

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
        # window of row r: input positions [low_r - half, low_r - half + width), N outside
        padded = np.pad(codes, ((0, 0), (half, half + span)), constant_values=CODE_N)
        index = low[:, None] + np.arange(width)[None, :]
        window = np.take_along_axis(padded, index, axis=1)
        codes_t = torch.from_numpy(window.astype(np.int64)).to(self._device)
        x = torch.nn.functional.one_hot(codes_t, CODE_N + 1)[..., :4]
        x = x.permute(0, 2, 1).to(self._dtype)
        local = torch.from_numpy(sites - low[:, None]).to(self._device)
        with torch.no_grad():
            scores = score_splice_sites(self.model, x, local, kinds, "probability")
        return scores.double().cpu().numpy()


@dataclass(frozen=True)
class ExonInput:
    """A cassette exon with its neighbouring exons, as the reference method feeds SpliceAI.

    Attributes
    ----------
    sequence : str
        ``(L,)`` uppercase bases in transcript orientation: ``pad`` N, the region, ``pad`` N.
    sites : numpy.ndarray
        ``(3, 2)`` int64 indices into :attr:`sequence`,
        ``[[up_acc, up_don], [cas_acc, cas_don], [down_acc, down_don]]`` (acceptor = first
        exon base, donor = last exon base); -1 for a site trimmed away.  The upstream exon's
        acceptor is the transcript start when it is the first exon, and the downstream exon's
        donor the transcript end when it is the last.
    region : OrientedSequence
        The region without padding and its genome coordinates (``region.index`` and
        ``region.position`` map genome positions and region indices).
    pad : int
        N bases added on each side.
    max_distance : int
        Trimming distance from the cassette exon.
    """

    sequence: str
    sites: np.ndarray
    region: OrientedSequence
    pad: int
    max_distance: int

    @property
    def acceptor(self) -> int:
        """Index of the cassette exon's acceptor in :attr:`sequence`."""
        return int(self.sites[1, 0])

    @property
    def donor(self) -> int:
        """Index of the cassette exon's donor in :attr:`sequence`."""
        return int(self.sites[1, 1])

    def index(self, position):
        """Indices in :attr:`sequence` of 1-based genome positions (inside the region)."""
        return self.region.index(position) + self.pad

    def position(self, index):
        """1-based genome positions of indices in :attr:`sequence` (outside the padding)."""
        return self.region.position(np.asarray(index) - self.pad)

    def grammar(self, **changes: Any) -> Grammar:
        """The reference grammar on this input.

        Forbidden zones around every present splice site, and no edit farther than
        :attr:`max_distance` from the cassette exon (the N padding is never edited).

        Parameters
        ----------
        **changes
            Other :class:`~captum_genomics.gggp.grammar.Grammar` fields or overrides.

        Returns
        -------
        Grammar
        """
        acceptors = tuple(int(s) for s in self.sites[:, 0] if s >= 0)
        donors = tuple(int(s) for s in self.sites[:, 1] if s >= 0)
        fields = {
            "acceptors": acceptors,
            "donors": donors,
            "roi": (self.acceptor, self.donor + 1),
            "max_distance": self.max_distance,
        }
        fields.update(changes)
        return dataclasses.replace(Grammar(), **fields)

    def one_hot(self) -> torch.Tensor:
        """``(1, 4, L)`` float32 one-hot of :attr:`sequence` (N all zero, as SpliceAI reads)."""
        return one_hot([self.sequence])


def _transcript_exon(transcript: Transcript, exon) -> int:
    """Transcript-order index of ``exon`` (an index or a genome ``(start, end)`` pair)."""
    ordered = transcript.exons_transcript_order
    if isinstance(exon, (int, np.integer)) and not isinstance(exon, bool):
        index = int(exon)
    else:
        try:
            pair = tuple(int(v) for v in exon)
        except (TypeError, ValueError):
            raise TypeError(
                f"exon must be a transcript-order index or a (start, end) pair, got {exon!r}"
            ) from None
        if pair not in ordered:
            raise ValueError(
                f"exon {pair} is not an exon of {transcript.name}; its exons are {ordered}"
            )
        index = ordered.index(pair)
    if not 1 <= index <= len(ordered) - 2:
        raise ValueError(
            f"the cassette exon must be internal (transcript-order index 1..{len(ordered) - 2} "
            f"of {transcript.name}'s {len(ordered)} exons), got index {index}"
        )
    return index


def build_exon_input(
    transcript: Transcript = TUBB8,
    exon: int | tuple[int, int] = _TUBB8_CASSETTE,
    fasta=None,
    max_distance: int = 5000,
    pad: int = 5000,
) -> ExonInput:
    """The reference method's SpliceAI input for one internal (cassette) exon.

    The cassette exon with its upstream and downstream exons and the introns between, read in
    transcript orientation (reverse-complemented on the minus strand), trimmed so that nothing
    lies more than ``max_distance`` nt from the cassette exon, padded with ``pad`` N on each
    side.  For TUBB8's internal exon chr10:94744-94852 (acceptor 94852, donor 94744, minus
    strand) the input has 10,975 nt and the cassette sites at indices 5677 and 5785.

    Parameters
    ----------
    transcript : Transcript
        The transcript (default :data:`captum_genomics.example_data.TUBB8`).
    exon : int or (int, int)
        The cassette exon: its index in transcript order, or its genome ``(start, end)`` as in
        ``transcript.exons``; it must be internal.
    fasta : str, os.PathLike or pyfaidx.Fasta, optional
        Reference holding the transcript (default: the shipped chr10 example FASTA).
    max_distance : int
        Trimming distance in nt from the cassette exon.
    pad : int
        N added on each side (5,000 = half of SpliceAI-10k's context).

    Returns
    -------
    ExonInput
        Sequence ``(pad + R + pad,)``, splice-site indices ``(3, 2)`` and genome mapping.
    """
    if int(max_distance) < 0 or int(pad) < 0:
        raise ValueError(f"max_distance and pad must be >= 0, got {max_distance} and {pad}")
    index = _transcript_exon(transcript, exon)
    triplet = transcript.exons_transcript_order[index - 1 : index + 2]
    cas_start, cas_end = triplet[1]
    low = max(min(s for s, _ in triplet), cas_start - int(max_distance), 1)
    high = min(max(e for _, e in triplet), cas_end + int(max_distance))
    text = read_region(
        example_fasta_path() if fasta is None else fasta,
        (transcript.chrom, low, high),
        strand=transcript.strand,
    ).upper()
    region = OrientedSequence(text, transcript.chrom, low, high, transcript.strand)
    # acceptor = first base in transcript orientation: start on "+", end on "-"
    first, last = (0, 1) if transcript.strand == "+" else (1, 0)
    genome = np.array([[e[first], e[last]] for e in triplet], dtype=np.int64)
    inside = (genome >= low) & (genome <= high)
    sites = np.full((3, 2), -1, dtype=np.int64)
    sites[inside] = region.index(genome[inside]) + int(pad)
    sequence = "N" * int(pad) + text + "N" * int(pad)
    return ExonInput(sequence, sites, region, int(pad), int(max_distance))
