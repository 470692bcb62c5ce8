"""Atomic file output: a crash never leaves a half-written result that looks whole."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import IO


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
        Write the whole result to it. When the block raises, the temporary file
        is removed and ``path`` is left as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files: mode must be 'w' or 'wb', not {mode!r}")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path}: directory {directory} does not exist")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    binary = mode == "wb"
    try:
        with open(tmp, "xb" if binary else "x", encoding=None if binary else encoding,
                  newline=None if binary else "\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
