"""FASTA regions: read a region of a genome as text or as a one-hot tensor.

Regions are 1-based and inclusive at both ends (``"chr10:94000-95000"``,
``(chrom, start, end)`` or an :class:`~captum_genomics.dna.annotations.Interval`). Files are
opened with pyfaidx; the ``.fai`` index is read or built next to the FASTA, or, when that
directory is not writable, once per process in a temporary directory. A FASTA starting with a
UTF-8 byte-order mark is refused with a ``ValueError`` saying so (FASTA indexes address bases
by byte offset in the file, so the mark cannot be skipped without rewriting it).
"""

from __future__ import annotations

import atexit
import gzip
import operator
import os
import re
import shutil
import tempfile
from pathlib import Path

import torch

from captum_genomics._validate import check_choice
from captum_genomics.dna.alphabet import is_lowercase
from captum_genomics.dna.annotations import Interval
from captum_genomics.dna.codec import LOWERCASE_POLICIES, _reverse_complement_text, one_hot

__all__ = ["one_hot_region", "read_region"]

_REGION_RE = re.compile(r"^(?P<chrom>.+):(?P<start>[\d,]*\d[\d,]*)-(?P<end>[\d,]*\d[\d,]*)$")
_TEMP_INDEX_DIRS: dict[tuple[str, int, int], str] = {}
_UTF8_BOM = b"\xef\xbb\xbf"


def _cleanup_temp_indexes() -> None:
    for path in _TEMP_INDEX_DIRS.values():
        shutil.rmtree(path, ignore_errors=True)
    _TEMP_INDEX_DIRS.clear()


atexit.register(_cleanup_temp_indexes)


def _index_path(fasta: Path) -> str:
    """Where pyfaidx should read or build the index of ``fasta``.

    Next to the FASTA when an up-to-date ``.fai`` is there or the directory is writable;
    otherwise in a private temporary directory kept for the life of the process.
    """
    beside = str(fasta) + ".fai"
    stat = fasta.stat()
    if os.path.exists(beside) and os.path.getmtime(beside) >= stat.st_mtime:
        return beside
    if os.access(fasta.parent, os.W_OK):
        return beside
    key = (str(fasta.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _TEMP_INDEX_DIRS:
        _TEMP_INDEX_DIRS[key] = tempfile.mkdtemp(prefix="captum_genomics_fai_")
    return os.path.join(_TEMP_INDEX_DIRS[key], fasta.name + ".fai")


def _open_fasta(fasta):
    """Return ``(pyfaidx.Fasta, owned)``; ``owned`` tells whether the caller must close it."""
    import pyfaidx

    if isinstance(fasta, pyfaidx.Fasta):
        return fasta, False
    if not isinstance(fasta, (str, os.PathLike)):
        raise TypeError(
            f"fasta must be a path or an open pyfaidx.Fasta, got {type(fasta).__name__}"
        )
    path = Path(fasta)
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a FASTA file; give the path of the "
                         ".fa/.fasta file inside it")
    if not path.is_file():
        raise ValueError(f"FASTA file not found: {path}")
    if _starts_with_bom(path):
        raise ValueError(
            f"{path} starts with a UTF-8 byte-order mark, which FASTA indexes (pyfaidx, "
            "samtools faidx) cannot read; remove it first, e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' "
            "on the uncompressed file"
        )
    return pyfaidx.Fasta(str(path), indexname=_index_path(path), as_raw=True), True


def _starts_with_bom(path: Path) -> bool:
    """Whether the text of ``path`` (plain or gzip) starts with a UTF-8 byte-order mark."""
    with open(path, "rb") as handle:
        head = handle.read(3)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as handle:
                head = handle.read(3)
        except (OSError, EOFError):  # a damaged gzip: left to pyfaidx to report
            return False
    return head == _UTF8_BOM


def _parse_region(region) -> tuple[str, int, int]:
    if isinstance(region, Interval):
        return region.chrom, region.start, region.end
    if isinstance(region, str):
        match = _REGION_RE.match(region.strip())
        if match is None:
            raise ValueError(
                f"cannot parse region {region!r}; expected 'chrom:start-end' with 1-based "
                "inclusive coordinates, e.g. 'chr10:94000-95000' (commas allowed)"
            )
        chrom = match["chrom"]
        start = int(match["start"].replace(",", ""))
        end = int(match["end"].replace(",", ""))
        return chrom, start, end
    if isinstance(region, tuple) and len(region) == 3 and isinstance(region[0], str):
        try:
            return region[0], operator.index(region[1]), operator.index(region[2])
        except TypeError as err:
            raise TypeError(
                f"region {region!r}: start and end must be integers (1-based inclusive)"
            ) from err
    raise TypeError(
        "region must be a string 'chrom:start-end', a tuple (chrom, start, end) or an "
        f"Interval, 1-based inclusive; got {region!r}"
    )


def _fetch(fa, region, strand: str, lowercase: str) -> str:
    chrom, start, end = _parse_region(region)
    check_choice(strand, "strand", ("+", "-"))
    check_choice(lowercase, "lowercase", LOWERCASE_POLICIES)
    if chrom not in fa.keys():
        names = list(fa.keys())
        shown = ", ".join(names[:20]) + (f", ... ({len(names)} in all)" if len(names) > 20 else "")
        raise ValueError(f"chromosome {chrom!r} is not in the FASTA; available: {shown}")
    chrom_length = len(fa[chrom])
    if start < 1:
        raise ValueError(f"region start must be >= 1 (coordinates are 1-based), got {start}")
    if start > end:
        raise ValueError(f"region start {start} is after its end {end}; swap them")
    if end > chrom_length:
        raise ValueError(
            f"region end {end} is beyond the end of {chrom!r}, which has length {chrom_length}"
        )
    seq = fa.faidx.fetch(chrom, start, end)
    seq = seq if isinstance(seq, str) else str(seq)
    if lowercase == "error":
        lower = is_lowercase(seq)
        if lower.any():
            offset = int(lower.argmax())
            raise ValueError(
                f"lowercase (soft-masked) base {seq[offset]!r} at {chrom}:{start + offset} "
                f"({int(lower.sum())} in the region); pass lowercase='accept' to keep them"
            )
    return _reverse_complement_text(seq, f"{chrom}:{start}-{end}") if strand == "-" else seq


def read_region(fasta, region, strand: str = "+", lowercase: str = "accept") -> str:
    """Read one region of a FASTA file.

    Parameters
    ----------
    fasta : str, os.PathLike or pyfaidx.Fasta
        FASTA path or an open ``pyfaidx.Fasta``. For a path, the ``.fai`` index next to the
        file is used (and built if needed); when it is missing or stale and the directory is
        not writable, an index is built once per process in a temporary directory.
    region : str or tuple (str, int, int)
        ``"chr10:94000-95000"`` (commas allowed) or ``(chrom, start, end)``; 1-based,
        inclusive at both ends.
    strand : {"+", "-"}, default "+"
        ``"-"`` returns the reverse complement.
    lowercase : {"accept", "error"}, default "accept"
        ``"accept"`` returns soft-masked bases in lowercase as stored (``one_hot`` accepts
        them); ``"error"`` raises if the region holds any lowercase base.

    Returns
    -------
    str
        The ``end - start + 1`` bases, case as stored in the file.

    Raises
    ------
    ValueError
        On an unparsable region, an unknown chromosome (available ones listed), start < 1,
        start > end, an end beyond the chromosome (its length given), a bad strand, a
        lowercase base under ``lowercase="error"``, or a FASTA path that is a directory,
        missing, or starts with a UTF-8 byte-order mark.
    TypeError
        If ``fasta`` or ``region`` has the wrong type.
    """
    fa, owned = _open_fasta(fasta)
    try:
        return _fetch(fa, region, strand, lowercase)
    finally:
        if owned:
            fa.close()


def one_hot_region(
    fasta, regions, strand=None, layout: str = "NCL", **one_hot_kwargs
) -> torch.Tensor:
    """Read FASTA regions and one-hot encode them.

    Parameters
    ----------
    fasta : str, os.PathLike or pyfaidx.Fasta
        FASTA path or open ``pyfaidx.Fasta`` (see :func:`read_region`).
    regions : str, tuple (str, int, int), Interval, or list of these
        One region or several regions of equal length, 1-based inclusive; the
        :class:`~captum_genomics.dna.annotations.Interval` objects of ``read_bed`` and
        ``read_gff3`` carry their strand.
    strand : {"+", "-"}, list of them, or None, default None
        One strand for all regions or one per region; ``"-"`` reverse-complements.
        ``None``: each Interval's own strand (``"."`` reads as ``"+"``), ``"+"`` for
        strings and tuples. A given strand overrides the Intervals' strands.
    layout : {"NCL", "NLC"}, default "NCL"
        Output layout.
    **one_hot_kwargs
        ``n_policy``, ``lowercase``, ``unknown``, ``dtype``, ``device`` of :func:`one_hot`.

    Returns
    -------
    torch.Tensor, shape (R, 4, L) or (R, L, 4)
        R = number of regions (1 for a single region), L = region length.

    Raises
    ------
    ValueError
        As :func:`read_region` and :func:`one_hot`; also when regions differ in length (the
        lengths are listed) or the number of strands does not match the number of regions.
    """
    single = isinstance(regions, (str, Interval)) or (
        isinstance(regions, tuple) and len(regions) == 3 and isinstance(regions[0], str)
    )
    region_list = [regions] if single else list(regions)
    if not region_list:
        raise ValueError("regions is empty; pass at least one region")
    if strand is None:
        strands = [r.strand if isinstance(r, Interval) and r.strand == "-" else "+"
                   for r in region_list]
    elif isinstance(strand, str):
        strands = [strand] * len(region_list)
    else:
        strands = list(strand)
    if len(strands) != len(region_list):
        raise ValueError(
            f"got {len(strands)} strands for {len(region_list)} regions; pass one strand or "
            "one per region"
        )
    lengths = [end - start + 1 for _, start, end in map(_parse_region, region_list)]
    if len(set(lengths)) > 1:
        listed = ", ".join(f"{r!r}: {n}" for r, n in list(zip(region_list, lengths))[:10])
        raise ValueError(
            f"regions differ in length ({listed}); use regions of one length or call "
            "one_hot_region separately"
        )
    lowercase = one_hot_kwargs.get("lowercase", "accept")
    fa, owned = _open_fasta(fasta)
    try:
        seqs = [_fetch(fa, r, s, lowercase) for r, s in zip(region_list, strands)]
    finally:
        if owned:
            fa.close()
    return one_hot(seqs, layout=layout, **one_hot_kwargs)
