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


def check_output_dir(path: str | os.PathLike, force: bool,
                     planned: Iterable[Path] | None = None) -> Path:
    """The output folder, created if needed and checked writable, before any work.

    Parameters
    ----------
    path : str or os.PathLike
        ``--output-dir``.
    force : bool
        ``--force``: allow replacing files already there.
    planned : iterable of Path, optional
        The files the run will write: only these may not exist already. Without it the
        folder must be empty.

    Returns
    -------
    Path

    Raises
    ------
    UsageError
        If the path is a file, cannot be created or written, or holds outputs and ``force``
        is off.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--output-dir {folder} is a file; give a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        raise UsageError(f"--output-dir {folder} cannot be created ({problem.strerror}); give "
                         "a writable folder") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--output-dir {folder} is not writable; give a writable folder")
    if not force:
        existing = ([p for p in planned if p.exists()] if planned is not None
                    else sorted(folder.iterdir()))
        if existing:
            raise UsageError(f"--output-dir {folder} already holds {existing[0].name}; choose "
                             "a new folder or add --force to replace its files")
    return folder


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
