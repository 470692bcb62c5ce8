"""Genome annotations: BED and GFF3 reading into 1-based inclusive intervals.

Every interval this module returns uses 1-based, inclusive coordinates (the GFF3
convention, and the one genome browsers display). BED files are 0-based and
half-open, so :func:`read_bed` converts ``start`` by adding one and keeps ``end``.
Files compressed with gzip are read transparently whatever their name, and a leading UTF-8
byte-order mark (as some Windows editors write) is dropped rather than read into the first
chromosome name.
"""

from __future__ import annotations

import gzip
import operator
import os
import zlib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Union
from urllib.parse import unquote

__all__ = ["Interval", "filter_intervals", "read_bed", "read_gff3"]

PathLike = Union[str, "os.PathLike[str]"]

_STRANDS = ("+", "-", ".")
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Interval:
    """A named genomic interval in 1-based, inclusive coordinates.

    Parameters
    ----------
    chrom : str
        Sequence (chromosome or contig) name.
    start : int
        First base, 1-based (``start >= 1``).
    end : int
        Last base, inclusive (``end >= start``).
    strand : str, default "."
        ``"+"``, ``"-"`` or ``"."`` (unknown or not stranded).
    name : str, default ""
        Feature name.
    feature : str, default ""
        Feature type (the GFF3 type column, e.g. ``"gene"``); empty for BED.

    Raises
    ------
    TypeError
        If ``start`` or ``end`` is not an integer.
    ValueError
        If the coordinates are not 1-based inclusive or the strand is unknown.
    """

    chrom: str
    start: int
    end: int
    strand: str = "."
    name: str = ""
    feature: str = ""

    def __post_init__(self) -> None:
        for field in ("start", "end"):
            value = getattr(self, field)
            if isinstance(value, bool) or not hasattr(value, "__index__"):
                raise TypeError(f"Interval.{field} must be an int, got {type(value).__name__}")
            # Numpy integers are accepted and stored as plain ints.
            object.__setattr__(self, field, operator.index(value))
        if self.start < 1:
            raise ValueError(
                f"Interval.start must be >= 1 (1-based coordinates), got {self.start}; "
                "convert 0-based starts by adding 1"
            )
        if self.end < self.start:
            raise ValueError(
                f"Interval.end ({self.end}) must be >= start ({self.start}); "
                "coordinates are 1-based inclusive"
            )
        if self.strand not in _STRANDS:
            raise ValueError(f"Interval.strand must be one of {_STRANDS}, got {self.strand!r}")

    def __len__(self) -> int:
        """Number of bases covered, ``end - start + 1``."""
        return self.end - self.start + 1


def _open_text(path: PathLike) -> IO[str]:
    """Open ``path`` for reading text, decompressing gzip when its magic bytes say so; a
    leading UTF-8 byte-order mark is dropped (``utf-8-sig``)."""
    with open(path, "rb") as handle:
        magic = handle.read(2)
    if magic == _GZIP_MAGIC:
        return gzip.open(path, "rt", encoding="utf-8-sig", newline=None)
    return open(path, encoding="utf-8-sig", newline=None)


def _numbered_lines(path: PathLike) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` pairs with line endings stripped.

    Raises
    ------
    ValueError
        If ``path`` is a directory, is not UTF-8 text, or is a damaged or truncated gzip
        file (the message names the file and, for text, the line).
    """
    if os.path.isdir(path):
        raise ValueError(f"{os.fspath(path)} is a directory, not an annotation file; give "
                         "the path of a BED or GFF3 file")
    number = 0
    try:
        with _open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip("\r\n")
    except UnicodeDecodeError:
        raise ValueError(f"{os.fspath(path)}, line {number + 1}: not UTF-8 text; is this a "
                         "binary file, or a compressed format other than gzip?") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise ValueError(f"{os.fspath(path)}: damaged or truncated gzip file after line "
                         f"{number} ({err}); download or compress it again") from None


def _parse_int(text: str, what: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{where}: {what} {text!r} is not an integer") from None


def read_bed(path: PathLike) -> list[Interval]:
    """Read a BED file into 1-based inclusive intervals.

    Parameters
    ----------
    path : str or os.PathLike
        BED file with 3 to 12 columns, tab-separated (whitespace-separated
        lines without any tab are accepted too), optionally gzip-compressed.
        Blank lines and lines starting with ``track``, ``browser`` or ``#``
        are skipped.

    Returns
    -------
    list of Interval
        One interval per record, in file order. BED's 0-based half-open
        ``[chromStart, chromEnd)`` becomes ``start = chromStart + 1``,
        ``end = chromEnd``. The name comes from column 4; when absent or
        ``"."`` it is ``"chrom:start-end"`` (1-based). The strand comes from
        column 6 (``"."`` when absent). ``feature`` is empty.

    Raises
    ------
    ValueError
        On a malformed record (wrong column count, non-integer or negative
        coordinates, empty or zero-length interval, unknown strand); the
        message names the file and the line number.
    """
    intervals: list[Interval] = []
    for number, line in _numbered_lines(path):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "track", "browser")):
            continue
        where = f"{os.fspath(path)}, line {number}"
        fields = line.split("\t") if "\t" in line else stripped.split()
        if not 3 <= len(fields) <= 12:
            raise ValueError(
                f"{where}: BED records need 3 to 12 columns, found {len(fields)}"
            )
        chrom = fields[0].strip()
        if not chrom:
            raise ValueError(f"{where}: empty chromosome name")
        start0 = _parse_int(fields[1].strip(), "chromStart", where)
        end = _parse_int(fields[2].strip(), "chromEnd", where)
        if start0 < 0:
            raise ValueError(f"{where}: chromStart must be >= 0 (BED is 0-based), got {start0}")
        if end <= start0:
            raise ValueError(
                f"{where}: chromEnd ({end}) must exceed chromStart ({start0}); "
                "BED intervals are half-open and zero-length records are not supported"
            )
        name = fields[3].strip() if len(fields) >= 4 else ""
        if name in ("", "."):
            name = f"{chrom}:{start0 + 1}-{end}"
        strand = fields[5].strip() if len(fields) >= 6 else "."
        if strand not in _STRANDS:
            raise ValueError(f"{where}: strand must be one of {_STRANDS}, got {strand!r}")
        intervals.append(Interval(chrom, start0 + 1, end, strand, name, ""))
    return intervals


def _parse_attributes(column: str, where: str) -> dict[str, str]:
    """Parse a GFF3 attributes column into percent-decoded ``tag -> value``."""
    attributes: dict[str, str] = {}
    if column in ("", "."):
        return attributes
    for entry in column.split(";"):
        entry = entry.strip()
        if not entry:
            continue
        tag, sep, value = entry.partition("=")
        if not sep:
            raise ValueError(
                f"{where}: attribute {entry!r} lacks '=' (GFF3 uses tag=value; "
                "GTF-style 'tag \"value\"' files are not GFF3)"
            )
        attributes[unquote(tag.strip())] = unquote(value.strip())
    return attributes


def read_gff3(
    path: PathLike,
    feature: str | Collection[str] | None = "gene",
    attribute: str = "Name",
) -> list[Interval]:
    """Read features of a GFF3 file into 1-based inclusive intervals.

    Parameters
    ----------
    path : str or os.PathLike
        GFF3 file (nine tab-separated columns), optionally gzip-compressed.
        Blank lines and ``#`` lines are skipped; reading stops at the
        ``##FASTA`` directive (or a line starting with ``>``).
    feature : str, collection of str, or None, default "gene"
        Feature type(s) to keep (column 3, compared exactly); ``None`` keeps
        every feature.
    attribute : str, default "Name"
        Attribute that gives the interval name. When a record lacks it, its
        ``ID`` is used, and failing that ``"seqid:start-end"``.

    Returns
    -------
    list of Interval
        One interval per kept record, in file order. Sequence ids and
        attribute tags and values are percent-decoded (``%3B`` -> ``;``);
        strand ``"?"`` becomes ``"."``.

    Raises
    ------
    TypeError
        If ``feature`` or ``attribute`` has the wrong type.
    ValueError
        On a malformed record (column count, coordinates, strand, attribute
        syntax); the message names the file and the line number.
    """
    if feature is None:
        wanted: frozenset[str] | None = None
    elif isinstance(feature, str):
        wanted = frozenset((feature,))
    elif isinstance(feature, Iterable) and all(isinstance(f, str) for f in feature):
        wanted = frozenset(feature)
    else:
        raise TypeError("feature must be a str, a collection of str, or None")
    if not isinstance(attribute, str) or not attribute:
        raise TypeError("attribute must be a non-empty str, e.g. 'Name' or 'gene_name'")

    intervals: list[Interval] = []
    for number, line in _numbered_lines(path):
        if line.startswith("##FASTA") or line.startswith(">"):
            break
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{os.fspath(path)}, line {number}"
        fields = line.split("\t")
        if len(fields) != 9:
            raise ValueError(
                f"{where}: GFF3 records need 9 tab-separated columns, found {len(fields)}"
            )
        seqid, _source, ftype, start_s, end_s, _score, strand, _phase, attrs = fields
        if wanted is not None and ftype not in wanted:
            continue
        seqid = unquote(seqid)
        if not seqid:
            raise ValueError(f"{where}: empty seqid")
        start = _parse_int(start_s, "start", where)
        end = _parse_int(end_s, "end", where)
        if start < 1 or end < start:
            raise ValueError(
                f"{where}: need 1 <= start <= end (GFF3 is 1-based inclusive), "
                f"got start={start}, end={end}"
            )
        if strand == "?":
            strand = "."
        if strand not in _STRANDS:
            raise ValueError(f"{where}: strand must be one of +, -, ., ?; got {strand!r}")
        parsed = _parse_attributes(attrs, where)
        name = parsed.get(attribute) or parsed.get("ID") or f"{seqid}:{start}-{end}"
        intervals.append(Interval(seqid, start, end, strand, name, ftype))
    return intervals


def filter_intervals(
    intervals: Iterable[Interval],
    chrom: str | None = None,
    start: int | None = None,
    end: int | None = None,
) -> list[Interval]:
    """Keep the intervals on one chromosome and/or overlapping a region.

    Parameters
    ----------
    intervals : iterable of Interval
        Intervals in 1-based inclusive coordinates.
    chrom : str, optional
        Keep only intervals on this chromosome.
    start, end : int, optional
        1-based inclusive region bounds; an interval is kept when it overlaps
        ``[start, end]`` by at least one base. Either bound may be omitted
        (open-ended).

    Returns
    -------
    list of Interval
        The kept intervals, in input order (unchanged, not clipped).

    Raises
    ------
    TypeError
        If an item is not an :class:`Interval` or a bound is not an int.
    ValueError
        If ``start > end``.
    """
    for label, bound in (("start", start), ("end", end)):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
            raise TypeError(f"{label} must be an int or None, got {type(bound).__name__}")
    if start is not None and end is not None and start > end:
        raise ValueError(f"start ({start}) must be <= end ({end})")
    kept: list[Interval] = []
    for interval in intervals:
        if not isinstance(interval, Interval):
            raise TypeError(
                f"intervals must hold Interval objects, got {type(interval).__name__}; "
                "build them with read_bed, read_gff3 or Interval(...)"
            )
        if chrom is not None and interval.chrom != chrom:
            continue
        if start is not None and interval.end < start:
            continue
        if end is not None and interval.start > end:
            continue
        kept.append(interval)
    return kept
