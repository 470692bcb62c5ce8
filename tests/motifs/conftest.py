"""Shared motif fixtures: memelite compiles its scanner once (a few seconds), so the planted
dataset is built once per session."""

from __future__ import annotations

import numpy as np
import pytest

from captum_genomics.gggp import Grammar, LocalDataset, apply_population, format_phenotypes
from captum_genomics.gggp.operators import random_population
from captum_genomics.motifs import Motif, scan_motifs

PLANTED = Motif.from_consensus("A_planted", "TGCATG")
DECOY = Motif.from_consensus("B_decoy", "ACTAAC")
LENGTH = 240
A_STARTS = (30, 110, 190)
B_STARTS = (65, 145, 215)


def planted_reference(seed: int = 3) -> str:
    """Random background with 3 copies of A and 3 of B, and no other exact copy of either."""
    rng = np.random.default_rng(seed)
    while True:
        text = list("ACGT"[i] for i in rng.integers(0, 4, LENGTH))
        for start in A_STARTS:
            text[start : start + 6] = "TGCATG"
        for start in B_STARTS:
            text[start : start + 6] = "ACTAAC"
        ref = "".join(text)
        found = scan_motifs(ref, [PLANTED, DECOY])
        if sorted(found.start.tolist()) == sorted(A_STARTS + B_STARTS):
            return ref


def intact_a(sequences) -> np.ndarray:
    """The "model": number of A occurrences in each sequence."""
    return scan_motifs(sequences, [PLANTED]).counts()[:, 0].astype(float)


@pytest.fixture(scope="session")
def planted_motifs() -> list[Motif]:
    """``[A, B]``: the motif the model counts and the decoy it ignores."""
    return [PLANTED, DECOY]


@pytest.fixture(scope="session")
def planted_dataset() -> LocalDataset:
    ref = planted_reference()
    space = Grammar(max_distance=10_000).bind(ref)
    pop = random_population(space, 500, np.random.default_rng(7))
    sequences = apply_population(space, pop).strings()
    return LocalDataset(
        reference=ref,
        phenotypes=format_phenotypes(pop, space.grammar),
        sequences=sequences,
        scores=intact_a(sequences),
        generation=np.zeros(len(pop)),
        fitness=np.zeros(len(pop)),
        provenance={"original_score": float(intact_a([ref])[0])},
    )
