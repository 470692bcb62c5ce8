"""Results in the formats other tools read: bedGraph, bigWig, TF-MoDISco-lite inputs, TSV.

Genome coordinates follow the package convention (1-based, inclusive) everywhere in the API;
the writers convert to each format's own convention (bedGraph and bigWig are 0-based,
half-open). Every file is written atomically (:mod:`captum_genomics._atomic`): an error
mid-write leaves the destination as it was and no partial file. NumPy only (pyBigWig and
pyfaidx are imported where used). :func:`write_table` lives in :mod:`captum_genomics._atomic`
(so numpy-only code such as :mod:`captum_genomics.gggp` shares it) and is public here.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from captum_genomics._atomic import atomic_open, atomic_path, write_table
from captum_genomics._validate import check_choice

__all__ = [
    "OVERLAP_POLICIES",
    "RegionTrack",
    "check_overlaps",
    "chrom_sizes",
    "write_bedgraph",
    "write_bigwig",
    "write_modisco_inputs",
    "write_table",
]

#: What the track writers do with overlapping regions: refuse, or average per base.
OVERLAP_POLICIES = ("error", "mean")


@dataclass(frozen=True, eq=False)
class RegionTrack:
    """Per-base scores of one genome region, in the orientation the model read it.

    Parameters
    ----------
    chrom : str
        Chromosome name.
    start, end : int
        First and last base, 1-based inclusive (``1 <= start <= end``).
    strand : {"+", "-", "."}
        ``"-"``: the region was reverse-complemented for the model, so ``values[0]`` is
        genome position ``end`` and ``values[-1]`` is ``start``. ``"."`` reads as ``"+"``.
    values : array-like, shape (L,), L = end - start + 1
        Scores in model orientation, stored as float64; NaN marks a missing value.
    name : str, default ""
        Region name.

    Raises
    ------
    TypeError
        If ``start`` or ``end`` is not an integer.
    ValueError
        On bad coordinates, an unknown strand, or values not of shape (L,).
    """

    chrom: str
    start: int
    end: int
    strand: str
    values: np.ndarray
    name: str = ""

    def __post_init__(self) -> None:
        for field in ("start", "end"):
            value = getattr(self, field)
            if isinstance(value, bool) or not hasattr(value, "__index__"):
                raise TypeError(f"RegionTrack.{field} must be an int, got {type(value).__name__}")
            object.__setattr__(self, field, operator.index(value))
        if not 1 <= self.start <= self.end:
            raise ValueError(
                f"region {self.label}: need 1 <= start <= end (1-based inclusive coordinates)"
            )
        check_choice(self.strand, "strand", ("+", "-", "."))
        values = np.asarray(self.values, dtype=np.float64)
        if values.shape != (len(self),):
            raise ValueError(
                f"region {self.label} covers {len(self)} bases but its values have shape "
                f"{values.shape}; pass one value per base, shape ({len(self)},)"
            )
        object.__setattr__(self, "values", values)

    def __len__(self) -> int:
        """Number of bases, ``end - start + 1``."""
        return self.end - self.start + 1

    @property
    def label(self) -> str:
        """``"chrom:start-end(strand)"``, 1-based inclusive, for messages."""
        return f"{self.chrom}:{self.start}-{self.end}({self.strand})"

    def genome_values(self) -> np.ndarray:
        """Scores in ascending genome order: element i is position ``start + i``, shape (L,)."""
        return self.values[::-1] if self.strand == "-" else self.values


def check_overlaps(tracks: Iterable[RegionTrack]) -> None:
    """Refuse regions that share a base.

    Parameters
    ----------
    tracks : iterable of RegionTrack or of objects with ``chrom``, ``start``, ``end``
        (1-based inclusive; e.g. :class:`~captum_genomics.dna.annotations.Interval`).

    Raises
    ------
    ValueError
        Naming the first two overlapping regions found (in genome order).
    """
    for cluster in _clusters(list(tracks)):
        if len(cluster) > 1:
            first, second = cluster[0], cluster[1]
            raise ValueError(
                f"regions {_label(first)} and {_label(second)} overlap; a track holds one value "
                "per base: pass overlap='mean' to average them, or explain regions that do not "
                "overlap"
            )


def _label(region) -> str:
    return f"{region.chrom}:{region.start}-{region.end}({getattr(region, 'strand', '.')})"


def _clusters(regions: list) -> list[list]:
    """Regions grouped into maximal runs that overlap one another, in genome order.

    Chromosomes come in lexicographic order (``sort -k1,1 -k2,2n``, which bedGraphToBigWig
    expects), regions by start then end.
    """
    ordered = sorted(regions, key=lambda r: (r.chrom, r.start, r.end))
    clusters: list[list] = []
    reach = None  # (chrom, last base covered by the current cluster)
    for region in ordered:
        if reach is not None and region.chrom == reach[0] and region.start <= reach[1]:
            clusters[-1].append(region)
            reach = (reach[0], max(reach[1], region.end))
        else:
            clusters.append([region])
            reach = (region.chrom, region.end)
    return clusters


def _segments(tracks: Sequence[RegionTrack], overlap: str
              ) -> Iterator[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """Runs of equal values ``(chrom, start0, end0, value)``, 0-based half-open, sorted.

    Consecutive bases of equal value (exactly) become one run; NaN bases are left out.
    Overlapping tracks raise unless ``overlap="mean"``, which averages the non-NaN values of
    every base.
    """
    check_choice(overlap, "overlap", OVERLAP_POLICIES)
    for track in tracks:
        if not isinstance(track, RegionTrack):
            raise TypeError(f"tracks must hold RegionTrack objects, got {type(track).__name__}")
    if overlap == "error":
        check_overlaps(tracks)
    for cluster in _clusters(list(tracks)):
        first = cluster[0].start
        span = max(t.end for t in cluster) - first + 1
        total, count = np.zeros(span), np.zeros(span)
        for track in cluster:
            values = track.genome_values()
            seen = ~np.isnan(values)
            where = slice(track.start - first, track.end - first + 1)
            total[where] += np.where(seen, values, 0.0)
            count[where] += seen
        with np.errstate(invalid="ignore"):
            values = total / count  # NaN where no track has a value
        positions = np.flatnonzero(~np.isnan(values))
        if len(positions) == 0:
            continue
        # A run ends where the next base is absent (NaN or gap) or holds another value.
        breaks = (np.diff(positions) != 1) | (values[positions[1:]] != values[positions[:-1]])
        starts = positions[np.concatenate([[True], breaks])]
        ends = positions[np.concatenate([breaks, [True]])] + 1
        yield cluster[0].chrom, starts + first - 1, ends + first - 1, values[starts]


def _track_line(name: str, description: str | None) -> str:
    for label, text in (("name", name), ("description", description or "")):
        if any(ch in text for ch in '"\r\n'):
            raise ValueError(f"track {label} {text!r} holds a quote or line break; remove it")
    line = f'track type=bedGraph name="{name}"'
    return line + (f' description="{description}"' if description else "") + "\n"


def write_bedgraph(path: str | os.PathLike[str], tracks: Iterable[RegionTrack],
                   name: str = "attributions", description: str | None = None,
                   overlap: str = "error") -> None:
    """Write per-base scores as a UCSC bedGraph (IGV and the UCSC browser load it).

    The file starts with a ``track type=bedGraph`` line, then one line
    ``chrom<TAB>start0<TAB>end0<TAB>value`` per run of bases, in 0-based half-open
    coordinates (a base at 1-based position p is ``p - 1  p``), sorted by chromosome
    (lexicographically) then position. Consecutive bases of exactly equal value are merged
    into one line; NaN bases are left out. Minus-strand tracks are flipped back to genome
    order (:meth:`RegionTrack.genome_values`).

    Parameters
    ----------
    path : str or os.PathLike
        Output file; its directory must exist. Written atomically.
    tracks : iterable of RegionTrack
        Regions to write, in any order.
    name : str, default "attributions"
        Track name shown by the browser.
    description : str, optional
        Longer track label.
    overlap : {"error", "mean"}, default "error"
        ``"error"`` refuses tracks that share a base (the message names both regions);
        ``"mean"`` writes, for every base, the mean of the non-NaN values the tracks give it.

    Raises
    ------
    ValueError
        On overlapping tracks under ``overlap="error"``, an unknown ``overlap``, or a name or
        description holding a quote or line break.
    TypeError
        If an item of ``tracks`` is not a :class:`RegionTrack`.
    """
    tracks = list(tracks)
    lines = [_track_line(name, description)]
    for chrom, starts, ends, values in _segments(tracks, overlap):
        lines.extend(f"{chrom}\t{s}\t{e}\t{v!r}\n"
                     for s, e, v in zip(starts.tolist(), ends.tolist(), values.tolist()))
    with atomic_open(path) as handle:
        handle.writelines(lines)


def chrom_sizes(fasta) -> dict[str, int]:
    """Chromosome lengths of a FASTA file, from its ``.fai`` index (built if needed).

    Parameters
    ----------
    fasta : str, os.PathLike or pyfaidx.Fasta
        As for :func:`~captum_genomics.dna.fasta.read_region` (same index handling).

    Returns
    -------
    dict of str to int
        ``{chrom: length}`` in file order.
    """
    from captum_genomics.dna.fasta import _open_fasta

    fa, owned = _open_fasta(fasta)
    try:
        return {name: len(record) for name, record in fa.records.items()}
    finally:
        if owned:
            fa.close()


_fasta_sizes = chrom_sizes  # write_bigwig's argument of the same name hides the function


def write_bigwig(path: str | os.PathLike[str], tracks: Iterable[RegionTrack],
                 chrom_sizes: Mapping[str, int] | str | os.PathLike[str],
                 overlap: str = "error") -> None:
    """Write per-base scores as a bigWig with pyBigWig.

    The same runs as :func:`write_bedgraph` (genome order, equal neighbours merged, NaN left
    out), stored as bedGraph-like entries; ``pyBigWig.open(path).values(chrom, p - 1, p)``
    reads back the score of 1-based position p.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; its directory must exist. Written atomically.
    tracks : iterable of RegionTrack
        Regions to write, in any order.
    chrom_sizes : mapping of str to int, or a FASTA path
        Chromosome lengths (all of them go into the header, in lexicographic order), or a
        FASTA whose ``.fai`` gives them (:func:`chrom_sizes`).
    overlap : {"error", "mean"}, default "error"
        See :func:`write_bedgraph`.

    Raises
    ------
    ValueError
        On a chromosome missing from ``chrom_sizes``, a region past its chromosome's end,
        a non-positive length, or overlapping tracks under ``overlap="error"``.
    """
    import pyBigWig

    tracks = list(tracks)
    sizes = chrom_sizes if isinstance(chrom_sizes, Mapping) else _fasta_sizes(chrom_sizes)
    for chrom, size in sizes.items():
        if isinstance(size, bool) or not hasattr(size, "__index__") or size < 1:
            raise ValueError(f"chromosome {chrom!r} has length {size!r}; lengths are ints >= 1")
    for track in tracks:
        if track.chrom not in sizes:
            raise ValueError(
                f"region {track.label}: chromosome {track.chrom!r} is not in chrom_sizes "
                f"({len(sizes)} chromosomes, e.g. {', '.join(list(sizes)[:5])}); pass the sizes "
                "of the genome the regions come from"
            )
        if track.end > sizes[track.chrom]:
            raise ValueError(
                f"region {track.label} ends past {track.chrom!r}, which has length "
                f"{sizes[track.chrom]}; pass the sizes of the genome the regions come from"
            )
    segments = list(_segments(tracks, overlap))
    header = sorted((chrom, int(size)) for chrom, size in sizes.items())
    with atomic_path(path) as tmp:
        bw = pyBigWig.open(tmp, "w")
        if bw is None:
            raise OSError(f"pyBigWig could not create {tmp}")
        try:
            bw.addHeader(header)
            for chrom, starts, ends, values in segments:
                bw.addEntries([chrom] * len(starts), starts.tolist(), ends=ends.tolist(),
                              values=values.tolist())
        finally:
            bw.close()


def write_modisco_inputs(directory: str | os.PathLike[str], one_hot, hypothetical,
                         prefix: str = "") -> tuple[str, str]:
    """Write the two inputs of ``modisco motifs -s ohe.npz -a shap.npz`` (TF-MoDISco-lite).

    Each file is an ``.npz`` whose array ``arr_0`` (what modisco-lite loads) is float32
    (N, 4, L), channels A, C, G, T.

    Parameters
    ----------
    directory : str or os.PathLike
        Existing directory to write into.
    one_hot : array-like, shape (N, 4, L)
        The one-hot sequences as the model read them (minus-strand regions reverse
        complemented); a CPU torch tensor works too.
    hypothetical : array-like, shape (N, 4, L)
        Hypothetical contributions of every base at every position
        (``aggregate="hypothetical"`` of the explainers), same orientation.
    prefix : str, default ""
        Put before the file names, e.g. ``"uniform_"``.

    Returns
    -------
    (str, str)
        Paths of ``{prefix}ohe.npz`` and ``{prefix}shap.npz``.

    Raises
    ------
    ValueError
        If an array is not (N, 4, L), the two shapes differ, N or L is 0, or values are not
        finite.
    """
    arrays = []
    for label, array in (("one_hot", one_hot), ("hypothetical", hypothetical)):
        array = np.asarray(array, dtype=np.float32)
        if array.ndim != 3 or array.shape[1] != 4 or 0 in array.shape:
            raise ValueError(
                f"{label} must be (N, 4, L) with N, L >= 1 (channels A, C, G, T), got shape "
                f"{array.shape}; move the channel axis with to_ncl for (N, L, 4) arrays"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{label} holds NaN or infinite values")
        arrays.append(array)
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(
            f"one_hot {arrays[0].shape} and hypothetical {arrays[1].shape} differ in shape; "
            "pass the contributions of exactly these sequences"
        )
    paths = []
    for stem, array in zip(("ohe", "shap"), arrays):
        path = os.path.join(os.fspath(directory), f"{prefix}{stem}.npz")
        with atomic_open(path, "wb") as handle:
            np.savez_compressed(handle, array)
        paths.append(path)
    return paths[0], paths[1]
