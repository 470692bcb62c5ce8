"""What every subcommand shares: user errors, the output folder and device checks (private)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

#: Errors that name a user's problem and its fix: one line on stderr, exit status 2.
USER_ERRORS = (ValueError, TypeError, FileNotFoundError, ModuleNotFoundError)


class UsageError(ValueError):
    """A problem with the arguments: its message names it and the fix."""


def run_command(name: str, body: Callable[[argparse.Namespace], int],
                args: argparse.Namespace) -> int:
    """``body(args)``, with user errors turned into one line on stderr and exit status 2."""
    try:
        return body(args)
    except USER_ERRORS as problem:
        print(f"captum-genomics {name}: error: {problem}", file=sys.stderr)
        return 2


def _int_at_least(minimum: int, noun: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is not {noun} (at least {minimum})")
        return value

    parse.__name__ = noun.replace(" ", "_")  # argparse names the type in its messages
    return parse


#: argparse ``type`` of counts and sizes (``--steps``, ``--evaluations``, ...): an int >= 1;
#: anything else is an argparse usage error (exit status 2), not a traceback.
positive_int = _int_at_least(1, "a positive integer")
#: argparse ``type`` of seeds and of counts where 0 means "none": an int >= 0.
non_negative_int = _int_at_least(0, "a non-negative integer")


def _writable_directory(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def check_output_dir(path: str | os.PathLike, force: bool = False,
                     planned: Iterable[Path] | None = None,
                     option: str = "--output-dir") -> Path:
    """The output folder, checked writable and created if needed, before any work.

    Parameters
    ----------
    path : str or os.PathLike
        ``--output-dir``: an existing writable folder, or one that can be created (its nearest
        existing ancestor is a writable folder).
    force : bool, default False
        ``--force``: allow replacing files already there.
    planned : iterable of Path, optional
        The files the run will write: only these may not exist already. Without it the
        folder must be empty.
    option : str, default "--output-dir"
        The option named in the messages.

    Returns
    -------
    pathlib.Path
        The folder, now existing.

    Raises
    ------
    UsageError
        If the path is a file, cannot be created or written, or holds outputs and ``force``
        is off.
    """
    folder = Path(path).expanduser()
    if folder.exists():
        if not folder.is_dir():
            raise UsageError(f"{option} {path} is a file, not a directory; give a "
                             "directory path (it is created when missing)")
        if not _writable_directory(folder):
            raise UsageError(f"{option} {path} is not writable; choose a directory you "
                             "can write to")
        existing = ([p for p in planned if p.exists()] if planned is not None
                    else sorted(folder.iterdir()))
        if existing and not force:
            raise UsageError(f"{option} {path} already holds {existing[0].name}; choose a "
                             "new directory or pass --force to replace the files there")
        return folder
    ancestor = folder.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not _writable_directory(ancestor):
        kind = "is not a directory" if not ancestor.is_dir() else "is not writable"
        raise UsageError(f"cannot create {option} {path}: {ancestor} {kind}; choose a "
                         "path under a directory you can write to")
    try:
        folder.mkdir(parents=True)
    except OSError as error:  # e.g. a pseudo file system that refuses new folders
        raise UsageError(f"cannot create {option} {path}: {error.strerror or error}; "
                         "choose a path under a directory you can write to") from None
    return folder


def check_output_file(path: str | os.PathLike, option: str) -> Path:
    """Check that a file can be written at ``path`` (its directory exists and is writable).

    Raises
    ------
    UsageError
        If the directory is missing or not writable, or ``path`` is a directory.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise UsageError(f"{option} {path} is a directory; give a file path")
    if not _writable_directory(target.absolute().parent):
        raise UsageError(f"{option} {path}: directory {target.absolute().parent} does not "
                         "exist or is not writable; create it first or choose another path")
    return target


def check_device(text: str):
    """``--device`` as a torch device that exists here.

    Raises
    ------
    UsageError
        If it is not a device name, or names CUDA where there is none.
    """
    import torch

    try:
        device = torch.device(text)
    except RuntimeError:
        raise UsageError(f"--device {text!r} is not a torch device; use e.g. cpu, cuda or "
                         "cuda:1") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"--device {text}: CUDA is not available here; use --device cpu")
    return device


#: Licence of the published weights each SpliceAI-family distribution ships.
WEIGHTS_LICENCES = {"spliceai": "CC BY-NC 4.0", "cispliceai": "CC BY 4.0"}
#: Regions or targets drawn in a report at most (the tables list every one).
REPORT_LIMIT = 10


def weights_source(source: str) -> str:
    """Where the published ``source`` weights were read: distribution, version, licence, folder.

    Parameters
    ----------
    source : {"spliceai", "cispliceai"}
        The distribution shipping the weights (installed).
    """
    import importlib.metadata

    from captum_genomics.models.spliceai_weights import find_spliceai_weights

    folder = find_spliceai_weights(source)[0].parent
    return (f"{source} {importlib.metadata.version(source)} ({WEIGHTS_LICENCES[source]}), "
            f"{folder}")


def option_settings(args: argparse.Namespace) -> dict[str, object]:
    """Every command-line option of a run as ``{"--option": value}``, for its report."""
    return {f"--{name.replace('_', '-')}": value for name, value in vars(args).items()
            if name not in ("command", "run")}


def file_stem(index: int, name: str) -> str:
    """A file-name stem for the ``index``-th (0-based) region or target called ``name``."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:60]
    return f"{index + 1:02d}_{safe}" if safe else f"{index + 1:02d}"
