"""Planted-motif data sets with ground truth, as in the deepG integrated-gradients study.

Sequences are i.i.d. uniform over A, C, G, T; a chosen fraction of them (the positives,
label 1) carry a motif written into them, once or recurrently. Every sequence that holds
the motif anywhere it was not planted is redrawn, so negatives are motif-free and the
ground-truth mask is exactly where the motif is. A motif is a fixed string or a position
weight matrix (PWM) from which each planted instance is sampled.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from captum_genomics._validate import check_int
from captum_genomics.dna.alphabet import BASES, codes_to_text, one_hot_table, text_to_codes
from captum_genomics.dna.codec import LAYOUTS, from_ncl

__all__ = [
    "MODES",
    "MOTIFS",
    "MOTIF_LENGTHS",
    "PlantedMotifData",
    "motif_length_series",
    "planted_motif_dataset",
    "read_jaspar",
]

#: 30-bp motifs of the study's entropy experiment, from most to least varied. "high",
#: "medium", "low" and "lowest" are as printed in the study's slides ("high" is 31 bp
#: there); "base" is the study's base motif; "very_low" is the TA x 15 level of its
#: write-up (REFERENCE §3).
MOTIFS: dict[str, str] = {
    "high": "GGTTCGACACGAGTATAGCTAGTATACTCCG",
    "medium": "TATAGCGCAGCCCTTATGGAGAGTCCATGA",
    "base": "TATAGCGCAGCTGTCAGCATGAGTCCATGA",
    "low": "TATAG" * 6,
    "very_low": "TA" * 15,
    "lowest": "A" * 30,
}

#: Motif lengths of the study's length experiment (9 to 33 bp; REFERENCE §3).
MOTIF_LENGTHS = (9, 12, 15, 18, 21, 24, 27, 30, 33)

MODES = ("substitution", "insertion")

# Below this chance of a random sequence being free of the motif, rejection would not end.
_MIN_FREE_FRACTION = 0.01
_MAX_ROUNDS = 10_000


@dataclass
class PlantedMotifData:
    """A planted-motif data set and its ground truth.

    Attributes
    ----------
    inputs : torch.Tensor, shape (N, 4, L) or (N, L, 4), float32
        One-hot sequences (channels A, C, G, T) in ``layout``.
    labels : torch.Tensor, shape (N,), int64
        1 where the motif was planted, 0 otherwise.
    motif_mask : torch.Tensor, shape (N, L), bool
        True at the positions of planted motif copies (all False for negatives).
    motif_starts : torch.Tensor, shape (N, K), int64
        0-based start of each of the K planted copies per sequence, increasing; -1 for
        negatives. K = 1 unless ``recurrent_every`` was given.
    motif_probabilities : numpy.ndarray, shape (M, 4), float64
        Ground-truth base probabilities of the motif per position (one-hot rows for a
        fixed motif string).
    motif : str
        The motif string, or a PWM's consensus (most probable base per position).
    layout : {"NCL", "NLC"}
        Layout of ``inputs``.
    """

    inputs: torch.Tensor
    labels: torch.Tensor
    motif_mask: torch.Tensor
    motif_starts: torch.Tensor
    motif_probabilities: np.ndarray
    motif: str
    layout: str

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def probability_map(self) -> torch.Tensor:
        """Ground-truth base probabilities at every position of every sequence.

        Returns
        -------
        torch.Tensor, shape (N, 4, L) or (N, L, 4) in ``layout``, float32
            The row of :attr:`motif_probabilities` at each planted motif position and
            0.25 everywhere else (the background is i.i.d. uniform in both modes), so every
            position sums to 1 over A, C, G, T.

        Examples
        --------
        >>> data = planted_motif_dataset(4, length=40, motif="ACGTACGTAC", seed=0)
        >>> probs = data.probability_map()
        >>> bool(((probs == 1).any(dim=1) == data.motif_mask).all())
        True
        """
        n, length = self.motif_mask.shape
        m = self.motif_probabilities.shape[0]
        out = np.full((n, length, 4), 0.25)
        starts = self.motif_starts.numpy()
        rows, copies = np.nonzero(starts >= 0)
        columns = starts[rows, copies][:, None] + np.arange(m)
        out[rows[:, None], columns] = self.motif_probabilities
        return from_ncl(torch.from_numpy(out.transpose(0, 2, 1)).float(), self.layout).contiguous()


def _motif_probabilities(motif) -> np.ndarray:
    """(M, 4) probabilities of a motif string or PWM, validated."""
    if isinstance(motif, str):
        text = motif.upper()
        bad = re.search(f"[^{BASES}]", text)
        if not text or bad:
            detail = f"{bad.group()!r} at position {bad.start()}" if bad else "an empty string"
            raise ValueError(
                f"motif must be a non-empty string over {BASES} or an (M, 4) PWM; got {detail}"
            )
        return one_hot_table(dtype=np.float64)[text_to_codes(text)]
    pwm = np.asarray(motif, dtype=np.float64)
    if pwm.ndim != 2 or pwm.shape[1] != 4 or pwm.shape[0] == 0:
        hint = " (transpose it: rows are positions)" if pwm.ndim == 2 and pwm.shape[0] == 4 else ""
        raise ValueError(
            f"a PWM motif must have shape (M, 4) for A, C, G, T, got {pwm.shape}{hint}"
        )
    if not np.isfinite(pwm).all() or (pwm < 0).any():
        raise ValueError("PWM probabilities must be finite and >= 0")
    sums = pwm.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-6):
        row = int(np.argmax(np.abs(sums - 1.0)))
        raise ValueError(
            f"PWM rows must sum to 1, row {row} sums to {sums[row]:.6g}; normalise counts "
            "first (read_jaspar does)"
        )
    return pwm / sums[:, None]


def _occurrences(codes: np.ndarray, motif_codes: np.ndarray) -> np.ndarray:
    """(n, L - M + 1) bool: where ``motif_codes`` occurs exactly in each row of ``codes``."""
    m = motif_codes.shape[0]
    width = codes.shape[1] - m + 1
    found = np.ones((codes.shape[0], width), dtype=bool)
    for j in range(m):  # over motif positions only; each step covers all sequences
        found &= codes[:, j : j + width] == motif_codes[j]
    return found


def _overlaps_mask(mask: np.ndarray, m: int) -> np.ndarray:
    """(n, L - M + 1) bool: whether the window [s, s + M) holds any True of ``mask``."""
    csum = np.zeros((mask.shape[0], mask.shape[1] + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=csum[:, 1:])
    return csum[:, m:] - csum[:, : csum.shape[1] - m] > 0


def _draw(
    rng: np.random.Generator,
    positive: np.ndarray,
    length: int,
    probs: np.ndarray,
    n_copies: int,
    window: int,
    mode: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw base codes, motif mask and starts for rows labelled by ``positive``."""
    n, m = positive.shape[0], probs.shape[0]
    codes = np.empty((n, length), dtype=np.uint8)
    mask = np.zeros((n, length), dtype=bool)
    starts = np.full((n, n_copies), -1, dtype=np.int64)
    n_neg = int((~positive).sum())
    codes[~positive] = rng.integers(0, 4, size=(n_neg, length), dtype=np.uint8)
    n_pos = n - n_neg
    if n_pos == 0:
        return codes, mask, starts
    # One copy in each consecutive window of ``window`` bp, at a uniform offset in it.
    pos_starts = np.arange(n_copies) * window + rng.integers(0, window - m + 1, (n_pos, n_copies))
    cum = np.cumsum(probs, axis=1)[:, :3]
    instances = (rng.random((n_pos, n_copies, m, 1)) >= cum).sum(axis=-1).astype(np.uint8)
    pos_mask = np.zeros((n_pos, length), dtype=bool)
    columns = (pos_starts[:, :, None] + np.arange(m)).reshape(n_pos, -1)
    pos_mask[np.arange(n_pos)[:, None], columns] = True
    if mode == "substitution":
        pos_codes = rng.integers(0, 4, size=(n_pos, length), dtype=np.uint8)
    else:
        # Insertion: background of L - K*M bases, motif copies inserted, back to length L.
        background = rng.integers(0, 4, size=(n_pos, length - n_copies * m), dtype=np.uint8)
        pos_codes = np.empty((n_pos, length), dtype=np.uint8)
        pos_codes[~pos_mask] = background.ravel()
    # Row-major boolean indexing meets copies in start order, matching ``instances``.
    pos_codes[pos_mask] = instances.ravel()
    codes[positive], mask[positive], starts[positive] = pos_codes, pos_mask, pos_starts
    return codes, mask, starts


def planted_motif_dataset(
    n_sequences: int = 10_000,
    length: int = 600,
    motif=MOTIFS["base"],
    fraction_positive: float = 0.5,
    mode: str = "substitution",
    recurrent_every: int | None = None,
    seed: int | np.random.Generator | None = 0,
    layout: str = "NCL",
) -> PlantedMotifData:
    """Random DNA with a motif planted in a fraction of the sequences.

    Parameters
    ----------
    n_sequences : int, default 10000
        Number of sequences N.
    length : int, default 600
        Sequence length L.
    motif : str or array-like, shape (M, 4), default MOTIFS["base"]
        A motif string over A, C, G, T (case-insensitive), or a PWM of per-position
        probabilities (rows A, C, G, T summing to 1; see :func:`read_jaspar`) from which
        each planted copy is sampled independently.
    fraction_positive : float, default 0.5
        Fraction of positives; exactly ``round(fraction_positive * N)`` sequences, at
        random indices.
    mode : {"substitution", "insertion"}, default "substitution"
        "substitution" writes each copy over random bases of an L-bp background;
        "insertion" inserts the copies into a shorter random background so that the
        result has length L. With an i.i.d. background both give the same distribution;
        they consume the random stream differently.
    recurrent_every : int, optional
        Plant ``L // recurrent_every`` copies, one at a uniform offset inside each
        consecutive window of ``recurrent_every`` bp (so about one every
        ``recurrent_every`` bp, never overlapping). Must be >= M. Default: one copy
        anywhere.
    seed : int, numpy.random.Generator or None, default 0
        Source of randomness; the same seed gives the same data set.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of the returned inputs.

    Returns
    -------
    PlantedMotifData
        Inputs, labels and ground truth (mask, starts, motif probabilities).

    Raises
    ------
    ValueError
        On a bad motif, PWM, size, fraction, mode, spacing or layout, or when the motif is
        so short that random sequences of this length almost always contain it.
    TypeError
        If a count or length is not an integer.

    Notes
    -----
    A sequence "contains the motif" where the motif string (a PWM's consensus) occurs
    exactly. Sequences with an occurrence not overlapping a planted copy are redrawn, in a
    few vectorised rounds; occurrences that overlap a planted copy (e.g. "A" * 30 next to
    a random A) are kept, as they are part of the planted signal.

    Examples
    --------
    >>> data = planted_motif_dataset(1000, seed=0)
    >>> data.inputs.shape, float(data.labels.float().mean())
    (torch.Size([1000, 4, 600]), 0.5)
    """
    n_sequences = check_int(n_sequences, "n_sequences", 1)
    length = check_int(length, "length", 1)
    probs = _motif_probabilities(motif)
    m = probs.shape[0]
    consensus = codes_to_text(probs.argmax(axis=1))
    if m > length:
        raise ValueError(f"motif has {m} bp, longer than the sequences ({length} bp)")
    if not 0.0 <= fraction_positive <= 1.0:
        raise ValueError(f"fraction_positive must be in [0, 1], got {fraction_positive!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if recurrent_every is None:
        n_copies, window = 1, length
    else:
        window = check_int(recurrent_every, "recurrent_every", 1)
        if not m <= window <= length:
            raise ValueError(
                f"recurrent_every must be between the motif length ({m}) and the sequence "
                f"length ({length}), got {window}"
            )
        n_copies = length // window
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    n_windows = length - m + 1
    free = math.exp(n_windows * math.log1p(-(0.25**m)))
    if free < _MIN_FREE_FRACTION:
        raise ValueError(
            f"a {m}-bp motif occurs by chance in {1 - free:.1%} of random {length}-bp "
            "sequences, so motif-free negatives cannot be drawn; use a longer motif or "
            "shorter sequences"
        )

    rng = np.random.default_rng(seed)
    positive = np.zeros(n_sequences, dtype=bool)
    positive[rng.permutation(n_sequences)[: round(fraction_positive * n_sequences)]] = True
    consensus_codes = probs.argmax(axis=1).astype(np.uint8)

    codes, mask, starts = _draw(rng, positive, length, probs, n_copies, window, mode)
    todo = np.arange(n_sequences)
    for _ in range(_MAX_ROUNDS):
        chance = _occurrences(codes[todo], consensus_codes) & ~_overlaps_mask(mask[todo], m)
        todo = todo[chance.any(axis=1)]
        if todo.size == 0:
            break
        codes[todo], mask[todo], starts[todo] = _draw(
            rng, positive[todo], length, probs, n_copies, window, mode
        )
    else:
        raise ValueError(
            f"could not draw {todo.size} sequence(s) free of chance motif occurrences in "
            f"{_MAX_ROUNDS} rounds; use a longer motif or shorter sequences"
        )

    index = torch.from_numpy(codes.astype(np.int64)).unsqueeze(1)
    one_hot = torch.zeros(n_sequences, 4, length, dtype=torch.float32)
    one_hot.scatter_(1, index, 1.0)
    return PlantedMotifData(
        inputs=from_ncl(one_hot, layout).contiguous(),
        labels=torch.from_numpy(positive.astype(np.int64)),
        motif_mask=torch.from_numpy(mask),
        motif_starts=torch.from_numpy(starts),
        motif_probabilities=probs,
        motif=consensus,
        layout=layout,
    )


def motif_length_series(
    lengths=MOTIF_LENGTHS,
    motif: str = MOTIFS["base"],
    seed: int | np.random.Generator | None = 0,
) -> dict[int, str]:
    """Nested motifs of several lengths for the study's motif-length experiment.

    Parameters
    ----------
    lengths : sequence of int, default MOTIF_LENGTHS (9, 12, ..., 33)
        Motif lengths M wanted, each >= 1.
    motif : str, default MOTIFS["base"]
        The motif the series grows from (A, C, G, T, any case).
    seed : int, numpy.random.Generator or None, default 0
        Randomness of the bases appended when a length exceeds ``len(motif)``.

    Returns
    -------
    dict of int to str
        ``{M: motif}`` in the order of ``lengths``: the first M bases of ``motif``,
        extended by one seeded run of uniform random bases where M > ``len(motif)``. Each
        motif is a prefix of every longer one, so the series differs only in length.

    Raises
    ------
    ValueError
        On an empty or non-ACGT ``motif`` or a length < 1.
    TypeError
        If a length is not an integer.

    Examples
    --------
    >>> series = motif_length_series((9, 33))
    >>> series[9], len(series[33]), series[33].startswith(MOTIFS["base"])
    ('TATAGCGCA', 33, True)
    """
    sizes = [check_int(m, "each motif length", 1) for m in lengths]
    probs = _motif_probabilities(motif)
    text = codes_to_text(probs.argmax(axis=1))
    extra = max(sizes, default=0) - len(text)
    if extra > 0:
        codes = np.random.default_rng(seed).integers(0, 4, size=extra)
        text += codes_to_text(codes)
    return {m: text[:m] for m in sizes}


_JASPAR_ROW = re.compile(r"^\s*([ACGTacgt])?\s*:?\s*\[?\s*([^\[\]]*?)\s*\]?\s*$")


def read_jaspar(path, pseudocount: float = 0.0) -> dict[str, np.ndarray]:
    """Read position frequency matrices in JASPAR format as PWMs.

    Parameters
    ----------
    path : str or os.PathLike
        A JASPAR file: one or more ``>ID name`` headers, each followed by four count rows
        for A, C, G, T, written either ``A [ 4 19 0 ]`` or as bare numbers (then in the
        order A, C, G, T). A headerless file with four bare rows (``.pfm``) is one matrix
        named after the file. A leading UTF-8 byte-order mark is dropped.
    pseudocount : float, default 0.0
        Added to every count before normalising.

    Returns
    -------
    dict of str to numpy.ndarray, each shape (M, 4), float64
        Per-position probabilities (rows A, C, G, T summing to 1), keyed by matrix ID (the
        first word of the header), in file order. Usable as ``motif`` of
        :func:`planted_motif_dataset`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        On a malformed file: wrong number of rows, rows of different lengths, duplicate or
        missing letters, non-numeric or negative counts, a position with no counts, or
        text that is not UTF-8.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"JASPAR file not found: {path}")
    if pseudocount < 0:
        raise ValueError(f"pseudocount must be >= 0, got {pseudocount!r}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    blocks: list[tuple[str, list[tuple[str | None, str, int]]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith(">"):
            header = line[1:].split()
            if not header:
                raise ValueError(f"{path}:{number}: empty header line")
            blocks.append((header[0], []))
            continue
        match = _JASPAR_ROW.match(line)
        if match is None:
            raise ValueError(f"{path}:{number}: cannot read {line.strip()!r} as a count row")
        if not blocks:
            blocks.append((path.stem, []))
        letter = match.group(1).upper() if match.group(1) else None
        blocks[-1][1].append((letter, match.group(2), number))

    if not blocks:
        raise ValueError(f"{path} holds no matrix")
    out: dict[str, np.ndarray] = {}
    for name, rows in blocks:
        out[name] = _jaspar_matrix(path, name, rows, pseudocount)
    return out


def _jaspar_matrix(path: Path, name: str, rows, pseudocount: float) -> np.ndarray:
    if len(rows) != 4:
        raise ValueError(f"{path}: matrix {name!r} has {len(rows)} rows; expected 4 (A, C, G, T)")
    letters = [letter for letter, _, _ in rows]
    if any(letters):
        if sorted(letter or "" for letter in letters) != list(BASES):
            raise ValueError(
                f"{path}: matrix {name!r} rows are labelled {letters}; need each of A, C, G, T"
            )
        rows = sorted(rows, key=lambda row: BASES.index(row[0]))
    counts = []
    for _, text, number in rows:
        try:
            counts.append([float(v) for v in text.replace(",", " ").split()])
        except ValueError as err:
            raise ValueError(f"{path}:{number}: non-numeric count in {text!r}") from err
    if len({len(c) for c in counts}) != 1 or not counts[0]:
        raise ValueError(
            f"{path}: matrix {name!r} rows have lengths {[len(c) for c in counts]}; they must "
            "be equal and non-empty"
        )
    matrix = np.asarray(counts, dtype=np.float64).T + pseudocount
    if not np.isfinite(matrix).all() or (matrix < 0).any():
        raise ValueError(f"{path}: matrix {name!r} has negative or non-finite counts")
    totals = matrix.sum(axis=1)
    if (totals <= 0).any():
        raise ValueError(
            f"{path}: matrix {name!r} has no counts at position {int(np.argmin(totals))}; "
            "use a pseudocount"
        )
    return matrix / totals[:, None]
