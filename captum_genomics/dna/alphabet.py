"""The DNA alphabet: one code table for text, integer codes and one-hot columns (numpy only).

Every part of the package that turns DNA text into numbers, or numbers back into text, goes
through this table, so there is one definition of the letters and of N:

======  ====  ================================================
letter  code  one-hot column (A, C, G, T)
======  ====  ================================================
A       0     (1, 0, 0, 0)
C       1     (0, 1, 0, 0)
G       2     (0, 0, 1, 0)
T       3     (0, 0, 0, 1)
N       4     ``n_value`` in every channel: 0 (SpliceAI) or 0.25 (deepG)
other   5     :data:`CODE_UNKNOWN`, never encoded (callers apply their policy first)
======  ====  ================================================

Lowercase (soft-masked) letters get the code of their uppercase letter. This module imports
numpy only, so the torch-free GGGP engine can use it; the torch encoders live in
:mod:`captum_genomics.dna.codec`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "BASES",
    "CODE_N",
    "CODE_UNKNOWN",
    "LETTERS",
    "N_VALUES",
    "check_codes",
    "codes_to_one_hot",
    "codes_to_text",
    "is_lowercase",
    "n_value_of",
    "one_hot_table",
    "one_hot_to_codes",
    "text_to_codes",
    "text_to_codes_strict",
]

#: The four bases, in channel order.
BASES = "ACGT"
#: The letters with a code: the bases and N.
LETTERS = BASES + "N"
#: Code of N (and of any character a policy maps to N).
CODE_N = 4
#: Code of a character outside :data:`LETTERS` (IUPAC ambiguity codes, gaps, digits, ...).
CODE_UNKNOWN = 5
#: The named N encodings: value of every channel of an N column.
N_VALUES = {"zeros": 0.0, "uniform": 0.25}

_TEXT_TO_CODE = np.full(256, CODE_UNKNOWN, dtype=np.uint8)
for _code, _byte in enumerate(LETTERS.encode()):
    _TEXT_TO_CODE[_byte] = _code
    _TEXT_TO_CODE[_byte + 32] = _code  # lowercase (soft-masked) letter
_IS_LOWER = np.zeros(256, dtype=bool)
_IS_LOWER[ord("a") : ord("z") + 1] = True
_CODE_TO_TEXT = np.frombuffer(LETTERS.encode(), dtype=np.uint8)


def _bytes(text: str) -> np.ndarray:
    # 'replace' maps each non-ASCII character to one b'?', which keeps positions aligned.
    return np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)


def text_to_codes(text: str) -> np.ndarray:
    """Codes of the characters of ``text``, shape (L,).

    Parameters
    ----------
    text : str
        DNA text of length L, any case.

    Returns
    -------
    numpy.ndarray, shape (L,), uint8
        0-3 for A, C, G, T, :data:`CODE_N` for N and :data:`CODE_UNKNOWN` for any other
        character (including non-ASCII ones); no error is raised, callers apply their policy.
    """
    return _TEXT_TO_CODE[_bytes(text)]


def text_to_codes_strict(text: str, name: str = "sequence") -> np.ndarray:
    """Codes of DNA text, shape (L,), refusing characters outside ``ACGTN`` (any case).

    Parameters
    ----------
    text : str
        DNA text of length L.
    name : str, default "sequence"
        What the text is, for the error message.

    Returns
    -------
    numpy.ndarray, shape (L,), uint8
        Codes 0..4.

    Raises
    ------
    ValueError
        If the text holds other characters (the message lists them).
    """
    codes = text_to_codes(text)
    if (codes == CODE_UNKNOWN).any():
        bad = sorted({ch for ch in text if ch.upper() not in LETTERS})
        raise ValueError(
            f"{name} holds letters {bad} outside {LETTERS}; replace them (e.g. by N) first"
        )
    return codes


def check_codes(codes, name: str = "codes"):
    """Check that integer codes lie in 0..4 and return them unchanged.

    Parameters
    ----------
    codes : numpy.ndarray or torch.Tensor, any shape
        Integer codes (a tensor may live on any device).
    name : str, default "codes"
        What the codes are, for the error message.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``codes``.

    Raises
    ------
    ValueError
        If a code lies outside 0..4.
    """
    if math.prod(codes.shape) and (codes.min() < 0 or codes.max() > CODE_N):
        raise ValueError(f"{name} must lie in 0..4 (A=0, C=1, G=2, T=3, N=4)")
    return codes


def is_lowercase(text: str) -> np.ndarray:
    """Which characters of ``text`` are lowercase ASCII letters (soft-masked), shape (L,)."""
    return _IS_LOWER[_bytes(text)]


def codes_to_text(codes) -> str:
    """Text of codes, shape (L,) -> str of length L.

    Parameters
    ----------
    codes : array_like of int, shape (L,)
        Codes in 0..4.

    Returns
    -------
    str
        Uppercase text over ``ACGTN``.

    Raises
    ------
    ValueError
        If a code lies outside 0..4.
    """
    codes = check_codes(np.asarray(codes))
    return _CODE_TO_TEXT[codes.astype(np.uint8)].tobytes().decode("ascii")


def n_value_of(n_policy: str | float) -> float:
    """The channel value of N for a policy name (``"zeros"``, ``"uniform"``) or a number."""
    if isinstance(n_policy, str):
        if n_policy not in N_VALUES:
            raise ValueError(f"n_policy must be one of {tuple(N_VALUES)}, got {n_policy!r}")
        return N_VALUES[n_policy]
    if isinstance(n_policy, bool) or not isinstance(n_policy, numbers.Real):
        raise TypeError(f"the N value must be a policy name or a number, got {n_policy!r}")
    if not np.isfinite(n_policy):
        raise ValueError(f"the N value must be finite, got {n_policy!r}")
    return float(n_policy)


def one_hot_table(n_value: float = 0.0, dtype=np.float32) -> np.ndarray:
    """The one-hot column of each code, shape (5, 4): rows A, C, G, T, N.

    Parameters
    ----------
    n_value : float, default 0.0
        Value of every channel of the N row.
    dtype : numpy dtype, default float32

    Returns
    -------
    numpy.ndarray, shape (5, 4)
    """
    table = np.zeros((CODE_N + 1, len(BASES)), dtype=dtype)
    table[np.arange(len(BASES)), np.arange(len(BASES))] = 1
    table[CODE_N] = n_value
    return table


def codes_to_one_hot(codes, n_value: float = 0.0, dtype=np.float32) -> np.ndarray:
    """One-hot columns of codes, shape (..., L) -> (..., 4, L).

    Parameters
    ----------
    codes : array_like of int, shape (..., L)
        Codes in 0..4.
    n_value : float, default 0.0
        Channel value of N columns (0 for SpliceAI, 0.25 for deepG).
    dtype : numpy dtype, default float32

    Returns
    -------
    numpy.ndarray, shape (..., 4, L)

    Raises
    ------
    ValueError
        If a code lies outside 0..4.
    """
    codes = check_codes(np.asarray(codes))
    return np.swapaxes(one_hot_table(n_value, dtype)[codes], -1, -2)


def one_hot_to_codes(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of one-hot columns, shape (N, 4, L) -> (N, L), without raising.

    Parameters
    ----------
    columns : numpy.ndarray, shape (N, 4, L)
        Real values.

    Returns
    -------
    codes : numpy.ndarray, shape (N, L), uint8
        0-3 for a one-hot column (one 1, three 0), :data:`CODE_N` for an N column (all 0 or
        all 0.25) and :data:`CODE_UNKNOWN` for anything else (callers name it in their error).
    quarter : numpy.ndarray, shape (N, L), bool
        Which N columns hold 0.25 (the others hold 0).
    """
    ones, zeros = columns == 1, columns == 0
    is_base = (ones.sum(axis=1) == 1) & (zeros.sum(axis=1) == 3)
    quarter = (columns == 0.25).all(axis=1)
    is_n = zeros.all(axis=1) | quarter
    codes = np.where(is_base, ones.argmax(axis=1), np.where(is_n, CODE_N, CODE_UNKNOWN))
    return codes.astype(np.uint8), quarter
