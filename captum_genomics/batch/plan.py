"""Regions of a batch run: a stable id and a seed per region.

A region's seed derives from the run seed and the region's coordinates only (not its place
in the file, the engine or the worker that runs it), through :class:`numpy.random.SeedSequence`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from captum_genomics.cli._common import file_stem
from captum_genomics.dna.annotations import Interval


@dataclass(frozen=True)
class RegionTask:
    """One region to explain: its place in the run, file-name id and seed."""

    index: int  # 0-based position in the regions file
    region: Interval
    region_id: str  # file-name stem of its outputs, unique within the run
    seed: int


def region_key(region: Interval) -> str:
    """``chrom:start-end:strand`` (1-based inclusive) of ``region``; ``+`` when unstranded."""
    strand = "-" if region.strand == "-" else "+"
    return f"{region.chrom}:{region.start}-{region.end}:{strand}"


def region_seed(run_seed: int, region: Interval) -> int:
    """The seed of ``region`` in a run seeded ``run_seed``: an int in [0, 2**31).

    Parameters
    ----------
    run_seed : int
        ``--seed`` of the run, >= 0.
    region : Interval
        The region; only its :func:`region_key` counts.
    """
    digest = hashlib.sha256(region_key(region).encode()).digest()
    words = np.frombuffer(digest, dtype="<u4").tolist()
    state = np.random.SeedSequence([run_seed, *words]).generate_state(1, dtype=np.uint32)
    return int(state[0] >> 1)


def plan_regions(regions: list[Interval], run_seed: int) -> list[RegionTask]:
    """One :class:`RegionTask` per region, in file order.

    Parameters
    ----------
    regions : list of Interval, length R
        The regions, as read from the regions file.
    run_seed : int
        ``--seed`` of the run.

    Returns
    -------
    list of RegionTask, length R
        Ids ``<index>_<chrom>_<start>-<end>_<plus|minus>`` (1-based index).
    """
    return [RegionTask(index, region, file_stem(index, _file_name(region)),
                       region_seed(run_seed, region))
            for index, region in enumerate(regions)]


def _file_name(region: Interval) -> str:
    strand = "minus" if region.strand == "-" else "plus"
    return f"{region.chrom}_{region.start}-{region.end}_{strand}"
