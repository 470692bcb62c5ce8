"""The manifest of a batch run: which regions are done, which failed and why.

``manifest.jsonl`` in the output folder holds one JSON object per line: first the run's
settings (``{"settings": {...}}``), then one entry per finished region, appended as each
finishes and flushed to disk (``fsync``)::

    {"id": "01_chr10_94001-94100_plus", "key": "chr10:94001-94100:+", "index": 0,
     "seed": 123, "status": "done", "error": null,
     "files": {"regions/01_....npz": "<sha256>", ...}, "rows": [[...], ...]}

A later entry for the same id replaces an earlier one. A run killed while appending can leave
a partial last line: it is dropped when the run resumes (that region is run again). A region
counts as finished only when its entry says ``done`` and every file it lists still has the
recorded SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from captum_genomics._atomic import atomic_open
from captum_genomics.batch.plan import RegionTask, region_key
from captum_genomics.cli._common import UsageError

#: File name of the manifest inside ``--output-dir``.
MANIFEST_NAME = "manifest.jsonl"


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Manifest:
    """Append-only record of a batch run's regions (see the module docstring).

    Parameters
    ----------
    directory : pathlib.Path
        The run's output folder.
    settings : dict
        What decides the run's results (JSON-serialisable); a manifest written under other
        settings is refused unless ``restart``.
    restart : bool, default False
        Start over: forget the entries of an existing manifest.

    Attributes
    ----------
    entries : dict of str to dict
        The latest entry of each region id.

    Raises
    ------
    UsageError
        If the folder holds a manifest of a run with other settings and ``restart`` is off.
    """

    def __init__(self, directory: Path, settings: dict, restart: bool = False):
        self.directory = Path(directory)
        self.path = self.directory / MANIFEST_NAME
        self.settings = json.loads(json.dumps(settings))  # as it reads back
        self.entries: dict[str, dict] = {}
        if self.path.exists() and not restart:
            lines = self.path.read_text().splitlines()
            header = _parse(lines[0]) if lines else None
            if header is None or header.get("settings") != self.settings:
                raise UsageError(
                    f"--output-dir {directory} holds a batch run with other settings (see "
                    f"{self.path}); choose a new directory, or pass --force to start over")
            for line in lines[1:]:
                entry = _parse(line)
                if entry is not None:
                    self.entries[entry["id"]] = entry
        # rewritten whole, so that a line cut short by a killed run is not appended to
        with atomic_open(self.path) as handle:
            handle.writelines(json.dumps(line) + "\n" for line in
                              [{"settings": self.settings}, *self.entries.values()])

    def record(self, entry: dict) -> None:
        """Append ``entry`` (with an ``id``) and flush it to disk."""
        line = json.dumps(entry)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.entries[entry["id"]] = json.loads(line)

    def finished(self, task: RegionTask) -> bool:
        """Whether ``task``'s region is done and its files are intact (checksums match)."""
        entry = self.entries.get(task.region_id)
        if entry is None or entry["status"] != "done" or entry["key"] != region_key(task.region):
            return False
        for name, checksum in entry["files"].items():
            path = self.directory / name
            if not path.is_file() or file_sha256(path) != checksum:
                return False
        return True


def _parse(line: str) -> dict | None:
    """A manifest line's object, or None for a line cut short by a killed run."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
