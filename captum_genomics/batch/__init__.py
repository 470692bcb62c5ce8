"""Explain many genome regions, resumably, on one machine or a Ray cluster.

:mod:`~captum_genomics.batch.plan` gives every region an id and a seed derived from the run
seed and the region (so any engine, worker count or resumed run gives identical arrays);
:mod:`~captum_genomics.batch.manifest` records each region's status, error and output
checksums; :mod:`~captum_genomics.batch.worker` explains one region with a model loaded once
per worker (integrated gradients; :mod:`~captum_genomics.batch.methods`: ISM and GGGP;
:mod:`~captum_genomics.batch.exons`: GGGP of the SpliceAI exons of an exon table;
:mod:`~captum_genomics.batch.vcf`: SpliceAI scores of chunks of VCF records);
:mod:`~captum_genomics.batch.engines` runs the workers (``local``: in process or a process
pool; ``ray``: one actor per worker); :mod:`~captum_genomics.batch.runner` ties them together
and merges the per-region outputs. The command line is ``captum-genomics batch``.
"""

from captum_genomics.batch.manifest import Manifest
from captum_genomics.batch.plan import RegionTask, plan_regions, region_key, region_seed
from captum_genomics.batch.runner import BatchSummary, run_batch

__all__ = ["BatchSummary", "Manifest", "RegionTask", "plan_regions", "region_key", "region_seed",
           "run_batch"]
