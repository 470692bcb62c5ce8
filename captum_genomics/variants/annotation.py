"""Gene tables for variant scoring: upstream SpliceAI's grch37/grch38 tables or a user's file.

A table has the tab-separated columns of SpliceAI 1.3.1's ``annotations/grch37.txt``:
``#NAME CHROM STRAND TX_START TX_END EXON_START EXON_END``, with 0-based transcript starts,
1-based inclusive ends and comma-terminated exon start/end lists (UCSC style). A variant
belongs to every gene whose transcript covers it (``TX_START + 1 <= pos <= TX_END``).

A GTF or GFF3 file (``.gtf``, ``.gff``, ``.gff3``, optionally gzipped) is read into the same
table: one transcript per gene, as upstream's table has (see :func:`read_gene_table`).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import numpy as np

__all__ = ["GeneTable", "read_gene_table", "normalise_chrom", "UPSTREAM_TABLES", "CANONICAL_TAGS"]

#: Table names resolved inside the installed ``spliceai`` distribution.
UPSTREAM_TABLES = ("grch37", "grch38")
_COLUMNS = ("#NAME", "CHROM", "STRAND", "TX_START", "TX_END", "EXON_START", "EXON_END")
_INSTALL_HINT = "pip install --no-deps spliceai==1.3.1"
_GFF_SUFFIXES = (".gtf", ".gff", ".gff3")
#: Transcript tags preferred, in order, when a GTF/GFF3 gene has several transcripts.
CANONICAL_TAGS = ("Ensembl_canonical", "MANE_Select", "canonical")


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
    """Read a SpliceAI gene table, or build one from a GTF/GFF3 annotation.

    Parameters
    ----------
    source : str or os.PathLike
        ``"grch37"`` or ``"grch38"`` (GENCODE V24 canonical transcripts shipped with SpliceAI
        1.3.1, which must be installed: ``pip install --no-deps spliceai==1.3.1``), the
        path of a table with the columns ``#NAME CHROM STRAND TX_START TX_END EXON_START
        EXON_END`` (tab-separated, header line first), or of a GTF / GFF3 file (``.gtf``,
        ``.gff``, ``.gff3``, optionally ``.gz``).

    Notes
    -----
    From a GTF/GFF3, ``exon`` features are grouped by transcript (GTF: ``transcript_id``;
    GFF3: ``Parent``) and transcripts by gene (GTF: ``gene_id``; GFF3: the transcript's
    ``Parent``). Each gene keeps ONE transcript, as upstream's table: the first tagged
    ``Ensembl_canonical``, else ``MANE_Select``, else ``canonical`` (:data:`CANONICAL_TAGS`),
    else the longest (transcript span; the first in the file among equals). The gene is named
    by ``gene_name`` (GFF3: also the gene's ``Name``), else its id; rows follow the genes'
    first appearance in the file. The transcript bounds are its ``transcript`` (or mRNA...)
    feature's, else its exons' extent.

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
                                "the path of a SpliceAI-style gene table or a GTF/GFF3")
    if path.name.lower().removesuffix(".gz").endswith(_GFF_SUFFIXES):
        return _read_gff(path)
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


@dataclass
class _Transcript:
    gene: str
    chrom: str
    strand: str
    order: int
    exons: list = field(default_factory=list)
    tags: set = field(default_factory=set)
    bounds: tuple | None = None


def _gff_attributes(text: str, gtf: bool) -> dict[str, list[str]]:
    """Attributes of a GTF (``key "value";``) or GFF3 (``key=v1,v2;``) column 9."""
    attributes: dict[str, list[str]] = {}
    for item in text.strip().split(";"):
        item = item.strip()
        if not item:
            continue
        if gtf:
            key, _, value = item.partition(" ")
            values = [value.strip().strip('"')]
        else:
            key, _, value = item.partition("=")
            values = [unquote(v) for v in value.split(",")]
        attributes.setdefault(key.strip(), []).extend(values)
    return attributes


def _chosen(transcripts: list[_Transcript]) -> _Transcript:
    def rank(t: _Transcript):
        tagged = [i for i, tag in enumerate(CANONICAL_TAGS) if tag in t.tags]
        start, end = t.bounds or (min(s for s, _ in t.exons), max(e for _, e in t.exons))
        return (min(tagged, default=len(CANONICAL_TAGS)), -(end - start), t.order)

    return min(transcripts, key=rank)


def _read_gff(path: Path) -> GeneTable:
    """One row per gene of a GTF/GFF3 file (see :func:`read_gene_table`)."""
    gtf = path.name.lower().removesuffix(".gz").endswith(".gtf")
    transcripts: dict[str, _Transcript] = {}
    gene_names: dict[str, str] = {}
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt") as handle:
        for line_number, line in enumerate(handle, start=1):
            if line.startswith("#") or not line.strip():
                continue
            columns = line.rstrip("\n").split("\t")
            if len(columns) != 9:
                raise ValueError(f"{path}, line {line_number}: expected 9 tab-separated columns, "
                                 f"got {len(columns)}")
            chrom, _, kind, start, end, _, strand, _, text = columns
            attrs = _gff_attributes(text, gtf)
            try:
                bounds = (int(start), int(end))
            except ValueError:
                raise ValueError(f"{path}, line {line_number}: start and end must be integers"
                                 ) from None
            names = attrs.get("gene_name") or []
            if gtf:
                gene = (attrs.get("gene_id") or [None])[0]
                parents = attrs.get("transcript_id") or []
                if gene is None or (kind in ("exon", "transcript") and not parents):
                    continue
                if names:
                    gene_names.setdefault(gene, names[0])
                if kind not in ("exon", "transcript"):
                    continue
            elif kind == "exon":
                parents, gene = attrs.get("Parent") or [], None
            else:
                ids = attrs.get("ID") or []
                if not ids:
                    continue
                if "Parent" not in attrs:  # a gene
                    gene_names[ids[0]] = (names or attrs.get("Name") or ids)[0]
                    continue
                parents, gene = ids[:1], attrs["Parent"][0]
                if names:
                    gene_names.setdefault(gene, names[0])
            for parent in parents:
                transcript = transcripts.setdefault(
                    parent, _Transcript(gene, chrom, strand, len(transcripts)))
                if gene is not None:
                    transcript.gene = gene
                transcript.tags.update(attrs.get("tag", ()))
                if kind == "exon":
                    transcript.exons.append(bounds)
                else:
                    transcript.bounds = bounds
    by_gene: dict[str, list[_Transcript]] = {}
    for transcript in transcripts.values():
        if transcript.exons and transcript.gene is not None:
            by_gene.setdefault(transcript.gene, []).append(transcript)
    if not by_gene:
        raise ValueError(f"{path} holds no exon features with a transcript and a gene")
    rows = [(gene, _chosen(group)) for gene, group in by_gene.items()]
    bounds = [t.bounds or (min(s for s, _ in t.exons), max(e for _, e in t.exons))
              for _, t in rows]
    return GeneTable(
        names=np.asarray([gene_names.get(g, g) for g, _ in rows], dtype=object),
        chroms=np.asarray([t.chrom for _, t in rows], dtype=object),
        strands=np.asarray([t.strand for _, t in rows], dtype=object),
        tx_starts=np.asarray([b[0] for b in bounds], dtype=np.int64),
        tx_ends=np.asarray([b[1] for b in bounds], dtype=np.int64),
        exon_boundaries=tuple(np.union1d(*np.asarray(t.exons, dtype=np.int64).T)
                              for _, t in rows),
        source=str(path),
    )
