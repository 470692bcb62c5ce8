"""A model with a known answer: it counts exact copies of one motif."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from captum_genomics.dna.annotations import Interval
from captum_genomics.dna.codec import one_hot

MOTIF = "GATTACAG"


class MotifCounter(torch.nn.Module):
    """Number of exact copies of ``MOTIF`` in each (N, 4, L) input, as (N, 2) logits."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, 1, len(MOTIF), bias=False)
        self.conv.weight.data = one_hot(MOTIF).reshape(1, 4, len(MOTIF))

    def forward(self, x):
        count = torch.relu(self.conv(x) - (len(MOTIF) - 1)).sum(dim=(1, 2))
        return torch.stack([-count, count], dim=1)


@pytest.fixture
def genome():
    """A 3-kb window at genome coordinate 1001 with five genes; g3 holds six motif copies."""
    rng = np.random.default_rng(1)
    letters = np.array(list("ACGT"))[rng.integers(0, 4, 3000)]
    genes = [Interval("chr", 1101 + 500 * k, 1400 + 500 * k, "+-"[k % 2], f"g{k}", "gene")
             for k in range(5)]
    planted = genes[3]
    for copy in range(6):
        at = planted.start - 1001 + 10 + 40 * copy
        letters[at:at + len(MOTIF)] = list(MOTIF)
    sequence = "".join(letters)
    return one_hot(sequence).float(), genes, MotifCounter().eval()
