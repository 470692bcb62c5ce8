"""Full delta tracks of scored variants: every position within ``distance``, as TSV or JSON.

SpliceAI's INFO entry keeps the largest change of each kind; the tracks keep all 2D + 1
positions of the REF and ALT outputs (:attr:`DeltaScore.tracks`), for plots and for
checking what the maximum hid. :class:`TrackWriter` streams them from
:func:`~captum_genomics.variants.score_vcf` (``on_scores=writer.add``) or from
:func:`~captum_genomics.variants.delta_scores` results; :class:`HaplotypeTrackWriter` writes
those of :func:`~captum_genomics.variants.haplotype_scores` /
:func:`~captum_genomics.variants.score_haplotypes` (:attr:`HaplotypeScore.tracks`, every
position from ``distance`` before the first variant to ``distance`` after the last) with
sample, haplotype and variants columns. Each file appears, complete, only when the writer
closes without error (written beside it and renamed, as :mod:`captum_genomics._atomic`
does).

Example::

    with TrackWriter(tsv="tracks.tsv", json="tracks.json") as writer:
        score_vcf("in.vcf", "out.vcf", "ref.fa", "grch37", on_scores=writer.add)
    with HaplotypeTrackWriter(tsv="haplotype_tracks.tsv") as writer:
        writer.add(score_haplotypes(model, "ref.fa", "in.vcf", "S1", table))
"""

from __future__ import annotations

import contextlib
import json
import os

import numpy as np

from captum_genomics._atomic import _cell, atomic_open
from captum_genomics.variants.delta import DeltaScore
from captum_genomics.variants.haplotype import HaplotypeScore

__all__ = ["HAPLOTYPE_TRACK_COLUMNS", "TRACK_COLUMNS", "HaplotypeTrackWriter", "TrackWriter",
           "haplotype_track_entry", "haplotype_track_rows", "track_entry", "track_rows"]

_VALUES = ("acceptor_ref", "acceptor_alt", "donor_ref", "donor_alt", "acceptor_delta",
           "donor_delta")
#: Columns of the TSV, one row per (variant, ALT, gene, position).
TRACK_COLUMNS = ("chrom", "pos", "variant_pos", "ref", "alt", "gene", "offset", *_VALUES)
#: Columns of the haplotype TSV, one row per (sample, haplotype, gene, position); ``offset``
#: counts from the haplotype's first variant, ``variants`` lists them as ``chrom:pos:REF>ALT``
#: joined by ``;``.
HAPLOTYPE_TRACK_COLUMNS = ("sample", "haplotype", "chrom", "pos", "gene", "variants",
                           "offset", *_VALUES)
_KINDS = ("DS_AG", "DS_AL", "DS_DG", "DS_DL")
_POSITIONS = ("DP_AG", "DP_AL", "DP_DG", "DP_DL")


def _columns(tracks: np.ndarray, first_offset: int) -> tuple[np.ndarray, ...]:
    """Offsets and the :data:`TRACK_COLUMNS` value tracks (acceptor/donor REF, ALT, and
    ALT - REF), each shape (M,), of tracks (2, M, 3) whose row 0 lies at ``first_offset``."""
    ref, alt = np.asarray(tracks, dtype=np.float64)
    return (np.arange(first_offset, first_offset + len(ref)), ref[:, 1], alt[:, 1], ref[:, 2],
            alt[:, 2], alt[:, 1] - ref[:, 1], alt[:, 2] - ref[:, 2])


def _score_columns(score: DeltaScore) -> tuple[np.ndarray, ...]:
    if score.tracks is None:
        raise ValueError(f"{score.allele}|{score.gene} has no tracks (REF and ALT both longer "
                         "than one base are not scored)")
    return _columns(score.tracks, -((score.tracks.shape[1] - 1) // 2))


def _haplotype_columns(score: HaplotypeScore) -> tuple[np.ndarray, ...]:
    span = score.variants[-1].pos - score.variants[0].pos
    return _columns(score.tracks, -((score.tracks.shape[1] - 1 - span) // 2))


def _values(columns: tuple[np.ndarray, ...]) -> list[tuple]:
    """Per row: the offset and the six value tracks."""
    offsets, *tracks = columns
    return [(int(o), *values) for o, *values in zip(offsets, *tracks)]


def _arrays(columns: tuple[np.ndarray, ...]) -> dict:
    offsets, *tracks = columns
    return {"offsets": offsets.tolist(),
            **{name: track.tolist() for name, track in zip(_VALUES, tracks)}}


def _summary(scores: tuple, positions: tuple) -> dict:
    return {"scores": dict(zip(_KINDS, map(float, scores))),
            "positions": dict(zip(_POSITIONS, map(int, positions)))}


def track_rows(chrom: str, pos: int, ref: str, score: DeltaScore) -> list[tuple]:
    """TSV rows of one score, 2D + 1 of them, in the order of :data:`TRACK_COLUMNS`.

    Parameters
    ----------
    chrom : str
    pos : int
        1-based position of the variant (its first REF base).
    ref : str
        REF allele.
    score : DeltaScore
        With ``tracks`` (any scored SNV or indel).

    Returns
    -------
    list of tuple
        ``pos`` is the 1-based reference position of each row (variant position + offset).
    """
    return [(chrom, pos + offset, pos, ref, score.allele, score.gene, offset, *values)
            for offset, *values in _values(_score_columns(score))]


def track_entry(chrom: str, pos: int, ref: str, score: DeltaScore) -> dict:
    """JSON object of one score: metadata, the INFO entry and the tracks as arrays.

    Parameters
    ----------
    chrom, pos, ref, score
        As :func:`track_rows`.

    Returns
    -------
    dict
        ``chrom``, ``pos``, ``ref``, ``alt``, ``gene``, ``info``, ``scores`` and ``positions``
        (by upstream's names ``DS_AG``..., ``DP_AG``...), ``offsets`` and the arrays
        ``acceptor_ref``, ``acceptor_alt``, ``donor_ref``, ``donor_alt``, ``acceptor_delta``
        and ``donor_delta`` (length 2D + 1).
    """
    return {"chrom": chrom, "pos": int(pos), "ref": ref, "alt": score.allele,
            "gene": score.gene, "info": score.info, **_summary(score.scores, score.positions),
            **_arrays(_score_columns(score))}


def _variants_text(score: HaplotypeScore) -> str:
    return ";".join(map(str, score.variants))


def haplotype_track_rows(score: HaplotypeScore) -> list[tuple]:
    """TSV rows of one haplotype score, in the order of :data:`HAPLOTYPE_TRACK_COLUMNS`.

    Parameters
    ----------
    score : HaplotypeScore

    Returns
    -------
    list of tuple
        One per reference position from ``distance`` before the first variant to ``distance``
        after the last (``span + 2D + 1``); ``pos`` is 1-based, ``chrom`` the first
        variant's.
    """
    first = score.variants[0]
    return [(score.sample, score.haplotype, first.chrom, first.pos + offset, score.gene,
             _variants_text(score), offset, *values)
            for offset, *values in _values(_haplotype_columns(score))]


def haplotype_track_entry(score: HaplotypeScore) -> dict:
    """JSON object of one haplotype score: metadata, scores and the tracks as arrays.

    Parameters
    ----------
    score : HaplotypeScore

    Returns
    -------
    dict
        ``sample``, ``haplotype``, ``chrom`` and ``pos`` (the first variant's: the origin of
        ``offsets``), ``gene``, ``variants`` (list of ``chrom:pos:REF>ALT``), ``info``,
        ``scores``, ``positions``, ``offsets`` and the arrays as :func:`track_entry`.
    """
    first = score.variants[0]
    return {"sample": score.sample, "haplotype": score.haplotype, "chrom": first.chrom,
            "pos": int(first.pos), "gene": score.gene,
            "variants": [str(v) for v in score.variants], "info": score.info,
            **_summary(score.scores, score.positions), **_arrays(_haplotype_columns(score))}


class _TrackFiles(contextlib.AbstractContextManager):
    """A TSV and/or JSON array written atomically; subclasses add rows and entries."""

    def __init__(self, tsv: str | os.PathLike | None, json_path: str | os.PathLike | None,
                 columns: tuple[str, ...]) -> None:
        if tsv is None and json_path is None:
            raise ValueError(f"{type(self).__name__} needs a tsv or a json path")
        self._paths = (tsv, json_path)
        self._columns = columns
        self._stack = contextlib.ExitStack()
        self._tsv = self._json = None
        self.n_entries = 0

    def __enter__(self):
        tsv, json_path = self._paths
        with self._stack as stack:
            if tsv is not None:
                self._tsv = stack.enter_context(atomic_open(tsv))
                self._tsv.write("\t".join(self._columns) + "\n")
            if json_path is not None:
                self._json = stack.enter_context(atomic_open(json_path))
                self._json.write("[")
            self._stack = stack.pop_all()
        return self

    def _check_open(self) -> None:
        if self._tsv is None and self._json is None:
            name = type(self).__name__
            raise RuntimeError(f"use {name} as a context manager: with {name}(...) as w")

    def _write(self, rows, entry) -> None:
        """Write one entry: ``rows()`` to the TSV, ``entry()`` to the JSON (each if open)."""
        if self._tsv is not None:
            self._tsv.writelines("\t".join(_cell(v, c) for v, c in zip(row, self._columns))
                                 + "\n" for row in rows())
        if self._json is not None:
            self._json.write(("\n" if not self.n_entries else ",\n") + json.dumps(entry()))
        self.n_entries += 1

    def __exit__(self, *exc_info) -> bool | None:
        if self._json is not None and exc_info[0] is None:
            self._json.write("\n]\n")
        self._tsv = self._json = None
        return self._stack.__exit__(*exc_info)


class TrackWriter(_TrackFiles):
    """Stream the delta tracks of scored variants to a TSV file, a JSON file, or both.

    Use as a context manager; the files replace their destinations when the block ends
    without error, and nothing is left when it raises. Scores without tracks (REF and ALT
    both longer than one base) are left out.

    Parameters
    ----------
    tsv : str or os.PathLike, optional
        Tab-separated table with the header :data:`TRACK_COLUMNS`, one row per position.
    json : str or os.PathLike, optional
        A JSON array of :func:`track_entry` objects, one per (variant, ALT, gene).

    Attributes
    ----------
    n_entries : int
        (variant, ALT, gene) entries written so far.
    """

    def __init__(self, tsv: str | os.PathLike | None = None,
                 json: str | os.PathLike | None = None) -> None:
        super().__init__(tsv, json, TRACK_COLUMNS)

    def add(self, record, scores: list[DeltaScore]) -> None:
        """Write the tracks of one record's scores.

        Parameters
        ----------
        record : object
            With ``chrom``, ``pos`` (1-based) and ``ref`` attributes (e.g. a
            ``pysam.VariantRecord``).
        scores : list of DeltaScore
            The record's scores, as :func:`~captum_genomics.variants.score_records` yields.
        """
        self._check_open()
        if not scores:
            return
        where = (record.chrom, record.pos, record.ref)
        for score in scores:
            if score.tracks is not None:
                self._write(lambda s=score: track_rows(*where, s),
                            lambda s=score: track_entry(*where, s))


class HaplotypeTrackWriter(_TrackFiles):
    """Write the delta tracks of haplotype scores to a TSV file, a JSON file, or both.

    A context manager like :class:`TrackWriter`, for
    :class:`~captum_genomics.variants.HaplotypeScore` objects.

    Parameters
    ----------
    tsv : str or os.PathLike, optional
        Tab-separated table with the header :data:`HAPLOTYPE_TRACK_COLUMNS`, one row per
        position.
    json : str or os.PathLike, optional
        A JSON array of :func:`haplotype_track_entry` objects, one per (haplotype, gene).

    Attributes
    ----------
    n_entries : int
        (haplotype, gene) entries written so far.
    """

    def __init__(self, tsv: str | os.PathLike | None = None,
                 json: str | os.PathLike | None = None) -> None:
        super().__init__(tsv, json, HAPLOTYPE_TRACK_COLUMNS)

    def add(self, scores) -> None:
        """Write the tracks of haplotype scores.

        Parameters
        ----------
        scores : iterable of HaplotypeScore
            As :func:`~captum_genomics.variants.haplotype_scores` or
            :func:`~captum_genomics.variants.score_haplotypes` return them.
        """
        self._check_open()
        for score in scores:
            self._write(lambda s=score: haplotype_track_rows(s),
                        lambda s=score: haplotype_track_entry(s))
