"""Motifs as position probability matrices: MEME files, IUPAC consensus, the shipped set.

A :class:`Motif` is a name and a ``(4, w)`` matrix of base probabilities (rows A, C, G, T).
MEME files are read and written with ``memelite`` (Jacob Schreiber's MEME-suite re-implementation);
this module adds validation and errors that name the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .._atomic import atomic_path

__all__ = [
    "DEFAULT_PSEUDOCOUNT",
    "IUPAC",
    "Motif",
    "default_splicing_motifs",
    "read_meme",
    "write_meme",
]

#: Bases each IUPAC letter stands for (DNA letters; ``U`` is read as ``T``).
IUPAC = {
    "A": "A", "C": "C", "G": "G", "T": "T", "U": "T",
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}  # fmt: skip

#: Probability added to every base of a consensus column before normalising, so that log-odds
#: scores stay finite.
DEFAULT_PSEUDOCOUNT = 0.01

_DEFAULT_FILE = "splicing_motifs.meme"
_WIDTH = re.compile(r"^letter.*\bw=\s*(\d+)", re.MULTILINE)  # as memelite reads it


@dataclass(frozen=True, eq=False)
class Motif:
    """A named position probability matrix.

    Attributes
    ----------
    name : str
        Non-empty, one line, single spaces (as a MEME ``MOTIF`` line reads back).
    pwm : numpy.ndarray
        ``(4, w)`` float64 base probabilities, rows A, C, G, T, ``w >= 1``.  Columns are
        normalised to sum to 1 on construction (so counts are accepted); the stored array is
        read-only.

    Raises
    ------
    ValueError
        If the name is empty or spans lines, or the matrix is not ``(4, w)`` with finite,
        non-negative entries and a positive sum in every column.
    """

    name: str
    pwm: np.ndarray

    def __post_init__(self) -> None:
        name = str(self.name)
        if not name.strip() or name != " ".join(name.split()):
            raise ValueError(
                f"motif name {self.name!r} must be non-empty, on one line, without leading, "
                "trailing or repeated whitespace"
            )
        pwm = np.array(self.pwm, dtype=np.float64)
        if pwm.ndim != 2 or pwm.shape[0] != 4 or pwm.shape[1] < 1:
            raise ValueError(
                f"motif {name!r}: pwm must have shape (4, w) with w >= 1, got {pwm.shape}"
            )
        if not np.isfinite(pwm).all() or (pwm < 0).any():
            raise ValueError(f"motif {name!r}: pwm entries must be finite and non-negative")
        sums = pwm.sum(axis=0)
        if (sums <= 0).any():
            zero = np.flatnonzero(sums <= 0).tolist()
            raise ValueError(f"motif {name!r}: column(s) {zero} sum to 0")
        # columns already summing to 1 (to rounding) stay as given, so files round-trip exactly
        off = np.abs(sums - 1.0) > 1e-12
        pwm[:, off] /= sums[off]
        pwm.flags.writeable = False
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "pwm", pwm)

    @property
    def width(self) -> int:
        """``w``, the number of positions."""
        return int(self.pwm.shape[1])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Motif):
            return NotImplemented
        return self.name == other.name and np.array_equal(self.pwm, other.pwm)

    def __hash__(self) -> int:
        return hash((self.name, self.pwm.tobytes()))

    def consensus(self) -> str:
        """The most probable base at each position (ties: first of A, C, G, T), length ``w``."""
        return "".join("ACGT"[i] for i in self.pwm.argmax(axis=0))

    @classmethod
    def from_consensus(cls, name: str, consensus: str,
                       pseudocount: float = DEFAULT_PSEUDOCOUNT) -> Motif:
        """A motif from an IUPAC consensus (DNA or RNA letters, any case).

        Each position gives its bases equal shares of 1, then ``pseudocount`` is added to
        every base and the column renormalised.

        Parameters
        ----------
        name : str
            Motif name.
        consensus : str
            ``w`` IUPAC letters (see :data:`IUPAC`).
        pseudocount : float, default :data:`DEFAULT_PSEUDOCOUNT`
            Non-negative; 0 gives exact zeros.

        Returns
        -------
        Motif
            ``(4, w)`` matrix.
        """
        if not consensus or any(c not in IUPAC for c in consensus.upper()):
            raise ValueError(
                f"consensus {consensus!r} of motif {name!r} must be non-empty IUPAC letters "
                f"({''.join(IUPAC)})"
            )
        if not pseudocount >= 0:
            raise ValueError(f"pseudocount must be >= 0, got {pseudocount}")
        pwm = np.zeros((4, len(consensus)))
        for j, letter in enumerate(consensus.upper()):
            bases = IUPAC[letter]
            for base in bases:
                pwm["ACGT".index(base), j] = 1.0 / len(bases)
        return cls(name, pwm + pseudocount)


def _check_readable(path: str) -> None:
    if os.path.isdir(path):
        raise IsADirectoryError(f"motif file {path} is a directory, not a MEME file")
    if not os.path.exists(path):
        raise FileNotFoundError(f"motif file {path} does not exist")


def read_meme(path: str | os.PathLike[str]) -> list[Motif]:
    """Motifs of a MEME-format file (letter-probability matrices), in file order.

    Parameters
    ----------
    path : str or os.PathLike
        A MEME motif file (DNA or RNA alphabet: rows read as A, C, G, T/U).

    Returns
    -------
    list of Motif
        At least one motif.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        If ``path`` is missing or a directory.
    ValueError
        If the file is not MEME text (no ``MEME version`` line), holds no motif, a matrix is
        malformed or not four letters wide, or two motifs share a name; the message names
        the file.
    """
    from memelite.io import read_meme as _read

    path = os.fspath(path)
    _check_readable(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as err:
        raise ValueError(f"motif file {path} is not MEME text: {err}") from err
    if "MEME version" not in text:
        raise ValueError(f"motif file {path} is not a MEME file (no 'MEME version' line)")
    lines = text.splitlines()
    names = [" ".join(line[5:].split()) for line in lines if line.startswith("MOTIF")]
    if not names:
        raise ValueError(f"motif file {path} holds no motif (no MOTIF line)")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"motif file {path}: motif names must be unique, repeated: {duplicates}")
    widths = [int(w) for w in _WIDTH.findall(text)]
    if any(w > len(lines) for w in widths):
        raise ValueError(f"motif file {path} has a malformed motif: a width exceeds the file")
    try:
        matrices = _read(path)
        motifs = [Motif(name, pwm) for name, pwm in matrices.items()]
    except (ValueError, IndexError, AttributeError) as err:
        raise ValueError(f"motif file {path} has a malformed motif: {err}") from err
    if len(motifs) != len(names):
        missing = [n for n in names if n not in matrices]
        raise ValueError(
            f"motif file {path}: no letter-probability matrix for motif(s) {missing}"
        )
    return motifs


def write_meme(motifs: Sequence[Motif], path: str | os.PathLike[str]) -> None:
    """Write motifs as a MEME file (version 4, DNA alphabet, uniform background), atomically.

    Probabilities are written at full precision, so :func:`read_meme` gives back equal motifs.

    Parameters
    ----------
    motifs : sequence of Motif
        At least one, with unique names.
    path : str or os.PathLike
        Output file; its directory must exist.
    """
    from memelite.io import write_meme as _write

    motifs = list(motifs)
    if not motifs or not all(isinstance(m, Motif) for m in motifs):
        raise ValueError("write_meme needs a non-empty sequence of Motif objects")
    by_name = {m.name: np.asarray(m.pwm) for m in motifs}
    if len(by_name) != len(motifs):
        raise ValueError("motif names must be unique to be written to one MEME file")
    with atomic_path(path) as tmp:
        _write(tmp, by_name)


def default_splicing_motifs() -> list[Motif]:
    """The small shipped set of splicing-regulatory RNA-binding-protein motifs.

    Built from published IUPAC consensus sequences (DNA letters) with
    :meth:`Motif.from_consensus`; ``captum_genomics/data/README.md`` lists each consensus and
    its source.  A teaching set, not a database: pass your own MEME file (e.g. from ATtRACT or
    CISBP-RNA) to :func:`read_meme` for real analyses.

    Returns
    -------
    list of Motif
    """
    with resources.as_file(resources.files("captum_genomics") / "data" / _DEFAULT_FILE) as path:
        return read_meme(path)
