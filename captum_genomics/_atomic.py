"""Atomic file output: a crash never leaves a half-written result that looks whole.

Each result is written to a temporary file beside its destination, named
``<destination name>.<random hex>`` + :data:`TEMP_SUFFIX` (visible, not hidden), then renamed
over the destination. The temporary file is removed whenever the writing block raises, a
``KeyboardInterrupt`` included; only a process killed outright (``SIGKILL``, power loss) can
leave one behind, and ``find DIR -name '*.captum-genomics-tmp'`` lists them for removal. The
destination itself is never half-written.

Also the one TSV writer (:func:`write_table`), public as :func:`captum_genomics.export.write_table`.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

import numpy as np

#: Suffix of every temporary file written beside a destination (see the module docstring).
TEMP_SUFFIX = ".captum-genomics-tmp"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """A temporary path beside ``path`` that replaces ``path`` when the block succeeds.

    For writers that open files by name themselves (e.g. pyBigWig).

    Parameters
    ----------
    path : str or os.PathLike
        Final destination; its directory must exist.

    Yields
    ------
    str
        A path not yet existing in the same directory, ending in :data:`TEMP_SUFFIX`. When
        the block raises (any exception, ``KeyboardInterrupt`` included), whatever was written
        there is removed and ``path`` is left as it was.

    Raises
    ------
    FileNotFoundError
        If the directory of ``path`` does not exist.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path}: directory {directory} does not exist")
    tmp = os.path.join(directory, f"{os.path.basename(path)}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w",
                encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file beside ``path`` that replaces ``path`` on success.

    Parameters
    ----------
    path : str or os.PathLike
        Final destination; its directory must exist.
    mode : {"w", "wb"}, default "w"
        Text or binary writing.
    encoding : str or None, default "utf-8"
        Text encoding (ignored for binary mode).

    Yields
    ------
    file object
        Write the whole result to it. When the block raises (``KeyboardInterrupt``
        included), the temporary file is removed and ``path`` is left as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files: mode must be 'w' or 'wb', not {mode!r}")
    binary = mode == "wb"
    with atomic_path(path) as tmp, open(
        tmp, "xb" if binary else "x", encoding=None if binary else encoding,
        newline=None if binary else "\n",
    ) as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def _cell(value, column: str) -> str:
    if isinstance(value, str):
        if any(ch in value for ch in "\t\r\n"):
            raise ValueError(
                f"cannot write {value!r} in column {column!r} of a TSV: it holds a tab or "
                "line break; rename it"
            )
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return "nan" if math.isnan(value) else repr(value)
    return _cell(str(value), column)


def write_table(path: str | os.PathLike[str], rows: Iterable[Sequence], columns: Sequence[str],
                preamble: Sequence[str] = ()) -> None:
    """Write a tab-separated table with a header row, atomically.

    Floats are written at full (round-trip) precision (``repr``), NaN as ``nan``; integers
    and strings as they are; other values through ``str``.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; its directory must exist.
    rows : iterable of sequences
        One sequence of ``len(columns)`` values per row.
    columns : sequence of str
        Header names.
    preamble : sequence of str, default ()
        Lines written before the header, as given (e.g. ``"#rows\\t10"``).

    Raises
    ------
    ValueError
        If a row has the wrong length, or a value or column name holds a tab or line break.
    """
    columns = [_cell(c, c) for c in columns]
    lines = [f"{line}\n" for line in preamble]
    lines.append("\t".join(columns) + "\n")
    for number, row in enumerate(rows, start=1):
        row = list(row)
        if len(row) != len(columns):
            raise ValueError(f"row {number} has {len(row)} values for {len(columns)} columns")
        lines.append("\t".join(_cell(v, c) for v, c in zip(row, columns)) + "\n")
    with atomic_open(path) as handle:
        handle.writelines(lines)
