"""Helpers shared by test modules (import as ``from tests.support import ...``)."""

from __future__ import annotations

import importlib.metadata
from html.parser import HTMLParser

import pytest
import torch

from captum_genomics.models import SpliceAI


def installed(distribution: str) -> bool:
    """Whether a distribution is installed, without importing it."""
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


needs_spliceai = pytest.mark.skipif(
    not installed("spliceai"),
    reason="needs the published SpliceAI weights: pip install --no-deps spliceai==1.3.1",
)
needs_cispliceai = pytest.mark.skipif(
    not installed("cispliceai"),
    reason="needs the CI-SpliceAI weights: pip install --no-deps cispliceai==1.2.2",
)


def random_spliceai(context: int, seed: int = 0, mean_sd: float = 0.5,
                    affine_sd: float | None = None) -> SpliceAI:
    """SpliceAI with random weights and non-trivial batch-norm statistics, in eval mode.

    Running means are drawn from N(0, ``mean_sd``), running variances from U(0.5, 2); with
    ``affine_sd`` the BN scale and shift are drawn from N(1, ``affine_sd``) and N(0, ``affine_sd``).
    """
    torch.manual_seed(seed)
    model = SpliceAI(context)
    for bn in model.modules():
        if isinstance(bn, torch.nn.BatchNorm1d):
            bn.running_mean.normal_(0, mean_sd)
            bn.running_var.uniform_(0.5, 2.0)
            if affine_sd is not None:
                bn.weight.data.normal_(1, affine_sd)
                bn.bias.data.normal_(0, affine_sd)
    return model.eval()


class ReportParser(HTMLParser):
    """The embedded images (``src``) and table cells (text) of an HTML report."""

    def __init__(self):
        super().__init__()
        self.images, self.cells, self._in_cell = [], [], False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        self._in_cell = tag in ("td", "th")

    def handle_data(self, data):
        if self._in_cell:
            self.cells.append(data)
            self._in_cell = False
