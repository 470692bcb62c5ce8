"""Output checks every subcommand runs before any work."""

from __future__ import annotations

import os
from pathlib import Path


class OutputError(ValueError):
    """An output path that cannot be written; the message names the problem and the fix."""


def _writable_directory(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def prepare_output_dir(path: str | os.PathLike[str], force: bool = False) -> Path:
    """Check an output directory and create it, before any work is done.

    Parameters
    ----------
    path : str or os.PathLike
        The directory: an existing writable one (empty unless ``force``), or one that can be
        created (its nearest existing ancestor is a writable directory).
    force : bool, default False
        Accept a non-empty directory (files of the same names are replaced).

    Returns
    -------
    pathlib.Path
        The directory, now existing.

    Raises
    ------
    OutputError
        If the path is a file, is not writable, is not empty (without ``force``), or cannot
        be created.
    """
    directory = Path(path).expanduser()
    if directory.exists():
        if not directory.is_dir():
            raise OutputError(f"--output-dir {path} is a file, not a directory; give a "
                              "directory path (it is created when missing)")
        if not _writable_directory(directory):
            raise OutputError(f"--output-dir {path} is not writable; choose a directory you "
                              "can write to")
        if not force and any(directory.iterdir()):
            raise OutputError(f"--output-dir {path} is not empty; choose a new directory or "
                              "pass --force to replace the files there")
        return directory
    ancestor = directory.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not _writable_directory(ancestor):
        kind = "is not a directory" if not ancestor.is_dir() else "is not writable"
        raise OutputError(f"cannot create --output-dir {path}: {ancestor} {kind}; choose a "
                          "path under a directory you can write to")
    directory.mkdir(parents=True)
    return directory


def check_output_file(path: str | os.PathLike[str], option: str) -> Path:
    """Check that a file can be written at ``path`` (its directory exists and is writable).

    Raises
    ------
    OutputError
        If the directory is missing or not writable, or ``path`` is a directory.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise OutputError(f"{option} {path} is a directory; give a file path")
    if not _writable_directory(target.absolute().parent):
        raise OutputError(f"{option} {path}: directory {target.absolute().parent} does not "
                          "exist or is not writable; create it first or choose another path")
    return target
