"""Gene tables for variant scoring: upstream SpliceAI's grch37/grch38 tables or a user's file.

A table has the tab-separated columns of SpliceAI 1.3.1's ``annotations/grch37.txt``:
``#NAME CHROM STRAND TX_START TX_END EXON_START EXON_END``, with 0-based transcript starts,
1-based inclusive ends and comma-terminated exon start/end lists (UCSC style). A variant
belongs to every gene whose transcript covers it (``TX_START + 1 <= pos <= TX_END``).
"""

from __future__ import annotations

import csv
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["GeneTable", "read_gene_table", "normalise_chrom", "UPSTREAM_TABLES"]

#: Table names resolved inside the installed ``spliceai`` distribution.
UPSTREAM_TABLES = ("grch37", "grch38")
_COLUMNS = ("#NAME", "CHROM", "STRAND", "TX_START", "TX_END", "EXON_START", "EXON_END")
_INSTALL_HINT = "pip install --no-deps spliceai==1.3.1"


def normalise_chrom(name: str, like: str) -> str:
    """``name`` with a ``chr`` prefix added or removed to match the naming of ``like``.

    As upstream SpliceAI, the naming of one sequence name (the first of a FASTA or of a gene
    table) decides for the whole file.

    Parameters
    ----------
    name : str
        A chromosome name, e.g. from a VCF record.
    like : str
        A name in the target naming.

    Returns
    -------
    str
    """
    if name.startswith("chr") and not like.startswith("chr"):
        return name[3:]
    if not name.startswith("chr") and like.startswith("chr"):
        return "chr" + name
    return name


def _upstream_table_path(name: str) -> Path:
    # find_spec locates the package without running its __init__ (which needs pkg_resources).
    spec = importlib.util.find_spec("spliceai")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the {name!r} gene table ships with SpliceAI 1.3.1, which is not installed: "
            f"{_INSTALL_HINT} (or give the path of a gene table file)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "annotations" / f"{name}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"the installed spliceai package lacks {path}; reinstall it: "
                                f"{_INSTALL_HINT}")
    return path


def _positions(text: str, where: str) -> np.ndarray:
    try:
        return np.asarray([int(v) for v in text.split(",") if v.strip()], dtype=np.int64)
    except ValueError:
        raise ValueError(f"{where}: expected comma-separated integers, got {text!r}") from None


@dataclass(frozen=True)
class GeneTable:
    """Genes (one transcript each) of a SpliceAI gene table, G rows.

    Attributes
    ----------
    names, chroms, strands : numpy.ndarray of str, shape (G,)
    tx_starts, tx_ends : numpy.ndarray of int64, shape (G,)
        1-based inclusive transcript bounds.
    exon_boundaries : tuple of numpy.ndarray of int64
        Per gene, the sorted 1-based positions of exon starts and exon ends together.
    source : str
        Where the table was read.
    """

    names: np.ndarray
    chroms: np.ndarray
    strands: np.ndarray
    tx_starts: np.ndarray
    tx_ends: np.ndarray
    exon_boundaries: tuple
    source: str

    def __len__(self) -> int:
        return len(self.names)

    def overlapping(self, chrom: str, pos: int) -> np.ndarray:
        """Row indices of the genes covering ``chrom:pos``, in table order, shape (k,).

        ``chrom`` may carry or lack ``chr`` whatever the table uses.
        """
        if not len(self):
            return np.zeros(0, dtype=np.int64)
        chrom = normalise_chrom(chrom, str(self.chroms[0]))
        hit = (self.chroms == chrom) & (self.tx_starts <= pos) & (pos <= self.tx_ends)
        return np.flatnonzero(hit)

    def distances(self, index: int, pos: int) -> tuple[int, int, int]:
        """Offsets from ``pos`` to the transcript start, end and nearest exon boundary.

        Returns
        -------
        tuple of int
            ``(tx_start - pos, tx_end - pos, boundary - pos)``; of two equally near
            boundaries the upstream one (smaller offset) is taken.
        """
        offsets = self.exon_boundaries[index] - pos
        nearest = int(offsets[np.argmin(np.abs(offsets))])
        return int(self.tx_starts[index] - pos), int(self.tx_ends[index] - pos), nearest


def read_gene_table(source: str | os.PathLike = "grch37") -> GeneTable:
    """Read a SpliceAI gene table.

    Parameters
    ----------
    source : str or os.PathLike
        ``"grch37"`` or ``"grch38"`` (GENCODE V24 canonical transcripts shipped with SpliceAI
        1.3.1, which must be installed: ``pip install --no-deps spliceai==1.3.1``), or the
        path of a table with the columns ``#NAME CHROM STRAND TX_START TX_END EXON_START
        EXON_END`` (tab-separated, header line first).

    Returns
    -------
    GeneTable

    Raises
    ------
    ModuleNotFoundError
        If a named table is asked for and spliceai is not installed.
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file lacks a column or holds a malformed row.
    """
    path = _upstream_table_path(source) if source in UPSTREAM_TABLES else Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"gene table {path} not found; give 'grch37', 'grch38' or "
                                "the path of a SpliceAI-style gene table")
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"gene table {path} lacks the column(s) {', '.join(missing)}; "
                             f"expected the tab-separated header {' '.join(_COLUMNS)}")
        names, chroms, strands, starts, ends, boundaries = [], [], [], [], [], []
        for line, row in enumerate(reader, start=2):
            where = f"{path}, line {line}"
            try:
                starts.append(int(row["TX_START"]) + 1)
                ends.append(int(row["TX_END"]))
            except (TypeError, ValueError):
                raise ValueError(f"{where}: TX_START and TX_END must be integers") from None
            exon_starts = _positions(row["EXON_START"], where) + 1
            exon_ends = _positions(row["EXON_END"], where)
            boundaries.append(np.union1d(exon_starts, exon_ends))
            if not len(boundaries[-1]):
                raise ValueError(f"{where}: gene {row['#NAME']} has no exons")
            names.append(row["#NAME"])
            chroms.append(row["CHROM"])
            strands.append(row["STRAND"])
    return GeneTable(
        names=np.asarray(names, dtype=object), chroms=np.asarray(chroms, dtype=object),
        strands=np.asarray(strands, dtype=object), tx_starts=np.asarray(starts, dtype=np.int64),
        tx_ends=np.asarray(ends, dtype=np.int64), exon_boundaries=tuple(boundaries),
        source=str(path),
    )
