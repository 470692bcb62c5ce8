"""Shared helpers for the GGGP engine tests: a cheap PWM scorer and a plain string editor."""

from __future__ import annotations

import re

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

MOTIF = np.array([0, 3, 2, 1, 0, 3, 3, 2], dtype=np.uint8)  # ATGCATTG


class PWMScorer:
    """Sigmoid of the log-sum-exp PWM match of MOTIF over every window; records its inputs."""

    name = "pwm"

    def __init__(self, centre: float, scale: float = 1.5) -> None:
        self.pwm = np.full((MOTIF.size, 4), -2.0)
        self.pwm[np.arange(MOTIF.size), MOTIF] = 2.0
        self.centre = centre
        self.scale = scale
        self.seen: list[bytes] = []
        self.batch_sizes: list[int] = []

    def raw(self, codes: np.ndarray) -> np.ndarray:
        onehot = (codes[..., None] == np.arange(4)).astype(float)
        windows = sliding_window_view(onehot, (MOTIF.size, 4), axis=(1, 2))[:, :, 0]
        match = (windows * self.pwm).sum(axis=(-1, -2))
        return np.log(np.exp(match).sum(axis=1))

    def __call__(self, batch) -> np.ndarray:
        self.batch_sizes.append(len(batch))
        self.seen.extend(row.tobytes() for row in batch.rows())
        return 1.0 / (1.0 + np.exp(-(self.raw(batch.sequences) - self.centre) / self.scale))


def planted_reference(length: int = 400, seed: int = 0) -> np.ndarray:
    """Random codes with four copies of MOTIF planted in the middle."""
    rng = np.random.default_rng(seed)
    ref = rng.integers(0, 4, length).astype(np.uint8)
    mid = length // 2
    for start in (mid - 40, mid - 15, mid + 10, mid + 30):
        ref[start : start + MOTIF.size] = MOTIF
    return ref


@pytest.fixture(scope="session")
def reference() -> np.ndarray:
    return planted_reference()


@pytest.fixture(scope="session")
def make_scorer(reference):
    """Factory of fresh PWM scorers centred so the reference scores about 0.8."""
    centre = float(PWMScorer(0.0).raw(reference[None])[0]) - 2.0
    return lambda: PWMScorer(centre)


class FailingScorer:
    """Scores like ``inner`` for ``calls`` calls, then raises (a model failing midway)."""

    name = "failing"

    def __init__(self, inner, calls: int) -> None:
        self.inner, self.calls_left = inner, calls

    def __call__(self, batch):
        if self.calls_left == 0:
            raise RuntimeError("CUDA out of memory")
        self.calls_left -= 1
        return self.inner(batch)


@pytest.fixture(scope="session")
def failing_scorer():
    return FailingScorer


@pytest.fixture(scope="session")
def small_search(reference, make_scorer):
    """A short search on the planted reference (ROI 180-220, 3 generations of 80)."""
    from captum_genomics.gggp.grammar import Grammar
    from captum_genomics.gggp.search import SearchSettings, search

    def run(seed: int):
        return search(
            reference,
            make_scorer(),
            grammar=Grammar(roi=(180, 220), max_distance=60),
            settings=SearchSettings(population_size=80, max_generations=3, initial_min_delta=0.0),
            seed=seed,
        )

    return run


_UNIT = re.compile(r"(\w+)\[(.*?)\]")


def edit_string(reference: str, phenotype: str) -> str:
    """Apply a phenotype to text the plain way: sort units, edit left to right with an offset."""
    units = []
    for name, args in _UNIT.findall(phenotype):
        parts = args.split(",")
        units.append((int(parts[0]), name, parts[1:]))
    out = reference
    offset = 0
    for pos, name, args in sorted(units):
        at = pos + offset
        if name == "SNV":
            out = out[:at] + args[0] + out[at + 1 :]
        elif name == "Deletion":
            size = int(args[0]) - pos
            out = out[:at] + out[at + size :]
            offset -= size
        elif name == "Insertion":
            out = out[:at] + args[0] + out[at:]
            offset += len(args[0])
        else:
            raise AssertionError(f"unknown unit {name}")
    return out


@pytest.fixture(scope="session")
def string_editor():
    return edit_string
