"""The exact incremental path of :class:`~captum_genomics.attr.ism.InSilicoMutagenesis` on
SpliceAI heads (imported on use, so that importing the package does not load the splicing
engine)."""

from __future__ import annotations

import numpy as np
import torch

from captum_genomics.splicing._incremental_plan import FAR
from captum_genomics.splicing.incremental import EditGeometry, IncrementalSpliceAI
from captum_genomics.splicing.sites import SITE_CLASSES, model_context, reduce_sites


class IncrementalRunner:
    """Scores of an example and of its mutants from :class:`IncrementalSpliceAI`."""

    def __init__(self, codes: np.ndarray, model, sites, kinds, reduce):
        self.codes = codes
        self.model = model
        self.sites = np.asarray(sites, dtype=np.int64)
        self.kinds = kinds
        self.reduce = reduce
        self.classes = torch.tensor([SITE_CLASSES[k] for k in kinds])
        half = model_context(model) // 2
        length = codes.shape[1]
        if self.sites.max() >= length:
            raise ValueError(f"site {int(self.sites.max())} lies beyond the inputs (L = {length})")
        #: only inputs within half the context of a site reach it
        self.reach = np.array([self.sites.min() - half, self.sites.max() + half])
        self.engine: IncrementalSpliceAI | None = None

    def _score(self, geometry: EditGeometry) -> torch.Tensor:
        probs = self.engine.probabilities(geometry)  # (m, k, 3)
        classes = self.classes.to(probs.device).expand(probs.shape[0], -1)[..., None]
        picked = probs.gather(2, classes)[..., 0]
        if self.reduce is None:
            return picked[:, 0]
        by_kind = dict(zip(self.kinds, picked.unbind(1)))
        return reduce_sites(by_kind.get("acceptor"), by_kind.get("donor"), self.reduce)

    def _geometry(self, n: int, chunk: np.ndarray | None) -> EditGeometry:
        m = 1 if chunk is None else len(chunk)
        codes = torch.from_numpy(self.codes[n]).expand(m, -1).clone()
        sites = torch.from_numpy(self.sites).expand(m, -1).clone()
        if chunk is None:  # the reference: one padding span, nothing edited
            starts = torch.full((1, 1), FAR, dtype=torch.long)
            ends, valid = starts.clone(), torch.zeros((1, 1), dtype=torch.bool)
        else:
            at = torch.from_numpy(chunk[:, 0])
            codes[torch.arange(m), at] = torch.from_numpy(chunk[:, 1]).to(codes.dtype)
            starts, ends = at[:, None], at[:, None] + 1
            valid = torch.ones((m, 1), dtype=torch.bool)
        return EditGeometry(codes, sites, starts, ends, torch.zeros_like(starts), valid,
                            torch.zeros(m, dtype=torch.long))

    def reference(self, n: int) -> torch.Tensor:
        self.engine = IncrementalSpliceAI(self.model, self.codes[n], self.sites)
        return self._score(self._geometry(n, None))[0]

    def mutants(self, n: int, chunk: np.ndarray) -> torch.Tensor:
        return self._score(self._geometry(n, chunk))
