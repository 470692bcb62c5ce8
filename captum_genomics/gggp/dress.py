"""Read and write the dataset CSV of the reference tool DRESS (``dress generate``).

DRESS (github.com/PedroBarbosa/dress) writes one row per archived sequence, after a first row
for the unedited input, with the columns::

    Run_id,Seed,Seq_id,Phenotype,Sequence,Splice_site_positions,Score,Delta_score

``Phenotype`` is ``original`` (older files: ``wt``) on the first row, else edit units joined by
``|``: ``SNV[pos,B]``, ``Insertion[pos,BASES]`` (bases inserted just before ``pos``) and
``Deletion[a,b]`` (``a..b`` inclusive); recent versions append two descriptive fields to each
unit (region name, distance to the cassette exon, e.g. ``SNV[12,A,Intron_upstream,30]``) and
older ones name the indels ``RandomInsertion`` / ``RandomDeletion``: all are read, the short
form is written. Coordinates are 0-based in the input sequence *without* the model's padding
(DRESS pads with N inside its model call). ``Sequence`` is the edited sequence (no padding),
``Splice_site_positions`` the six splice-site indices of the exon triplet joined by ``;``
(``<NA>`` where absent) after the edits, ``Score`` the model score and ``Delta_score``
``Score`` minus the original score. Files are gzip-compressed CSV (``*_dataset.csv.gz``);
plain CSV is read too.

Here phenotypes are 0-based on our reference, which may hold the padding: ``padding`` says how
many of our reference bases lie before (and after) DRESS's sequence.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
import re
from collections.abc import Sequence

import numpy as np

from .._atomic import atomic_open
from ..dna.alphabet import text_to_codes_strict
from .dataset import LocalDataset
from .grammar import Grammar
from .population import apply_population, check_canonical, parse_phenotypes

__all__ = ["DRESS_COLUMNS", "read_dress_csv", "write_dress_csv"]

#: Columns of a DRESS dataset file, in order.
DRESS_COLUMNS = ("Run_id", "Seed", "Seq_id", "Phenotype", "Sequence", "Splice_site_positions",
                 "Score", "Delta_score")
_ORIGINAL = ("original", "wt")
_KINDS = {"SNV": "SNV", "Insertion": "Insertion", "RandomInsertion": "Insertion",
          "Deletion": "Deletion", "RandomDeletion": "Deletion"}
_UNIT = re.compile(r"^([A-Za-z]+)\[([^\[\]]*)\]$")
_INT = re.compile(r"^-?\d+$")
_BASES = re.compile(r"^[ACGTN]+$")


def _flanks(padding: int | Sequence[int]) -> tuple[int, int]:
    """``(left, right)`` from an int or a pair, checked non-negative."""
    pair = (padding, padding) if np.ndim(padding) == 0 else tuple(padding)
    if len(pair) != 2 or any(isinstance(v, bool) or int(v) != v or v < 0 for v in pair):
        raise ValueError(f"padding must be a non-negative int or a pair of them, got {padding!r}")
    return int(pair[0]), int(pair[1])


def _unit_to_ours(unit: str, left: int, right: int, size: int) -> tuple[str, int]:
    """One DRESS unit as our phenotype unit, with its edit size (for sizing the grammar)."""
    match = _UNIT.match(unit.strip())
    if match is None:
        raise ValueError(f"unit {unit!r} is not Kind[args]")
    name, args = match.group(1), match.group(2).split(",")
    kind = _KINDS.get(name)
    if kind is None:
        raise ValueError(f"unknown unit kind {name!r} in {unit!r}; expected one of "
                         f"{sorted(_KINDS)}")
    if len(args) not in (2, 4) or not _INT.match(args[0].strip()):
        raise ValueError(f"unit {unit!r} must hold a position and one more field (plus, "
                         "optionally, region and distance)")
    pos, second = int(args[0]), args[1].strip()
    if kind == "Deletion":
        if not _INT.match(second):
            raise ValueError(f"deletion {unit!r} must end at an integer position")
        end = int(second) + 1  # inclusive end to half-open
        if not 0 <= pos < end <= size:
            raise ValueError(f"deletion {unit!r} does not lie in [0, {size - 1}] with start <= end")
        return f"Deletion[{pos + left},{end + left}]", end - pos
    if not _BASES.match(second) or (kind == "SNV" and len(second) != 1):
        raise ValueError(f"unit {unit!r} needs {'one base' if kind == 'SNV' else 'bases'} "
                         "from ACGTN")
    # an insertion at ``size`` appends to DRESS's sequence: ours when right padding follows
    limit = size + (kind == "Insertion" and right > 0)
    if not 0 <= pos < limit:
        raise ValueError(f"unit {unit!r} lies outside the sequence [0, {limit - 1}]")
    return f"{kind}[{pos + left},{second}]", len(second)


def _open_text(path: str | os.PathLike[str]) -> str:
    """The text of a CSV file, gzip-compressed or not."""
    if os.path.isdir(path):
        raise ValueError(f"{path} is a directory, not a DRESS dataset CSV")
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is neither UTF-8 CSV nor gzip-compressed CSV ({err})") from None


def read_dress_csv(
    path: str | os.PathLike[str],
    reference: str,
    padding: int | Sequence[int] = 0,
    length: int | None = None,
    trim: str = "right",
) -> LocalDataset:
    """Read a DRESS dataset file as a :class:`~.dataset.LocalDataset` on our reference.

    Parameters
    ----------
    path : str or os.PathLike
        A DRESS ``*_dataset.csv.gz`` (or uncompressed CSV) holding one dataset (one
        ``Seq_id``), its first row the unedited input.
    reference : str
        ``(L,)`` our reference: DRESS's input sequence with ``padding`` bases around it.
    padding : int or (int, int), default 0
        Bases of ``reference`` before and after DRESS's sequence (one int: both sides), e.g.
        5000 for a reference padded with 5,000 N on each side for SpliceAI. A DRESS position
        ``p`` is our position ``p + left``.
    length, trim
        Model-input length and trimming side used to build :attr:`LocalDataset.sequences`
        (as in :func:`~.population.apply_population`); ``None`` keeps whole edited sequences.

    Returns
    -------
    LocalDataset
        ``n`` rows (the edited ones, in file order) with phenotypes in our coordinates
        (``Deletion[start,end)`` half-open), their model inputs, ``Score`` as the score,
        generation ``-1`` and fitness NaN (DRESS does not record them). The provenance holds
        ``source`` ("DRESS"), ``file``, ``original_score`` (the first row's score),
        ``run_id``, ``seed``, ``seq_id``, ``padding`` and ``splice_sites`` (the first row's
        six indices in our coordinates, ``None`` where ``<NA>``).

    Raises
    ------
    ValueError
        If the file is not such a CSV, lacks a column, holds several datasets or no original
        row; or, naming the file and the row (1-based after the header), a phenotype has an
        unknown unit kind, is malformed, lies outside the sequence, has overlapping or unsorted
        units, a score is not a number, or a ``Sequence`` differs from the reference edited by
        the phenotype (the first row's: from the reference without padding). A missing or
        empty ``Sequence`` is not checked.
    """
    left, right = _flanks(padding)
    text_to_codes_strict(reference, "reference")
    size = len(reference) - left - right
    if size < 1:
        raise ValueError(f"padding {(left, right)} leaves nothing of a reference of "
                         f"{len(reference)} bases")
    rows = list(csv.DictReader(io.StringIO(_open_text(path), newline="")))
    if not rows:
        raise ValueError(f"{path} holds no rows (a DRESS dataset starts with its original row)")
    missing = [c for c in ("Phenotype", "Score") if c not in rows[0]]
    if missing:
        raise ValueError(f"{path} lacks the column(s) {missing}; a DRESS dataset has "
                         f"{', '.join(DRESS_COLUMNS)}")
    if len({row.get("Seq_id") for row in rows}) > 1:
        raise ValueError(f"{path} holds datasets of several Seq_id; split it, one per reference")
    if rows[0]["Phenotype"] not in _ORIGINAL:
        raise ValueError(f"{path}, row 1: the first row must be the original sequence "
                         f"(Phenotype 'original' or 'wt'), got {rows[0]['Phenotype']!r}")
    region = reference[left : left + size]
    if rows[0].get("Sequence") and rows[0]["Sequence"] != region:
        raise ValueError(f"{path}, row 1: the original Sequence differs from the reference "
                         f"without its padding {(left, right)}; wrong reference or padding?")
    phenotypes, scores, widest, units = [], [], 1, 1
    for number, row in enumerate(rows[1:], start=2):
        where = f"{path}, row {number}"
        try:
            converted = [_unit_to_ours(u, left, right, size)
                         for u in (row["Phenotype"] or "").split("|")]
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        phenotypes.append("|".join(unit for unit, _ in converted))
        widest = max(widest, *(n for _, n in converted))
        units = max(units, len(converted))
        scores.append(_number(row["Score"], "Score", where))
    grammar = Grammar(max_units=units, max_indel=widest)
    population = parse_phenotypes(phenotypes, grammar)
    for i in range(len(population)):
        try:
            check_canonical(population.take([i]), len(reference))
        except ValueError:
            raise ValueError(f"{path}, row {i + 2}: units overlap or are not sorted by "
                             f"position: {rows[i + 1]['Phenotype']!r}") from None
    whole = apply_population(reference, population).strings()
    for i, (edited, row) in enumerate(zip(whole, rows[1:])):
        if row.get("Sequence") and row["Sequence"] != edited[left : len(edited) - right]:
            raise ValueError(f"{path}, row {i + 2}: Sequence differs from the reference "
                             f"edited by {row['Phenotype']!r}; wrong reference or padding?")
    sequences = (whole if length is None and trim == "right"
                 else apply_population(reference, population, (), length, trim).strings())
    n = len(phenotypes)
    return LocalDataset(
        reference=reference,
        phenotypes=phenotypes,
        sequences=sequences,
        scores=np.array(scores, dtype=np.float64),
        generation=np.full(n, -1, np.int64),
        fitness=np.full(n, np.nan),
        provenance={
            "source": "DRESS",
            "file": os.fspath(path),
            "original_score": _number(rows[0]["Score"], "Score", f"{path}, row 1"),
            "run_id": rows[0].get("Run_id"),
            "seed": int(seed) if _INT.match(seed := rows[0].get("Seed") or "") else seed,
            "seq_id": rows[0].get("Seq_id"),
            "padding": [left, right],
            "splice_sites": _sites_to_ours(rows[0].get("Splice_site_positions"), left,
                                           f"{path}, row 1"),
        },
    )


def _number(text: str | None, what: str, where: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {what} {text!r} is not a number") from None


def _sites_to_ours(text: str | None, left: int, where: str) -> list[int | None] | None:
    """DRESS's ``a;b;...`` splice sites in our coordinates (``None`` for ``<NA>``)."""
    if not text:
        return None
    try:
        return [None if v.strip() == "<NA>" else int(v) + left for v in text.split(";")]
    except ValueError:
        raise ValueError(f"{where}: Splice_site_positions {text!r} is not integers or <NA> "
                         "joined by ';'") from None


def _unit_to_dress(unit: str, left: int, size: int, where: str) -> tuple[str, int]:
    """One of our units (SNV, Insertion, Deletion) in DRESS's short form, with its size."""
    match = _UNIT.match(unit)
    kind, args = (match.group(1), match.group(2).split(",")) if match else (None, [])
    if kind not in ("SNV", "Insertion", "Deletion"):
        raise ValueError(f"{where}: unit {unit!r} has no DRESS equivalent (only SNV, Insertion "
                         "and Deletion do)")
    pos = int(args[0]) - left
    # an insertion may sit at ``size``: appended to DRESS's sequence, before the right padding
    end = int(args[1]) - left if kind == "Deletion" else pos + (kind == "SNV")
    if not (0 <= pos and end <= size):
        raise ValueError(f"{where}: unit {unit!r} edits the padding, outside DRESS's sequence "
                         f"[{left}, {left + size})")
    if kind == "Deletion":
        return f"Deletion[{pos},{end - 1}]", end - pos
    return f"{kind}[{pos},{args[1]}]", len(args[1])


def write_dress_csv(
    dataset: LocalDataset,
    path: str | os.PathLike[str],
    padding: int | Sequence[int] = 0,
    splice_sites: Sequence[int | None] | None = None,
    seq_id: str = "sequence",
    run_id: str = "captum-genomics",
    seed: int | None = None,
) -> None:
    """Write a dataset as a DRESS dataset file, atomically (gzip when ``path`` ends in .gz).

    The first row is the unedited sequence (Phenotype ``original``, Delta_score 0), then one
    row per dataset row in order. Scores are written at full precision (DRESS rounds its
    ``Delta_score`` to 4 decimals; here it is ``score - original_score`` unrounded).

    Parameters
    ----------
    dataset : LocalDataset
        ``n`` rows whose phenotypes use only SNV, Insertion and Deletion units, none of them in
        the padding; its provenance must hold ``original_score``.
    path : str or os.PathLike
        Output file; its directory must exist.
    padding : int or (int, int), default 0
        Bases of the dataset's reference before and after the sequence DRESS sees (see
        :func:`read_dress_csv`).
    splice_sites : sequence of 6 (int or None), optional
        ``[up_acc, up_don, cas_acc, cas_don, down_acc, down_don]`` in our reference
        coordinates, followed through each row's edits (``<NA>`` for ``None`` or a site an
        edit removes); ``None`` writes ``<NA>`` six times. Sites move as in
        :func:`~.population.apply_population`: an insertion right at a site moves it, where
        DRESS would not (its grammar, like ours, forbids edits there).
    seq_id, run_id : str
        Written in the ``Seq_id`` and ``Run_id`` columns.
    seed : int or None
        ``Seed`` column; ``None`` uses the provenance's seed (0 when it has none).

    Raises
    ------
    ValueError
        If the provenance holds no finite ``original_score``, a unit is of another kind or
        edits the padding, ``splice_sites`` is not six sites inside the unpadded sequence, or
        a name holds a line break; nothing is written then.
    """
    left, right = _flanks(padding)
    reference = dataset.reference
    size = len(reference) - left - right
    if size < 1:
        raise ValueError(f"padding {(left, right)} leaves nothing of a reference of "
                         f"{len(reference)} bases")
    original = dataset.provenance.get("original_score")
    if not isinstance(original, (int, float)) or not math.isfinite(original):
        raise ValueError("write_dress_csv needs the original score for DRESS's first row, but "
                         f"the provenance holds no finite 'original_score' (got {original!r})")
    if any(ch in str(v) for v in (seq_id, run_id) for ch in "\r\n"):
        raise ValueError("seq_id and run_id must not hold line breaks")
    sites = [None] * 6 if splice_sites is None else list(splice_sites)
    known = [s for s in sites if s is not None]
    if len(sites) != 6 or any(not left <= int(s) < left + size for s in known):
        raise ValueError(f"splice_sites must be 6 positions (or None) inside "
                         f"[{left}, {left + size}), got {splice_sites!r}")
    if seed is None:
        seed = dataset.provenance.get("seed")
        seed = seed if isinstance(seed, int) else 0
    converted = [[_unit_to_dress(u, left, size, f"row {i}") for u in p.split("|")]
                 for i, p in enumerate(dataset.phenotypes, start=1)]
    phenotypes = ["|".join(unit for unit, _ in units) for units in converted]
    population = dataset.population(Grammar(
        max_units=max(len(units) for units in converted),
        max_indel=max(n for units in converted for _, n in units),
    )) if len(dataset) else None
    tracked = np.array([s if s is not None else left for s in sites], np.int64)
    batch = apply_population(reference, population, tracked) if population is not None else None

    def sites_text(values) -> str:
        return ";".join("<NA>" if s is None or v < 0 else str(v - left)
                        for s, v in zip(sites, values))

    lines = [list(DRESS_COLUMNS),
             [run_id, seed, seq_id, "original", reference[left : left + size],
              sites_text(tracked), repr(float(original)), 0]]
    if batch is not None:
        for phenotype, edited, moved, score in zip(phenotypes, batch.strings(), batch.tracked,
                                                   dataset.scores):
            lines.append([run_id, seed, seq_id, phenotype, edited[left : len(edited) - right],
                          sites_text(moved), repr(float(score)),
                          repr(float(score) - float(original))])
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    data = buffer.getvalue().encode("utf-8")
    if os.fspath(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    with atomic_open(path, "wb") as handle:
        handle.write(data)
