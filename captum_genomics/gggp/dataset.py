"""The local dataset made by a search: rows of phenotype, model input, score, provenance."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._atomic import write_table
from ..dna.alphabet import codes_to_one_hot, text_to_codes_strict
from .grammar import CODE_N, Grammar, decode_sequence, encode_sequence
from .population import Population, apply_population, format_phenotypes, parse_phenotypes
from .search import SearchResult

_MAGIC = "#captum-genomics local dataset v2"
_COLUMNS = ("phenotype", "sequence", "score", "generation", "fitness")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot record {type(value).__name__} in the provenance")


@dataclass
class LocalDataset:
    """Perturbations of one reference with their model scores.

    Attributes
    ----------
    reference : str
        The unedited sequence.
    phenotypes : list of str
        ``(n,)`` phenotypes in reference coordinates (see
        :func:`~.population.format_phenotypes`).
    sequences : list of str
        ``(n,)`` model inputs that were scored (fixed-length padding or trimming included).
    scores : numpy.ndarray
        ``(n,)`` float64 scores.
    generation : numpy.ndarray
        ``(n,)`` int64 generation each row was archived in.
    fitness : numpy.ndarray
        ``(n,)`` float64 fitness at archiving time.
    provenance : dict
        Record of seed, settings, grammar, scorer name, original score, ... (normalised to
        plain JSON types: tuples become lists).
    """

    reference: str
    phenotypes: list[str]
    sequences: list[str]
    scores: np.ndarray
    generation: np.ndarray
    fitness: np.ndarray
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.phenotypes = [str(p) for p in self.phenotypes]
        self.sequences = [str(s) for s in self.sequences]
        self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
        self.generation = np.asarray(self.generation, dtype=np.int64).reshape(-1)
        self.fitness = np.asarray(self.fitness, dtype=np.float64).reshape(-1)
        self.provenance = json.loads(json.dumps(self.provenance, default=_json_default))
        n = len(self.phenotypes)
        sizes = {len(self.sequences), self.scores.size, self.generation.size, self.fitness.size}
        if sizes != {n}:
            raise ValueError(
                "phenotypes, sequences, scores, generation and fitness must have one entry per "
                f"row; got {n}, {len(self.sequences)}, {self.scores.size}, "
                f"{self.generation.size}, {self.fitness.size}"
            )

    def __len__(self) -> int:
        return len(self.phenotypes)

    @classmethod
    def from_search(cls, result: SearchResult) -> LocalDataset:
        """The archive of a search as a dataset, in order of archiving."""
        population, scores, generation, fitness = result.archive.entries()
        space = result.space
        if population is None:
            sequences: list[str] = []
            phenotypes: list[str] = []
        else:
            batch = apply_population(
                space,
                population,
                result.tracked,
                result.settings.sequence_length,
                result.settings.trim,
            )
            sequences = batch.strings()
            phenotypes = format_phenotypes(population, space.grammar)
        return cls(
            reference=decode_sequence(space.reference),
            phenotypes=phenotypes,
            sequences=sequences,
            scores=scores,
            generation=generation,
            fitness=fitness,
            provenance=result.provenance(),
        )

    def take(self, index) -> LocalDataset:
        """The rows selected by ``index``, as a new dataset with the same provenance.

        Parameters
        ----------
        index : array_like of int or bool
            ``(k,)`` row numbers (in the order wanted; repeats allowed) or an ``(n,)`` boolean
            mask.

        Returns
        -------
        LocalDataset
            ``k`` rows; the reference and a copy of the provenance are kept.

        Raises
        ------
        IndexError
            If a row number is out of range or a mask has the wrong length.
        """
        index = np.asarray(index)
        if index.dtype == bool:
            if index.shape != (len(self),):
                raise IndexError(f"a boolean mask must have one entry per row ({len(self)}), "
                                 f"got shape {index.shape}")
            index = np.flatnonzero(index)
        elif index.size == 0:
            index = np.zeros(0, np.int64)
        elif not np.issubdtype(index.dtype, np.integer):
            raise IndexError(f"rows are chosen by integers or a boolean mask, got {index.dtype}")
        index = index.astype(np.int64).reshape(-1)
        if index.size and (index.min() < -len(self) or index.max() >= len(self)):
            raise IndexError(f"row index out of range for a dataset of {len(self)} rows")
        return LocalDataset(
            reference=self.reference,
            phenotypes=[self.phenotypes[i] for i in index],
            sequences=[self.sequences[i] for i in index],
            scores=self.scores[index],
            generation=self.generation[index],
            fitness=self.fitness[index],
            provenance=self.provenance,
        )

    def filter(
        self,
        *,
        min_score: float | None = None,
        max_score: float | None = None,
        min_change: float | None = None,
        max_change: float | None = None,
        min_abs_change: float | None = None,
        max_abs_change: float | None = None,
    ) -> LocalDataset:
        """Keep the rows whose score, or change from the original score, lies within bounds.

        Every bound is inclusive and optional; a row is kept when it meets all bounds given.
        The change is ``score - provenance["original_score"]``; change bounds allow for the
        rounding of that subtraction (a few units in the last place of the scores), so that
        ``max_change=-0.1`` keeps a score of 0.4 against an original of 0.5. A row whose score
        is NaN meets
        no bound, so it is dropped. The reference tool's ``filter`` command maps onto this:
        ``--target_psi p --allowed_variability v`` is ``min_score=p-v, max_score=p+v``;
        ``--tag lower/higher --delta_score d`` is ``max_change=-d`` / ``min_change=d``;
        ``--tag equal`` is ``max_abs_change=d``; ``--tag different`` is ``min_abs_change=d``.

        Parameters
        ----------
        min_score, max_score : float or None
            Bounds on the score.
        min_change, max_change : float or None
            Bounds on the signed change from the original score.
        min_abs_change, max_abs_change : float or None
            Bounds on the absolute change from the original score (``>= 0``).

        Returns
        -------
        LocalDataset
            The kept rows in their order; the provenance gains an entry in its ``"filters"``
            list: the bounds given and the row counts before and after.

        Raises
        ------
        ValueError
            If no bound is given, a bound is not a number or is NaN, a minimum exceeds its
            maximum, an absolute-change bound is negative, or a change bound is asked for and
            the provenance holds no finite ``"original_score"``.
        """
        bounds = {
            "min_score": min_score, "max_score": max_score,
            "min_change": min_change, "max_change": max_change,
            "min_abs_change": min_abs_change, "max_abs_change": max_abs_change,
        }
        given = {name: _bound(name, value) for name, value in bounds.items() if value is not None}
        if not given:
            raise ValueError("filter needs at least one bound: min_score, max_score, "
                             "min_change, max_change, min_abs_change or max_abs_change")
        for low, high in (("min_score", "max_score"), ("min_change", "max_change"),
                          ("min_abs_change", "max_abs_change")):
            if low in given and high in given and given[low] > given[high]:
                raise ValueError(f"{low}={given[low]} is above {high}={given[high]}: no row "
                                 "could be kept")
        for name in ("min_abs_change", "max_abs_change"):
            if given.get(name, 0.0) < 0:
                raise ValueError(f"{name} bounds an absolute change, so it must be >= 0; got "
                                 f"{given[name]}")
        values = {"score": self.scores}
        if any("change" in name for name in given):
            original = self.provenance.get("original_score")
            if not isinstance(original, (int, float)) or not np.isfinite(original):
                raise ValueError(
                    "a change filter needs the original score, but the provenance holds no "
                    f"finite 'original_score' (got {original!r}); set "
                    "dataset.provenance['original_score'] or filter by score level"
                )
            values["change"] = self.scores - float(original)
            values["abs_change"] = np.abs(values["change"])
            # a few ulps of the scores: 0.4 - 0.5 is -0.09999999999999998 in floats
            slack = 8 * np.finfo(np.float64).eps * np.maximum(np.abs(self.scores), abs(original))
        keep = np.ones(len(self), dtype=bool)
        for name, bound in given.items():
            side, quantity = name.split("_", 1)
            tolerance = 0.0 if quantity == "score" else slack
            keep &= (values[quantity] >= bound - tolerance if side == "min"
                     else values[quantity] <= bound + tolerance)
        out = self.take(keep)
        record = {**given, "rows_before": len(self), "rows_after": len(out)}
        out.provenance["filters"] = [*self.provenance.get("filters", []), record]
        return out

    def population(self, grammar: Grammar) -> Population:
        """``n`` individuals parsed back from the phenotypes."""
        return parse_phenotypes(self.phenotypes, grammar)

    def codes(self) -> np.ndarray:
        """``(n, W)`` uint8 codes of the model inputs, right-padded with N to the longest."""
        width = max((len(s) for s in self.sequences), default=0)
        out = np.full((len(self), width), CODE_N, np.uint8)
        for i, seq in enumerate(self.sequences):
            out[i, : len(seq)] = encode_sequence(seq)
        return out

    def one_hot(self) -> np.ndarray:
        """``(n, 4, W)`` float32 one-hot model inputs (A, C, G, T channels; N all zero)."""
        return codes_to_one_hot(self.codes())

    def to_tsv(self, path: str | os.PathLike[str]) -> None:
        """Write the dataset as a plain TSV, atomically, without loss.

        The file starts with ``#`` lines holding the format tag, the number of rows (so that a
        truncated copy is detected on reading), the provenance (JSON) and the reference, then a
        header row ``phenotype sequence score generation fitness``.  Floats are written with
        ``repr`` so they read back bit for bit. Text in the provenance (a model name holding
        a tab or line break, say) is JSON-escaped, so it reads back as it was.

        Raises
        ------
        ValueError
            If the reference, a phenotype or a sequence holds a tab or line break (none of
            them can: they are DNA letters and grammar phenotypes); nothing is written then,
            so every file written reads back.
        """
        if any(ch in self.reference for ch in "\t\r\n"):
            raise ValueError(
                f"cannot write the dataset to {os.fspath(path)}: its reference holds a tab or "
                "line break, which is no DNA letter; nothing was written"
            )
        preamble = (
            _MAGIC,
            f"#rows\t{len(self)}",
            "#provenance\t" + json.dumps(self.provenance, default=_json_default),
            "#reference\t" + self.reference,
        )
        rows = zip(self.phenotypes, self.sequences, np.asarray(self.scores, float),
                   np.asarray(self.generation, int), np.asarray(self.fitness, float))
        write_table(path, rows, _COLUMNS, preamble)

    @classmethod
    def from_tsv(cls, path: str | os.PathLike[str]) -> LocalDataset:
        """Read a dataset written by :meth:`to_tsv`.

        A UTF-8 byte-order mark at the start (a spreadsheet's re-save) is dropped.

        Raises
        ------
        ValueError
            If the file is a directory or not UTF-8 text, is not such a dataset, a header line
            is missing or malformed, a row has the wrong number of fields, a score,
            generation or fitness is not a number, a sequence holds letters other than
            ``ACGTN``, or the file holds fewer or more rows than it announces (a truncated or
            edited copy). The message names the file, and the row (1-based, after the header)
            where there is one.
        """
        if os.path.isdir(path):
            raise ValueError(f"{path} is a directory, not a local dataset TSV")
        try:
            with open(path, encoding="utf-8-sig") as handle:
                lines = handle.read().split("\n")
        except UnicodeDecodeError as err:
            raise ValueError(f"{path} is not UTF-8 text (byte {err.start}); it is not a "
                             "local dataset TSV written by to_tsv") from None
        if not lines or lines[0] != _MAGIC:
            raise ValueError(f"{path} is not a local dataset TSV (first line must be {_MAGIC!r})")
        try:
            tags, values = zip(*(line.split("\t", 1) for line in lines[1:4]))
            expected = int(values[0])
            provenance = json.loads(values[1])
        except ValueError as err:
            raise ValueError(f"{path}: missing or malformed #rows, #provenance or #reference "
                             f"line ({err})") from None
        if tags != ("#rows", "#provenance", "#reference"):
            raise ValueError(f"{path}: expected #rows, #provenance then #reference lines")
        if not isinstance(provenance, dict):
            raise ValueError(f"{path}: the #provenance line must hold a JSON object")
        reference = values[2]
        text_to_codes_strict(reference, f"{path}: #reference")
        if len(lines) < 5 or tuple(lines[4].split("\t")) != _COLUMNS:
            raise ValueError(f"{path}: header must be {' '.join(_COLUMNS)}")
        rows = [line.split("\t") for line in lines[5:] if line]
        for number, row in enumerate(rows, start=1):
            if len(row) != len(_COLUMNS):
                raise ValueError(f"{path}, row {number}: {len(row)} tab-separated fields, "
                                 f"expected {len(_COLUMNS)}")
        if len(rows) != expected:
            raise ValueError(f"{path} announces {expected} rows but holds {len(rows)}: the file "
                             "is truncated or was edited; write it again with to_tsv")
        scores, generation, fitness = [], [], []
        for number, (_, sequence, score, gen, fit) in enumerate(rows, start=1):
            where = f"{path}, row {number}"
            text_to_codes_strict(sequence, f"{where}: sequence")
            scores.append(_parse_number(score, float, "score", where))
            generation.append(_parse_number(gen, int, "generation", where))
            fitness.append(_parse_number(fit, float, "fitness", where))
        return cls(
            reference=reference,
            phenotypes=[row[0] for row in rows],
            sequences=[row[1] for row in rows],
            scores=np.array(scores, dtype=np.float64),
            generation=np.array(generation, dtype=np.int64),
            fitness=np.array(fitness, dtype=np.float64),
            provenance=provenance,
        )


def _bound(name: str, value: Any) -> float:
    """``value`` as a float bound, or a ``ValueError`` naming it."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        bound = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if np.isnan(bound):
        raise ValueError(f"{name} is NaN; give a number or leave it out")
    return bound


def _parse_number(text: str, kind: type, what: str, where: str) -> float | int:
    """``kind(text)``, or a ``ValueError`` naming the field and its place."""
    try:
        return kind(text)
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise ValueError(f"{where}: {what} {text!r} is not {noun}") from None
