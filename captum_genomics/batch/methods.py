"""What each ``--method`` of a batch run computes per region, and how its outputs merge.

Every region method writes ``regions/<id>.npz`` (the region columns, ``flank`` and
``one_hot_0``, the (4, L_input) one-hot input in model orientation, flanks included) with its
attribution arrays, and per-region bedGraph tracks; the runner merges the tracks of the done
regions (:data:`MERGED_TRACKS`):

- ``ig``: :class:`~captum_genomics.batch.worker.RegionWorker` (``<baseline>_0`` and
  ``<baseline>_hypothetical_0`` per baseline; track: the per-base sum).
- ``ism``: :class:`ISMWorker`, exact in-silico mutagenesis of every base of the region
  (``ism_0``: ``f(mutant) - f(x)`` for each substitution, 0 at the observed base and in the
  flanks; track ``ism``: the mean effect of the substitutions at each base, i.e. the sum over
  the four channels divided by 3, by 4 at an N).
- ``gggp``: :class:`GGGPWorker`, a GGGP local dataset around the region's sequence and a lasso
  surrogate (``gggp_0``: the per-base attribution on the observed base's channel; also
  ``regions/<id>.dataset.tsv``; track ``gggp``: the per-base attribution).

``spliceai`` scores chunks of VCF records instead (:mod:`captum_genomics.batch.vcf`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from captum_genomics.batch.plan import RegionTask
from captum_genomics.batch.worker import (
    REGION_FOLDER,
    BatchWorker,
    RegionWorker,
    save_region_arrays,
)
from captum_genomics.cli import ig
from captum_genomics.dna.codec import one_hot, to_ncl
from captum_genomics.export import RegionTrack, write_bedgraph

#: Region coordinates that open every ``regions.tsv`` row.
REGION_COLUMNS = ("chrom", "start", "end", "strand", "region")
#: ``regions.tsv`` columns (after ``id status error``) of each region method.
SUMMARY_COLUMNS = {
    "ig": ig.SUMMARY_COLUMNS,
    "ism": (*REGION_COLUMNS, "score", "track_sum", "max_abs_effect"),
    "gggp": (*REGION_COLUMNS, "original_score", "rows", "r2", "spearman", "attribution_sum"),
}


def ism_track(effects: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per-base mean substitution effect: ``effects.sum(0) / 3`` (``/ 4`` at N columns).

    Parameters
    ----------
    effects : numpy.ndarray, shape (4, L)
        ISM effects, 0 at the observed bases.
    x : numpy.ndarray, shape (4, L)
        The one-hot input (an N column is all 0 or all 0.25).

    Returns
    -------
    numpy.ndarray, shape (L,)
    """
    substitutions = np.where((x == 1).any(axis=0), 3.0, 4.0)
    return effects.sum(axis=0) / substitutions


def channel_sum(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per-base sum over the four channels of ``values`` (4, L): the IG and GGGP tracks."""
    return values.sum(axis=0)


@dataclass(frozen=True)
class MergedTrack:
    """One merged track of a run: ``<stem>.bedgraph`` and ``<stem>.bw`` from the npz array
    ``key`` of each done region, reduced per base by ``per_base(values, one_hot)``."""

    stem: str
    key: str
    per_base: Callable[[np.ndarray, np.ndarray], np.ndarray]
    name: str
    description: str


def merged_tracks(method: str, baselines: list[str], model: str) -> list[MergedTrack]:
    """The merged tracks of a region method's run (see the module docstring)."""
    if method == "ism":
        return [MergedTrack("ism", "ism_0", ism_track, "ISM",
                            f"in-silico mutagenesis of {model}, mean substitution effect")]
    if method == "gggp":
        return [MergedTrack("gggp", "gggp_0", channel_sum, "GGGP",
                            f"GGGP lasso surrogate of {model}, per-base attribution")]
    return [MergedTrack(f"ig_{b}", f"{b}_0", channel_sum, f"IG {b}",
                        f"integrated gradients of {model}, {b} baseline, per-base sum")
            for b in baselines]


class _ScoreWorker(RegionWorker):
    """A region worker whose method reads one score per sequence from the model."""

    @staticmethod
    def score_function(plan: ig.Plan) -> Callable[[torch.Tensor], torch.Tensor]:
        """``f(x) -> (N,)``: the explained score of the plan's model, as IG explains it (the
        target class, the SpliceAI ``--site`` or the region's summed output)."""
        site = (None if plan.sites is None else
                torch.tensor([plan.sites], device=torch.device(plan.args.device)))

        def score(x: torch.Tensor) -> torch.Tensor:
            extra = None if site is None else site.expand(x.shape[0], -1)
            return ig._model_score(plan, x, extra)

        return score

    def input_of(self, plan: ig.Plan) -> torch.Tensor:
        """The region's model input, (1, 4, L_input) or (1, L_input, 4) per ``--layout``."""
        return one_hot([plan.texts[0]], layout=self.args.layout, n_policy=self.args.n_policy,
                       unknown="n", device=self.device)

    def write(self, task: RegionTask, plan: ig.Plan, x: torch.Tensor, key: str,
              values: np.ndarray, track: MergedTrack) -> tuple[list[Path], np.ndarray]:
        """Write ``regions/<id>.npz`` (``one_hot_0`` and ``<key>_0`` = ``values``) and the
        region's bedGraph ``regions/<id>.<key>.bedgraph``; returns their paths and the
        region's per-base track."""
        region = task.region
        x = to_ncl(x, self.args.layout)[0].cpu().numpy()
        folder = self.output_dir / REGION_FOLDER
        arrays = folder / f"{task.region_id}.npz"
        save_region_arrays(arrays, region, region.name, plan.flank, one_hot_0=x,
                           **{f"{key}_0": values})
        flank = plan.flank
        per_base = track.per_base(values, x)[flank:flank + len(region)]
        bedgraph = folder / f"{task.region_id}.{key}.bedgraph"
        write_bedgraph(bedgraph, [RegionTrack(region.chrom, region.start, region.end,
                                              "-" if region.strand == "-" else "+", per_base,
                                              region.name)],
                       name=f"{track.name} {region.name}")
        return [arrays, bedgraph], per_base


class ISMWorker(_ScoreWorker):
    """Exact in-silico mutagenesis of each region's bases (the plain batched path,
    ``--batch-size`` mutants per model call); outputs in the module docstring."""

    def _explain(self, task: RegionTask) -> tuple[dict[str, str], list[list]]:
        from captum_genomics.attr.ism import InSilicoMutagenesis

        plan = self.plan(task)
        score = self.score_function(plan)
        x = self.input_of(plan)
        explainer = InSilicoMutagenesis(score, layout=self.args.layout)
        with torch.jit.optimized_execution(False):
            effects = explainer.attribute(x, perturbations_per_eval=self.args.batch_size,
                                          positions=(plan.flank, plan.flank + len(task.region)))
            reference = float(score(x)[0])
        effects = to_ncl(effects, self.args.layout)[0].cpu().numpy()
        paths, per_base = self.write(task, plan, x, "ism", effects,
                                     merged_tracks("ism", [], self.args.model)[0])
        region = task.region
        row = [region.chrom, region.start, region.end, region.strand, region.name, reference,
               float(per_base.sum()), float(np.abs(effects).max())]
        return self.checksums(paths), [row]


class GGGPWorker(_ScoreWorker):
    """A GGGP local dataset around each region's sequence (``--evaluations``,
    ``--population``, ``--score-range``, seeded with the region's seed) and its lasso
    surrogate (features of ``--feature-width`` bases); outputs in the module docstring."""

    def _explain(self, task: RegionTask) -> tuple[dict[str, str], list[list]]:
        from captum_genomics.attr.gggp import GGGPPerturbationExplainer
        from captum_genomics.gggp.search import SearchSettings

        plan = self.plan(task)
        x = self.input_of(plan)
        settings = SearchSettings(population_size=self.args.population,
                                  max_evaluations=self.args.evaluations,
                                  score_range=tuple(self.args.score_range),
                                  batch_size=self.args.batch_size)
        explainer = GGGPPerturbationExplainer(
            self.score_function(plan), settings=settings, feature_width=self.args.feature_width,
            layout=self.args.layout, model_name=self.args.model, n_value=self.args.n_policy)
        with torch.jit.optimized_execution(False):
            dataset = explainer.generate(x, seed=task.seed)
        if len(dataset) < 2:
            raise ValueError(f"the search archived {len(dataset)} sequences; raise --evaluations")
        fit = explainer.fit_surrogate(dataset, seed=task.seed)
        x_ncl = to_ncl(x, self.args.layout)[0].cpu().numpy()
        attributions = (x_ncl == 1) * fit.per_position()[None, :]
        paths, per_base = self.write(task, plan, x, "gggp", attributions,
                                     merged_tracks("gggp", [], self.args.model)[0])
        table = self.output_dir / REGION_FOLDER / f"{task.region_id}.dataset.tsv"
        dataset.to_tsv(table)
        region = task.region
        row = [region.chrom, region.start, region.end, region.strand, region.name,
               float(dataset.provenance["original_score"]), len(dataset), fit.fidelity["r2"],
               fit.fidelity["spearman"], float(per_base.sum())]
        return self.checksums([*paths, table]), [row]


def worker_class(options: dict) -> type[BatchWorker]:
    """The worker class of a run's options: its ``--method``'s, or ``--exons``'s."""
    method = options["method"]
    if options.get("exons") is not None:
        from captum_genomics.batch.exons import ExonWorker

        return ExonWorker
    if method == "spliceai":
        from captum_genomics.batch.vcf import VCFChunkWorker

        return VCFChunkWorker
    return {"ig": RegionWorker, "ism": ISMWorker, "gggp": GGGPWorker}[method]
