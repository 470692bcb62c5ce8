"""Full delta tracks of scored variants: every position within ``distance``, as TSV or JSON.

SpliceAI's INFO entry keeps the largest change of each kind; the tracks keep all 2D + 1
positions of the REF and ALT outputs (:attr:`DeltaScore.tracks`), for plots and for
checking what the maximum hid. :class:`TrackWriter` streams them from
:func:`~captum_genomics.variants.score_vcf` (``on_scores=writer.add``) or from
:func:`~captum_genomics.variants.delta_scores` results, and each file appears, complete,
only when the writer closes without error (written beside it and renamed, as
:mod:`captum_genomics._atomic` does).

Example::

    with TrackWriter(tsv="tracks.tsv", json="tracks.json") as writer:
        score_vcf("in.vcf", "out.vcf", "ref.fa", "grch37", on_scores=writer.add)
"""

from __future__ import annotations

import contextlib
import json
import os

import numpy as np

from captum_genomics._atomic import _cell, atomic_open
from captum_genomics.variants.delta import DeltaScore

__all__ = ["TRACK_COLUMNS", "TrackWriter", "track_rows", "track_entry"]

#: Columns of the TSV, one row per (variant, ALT, gene, position).
TRACK_COLUMNS = ("chrom", "pos", "variant_pos", "ref", "alt", "gene", "offset",
                 "acceptor_ref", "acceptor_alt", "donor_ref", "donor_alt",
                 "acceptor_delta", "donor_delta")
_KINDS = ("DS_AG", "DS_AL", "DS_DG", "DS_DL")
_POSITIONS = ("DP_AG", "DP_AL", "DP_DG", "DP_DL")


def _columns(score: DeltaScore) -> tuple[np.ndarray, ...]:
    """Offsets and the acceptor/donor REF and ALT tracks of one score, each shape (2D + 1,)."""
    if score.tracks is None:
        raise ValueError(f"{score.allele}|{score.gene} has no tracks (REF and ALT both longer "
                         "than one base are not scored)")
    ref, alt = np.asarray(score.tracks, dtype=np.float64)
    distance = (len(ref) - 1) // 2
    return np.arange(-distance, distance + 1), ref[:, 1], alt[:, 1], ref[:, 2], alt[:, 2]


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
    offsets, acc_ref, acc_alt, don_ref, don_alt = _columns(score)
    return [(chrom, pos + int(o), pos, ref, score.allele, score.gene, int(o), a_r, a_a, d_r,
             d_a, a_a - a_r, d_a - d_r)
            for o, a_r, a_a, d_r, d_a in zip(offsets, acc_ref, acc_alt, don_ref, don_alt)]


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
        ``acceptor_ref``, ``acceptor_alt``, ``donor_ref``, ``donor_alt`` (length 2D + 1).
    """
    offsets, acc_ref, acc_alt, don_ref, don_alt = _columns(score)
    return {
        "chrom": chrom, "pos": int(pos), "ref": ref, "alt": score.allele, "gene": score.gene,
        "info": score.info,
        "scores": dict(zip(_KINDS, map(float, score.scores))),
        "positions": dict(zip(_POSITIONS, map(int, score.positions))),
        "offsets": offsets.tolist(), "acceptor_ref": acc_ref.tolist(),
        "acceptor_alt": acc_alt.tolist(), "donor_ref": don_ref.tolist(),
        "donor_alt": don_alt.tolist(),
    }


class TrackWriter(contextlib.AbstractContextManager):
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
        if tsv is None and json is None:
            raise ValueError("TrackWriter needs a tsv or a json path")
        self._paths = (tsv, json)
        self._stack = contextlib.ExitStack()
        self._tsv = self._json = None
        self.n_entries = 0

    def __enter__(self) -> TrackWriter:
        tsv, json_path = self._paths
        with self._stack as stack:
            if tsv is not None:
                self._tsv = stack.enter_context(atomic_open(tsv))
                self._tsv.write("\t".join(TRACK_COLUMNS) + "\n")
            if json_path is not None:
                self._json = stack.enter_context(atomic_open(json_path))
                self._json.write("[")
            self._stack = stack.pop_all()
        return self

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
        if self._tsv is None and self._json is None:
            raise RuntimeError("use TrackWriter as a context manager: with TrackWriter(...) as w")
        for score in scores:
            if score.tracks is None:
                continue
            if self._tsv is not None:
                rows = track_rows(record.chrom, record.pos, record.ref, score)
                self._tsv.writelines("\t".join(_cell(v, c) for v, c in zip(row, TRACK_COLUMNS))
                                     + "\n" for row in rows)
            if self._json is not None:
                entry = json.dumps(track_entry(record.chrom, record.pos, record.ref, score))
                self._json.write(("\n" if not self.n_entries else ",\n") + entry)
            self.n_entries += 1

    def __exit__(self, *exc_info) -> bool | None:
        if self._json is not None and exc_info[0] is None:
            self._json.write("\n]\n")
        self._tsv = self._json = None
        return self._stack.__exit__(*exc_info)
