"""Which bases make a variant matter: integrated gradients of a SpliceAI delta score.

For one variant, gene and kind (acceptor/donor gain/loss) the delta score is a difference of
one site's output between two sequences, ``F(x_alt) - F(x_ref)`` (signed so that a loss is
positive). Two attributions suggest themselves:

* IG along the straight path from ``x_ref`` to ``x_alt``: ``x_alt - x_ref`` is zero except at
  the variant, so completeness puts the whole score on the variant's own bases. True, and
  uninformative.
* :func:`explain_delta` (this module): the difference of two ordinary attributions against
  one common reference, ``IG(x_alt) - IG(x_ref)``, each computed by
  :class:`~captum_genomics.attr.GenomicIntegratedGradients` with the uniform (0.25) baseline
  for the site's probability (a :func:`~captum_genomics.splicing.score_splice_sites` head).
  Both baselines are the same all-0.25 window, so ``F(baseline)`` cancels and completeness
  reads ``sum(attributions) = F(x_alt) - F(x_ref)``: the delta score is shared among the bases
  of the window, and a base scores where it is used differently with the ALT allele than with
  the REF (the motif a gain completes, the branch point a loss no longer needs...).
  (A dinucleotide-shuffle baseline would differ between REF and ALT and break that
  identity, so it is not offered.)

The ALT attribution is aligned to reference coordinates as the delta tracks are: the
attribution of an inserted base is added to the REF base before it (ALT base ``k`` of the
variant goes to REF base ``min(k, len(REF) - 1)``), a deleted base gets only its REF
attribution; sums, and so completeness, are kept. A site on a deleted base has no ALT output
(upstream counts it 0), hence no ALT gradient: its ALT term is ``-F(baseline)``, shared by the
deleted REF bases (they took the site away), which keeps ``sum = delta`` there too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from captum_genomics.variants.annotation import GeneTable
from captum_genomics.variants.delta import _device_of, _encode, _predict
from captum_genomics.variants.haplotype import (
    Variant,
    _aligned,
    _checked,
    _model_context,
    _scores,
    _window,
)

__all__ = ["DELTA_KINDS", "DeltaAttribution", "explain_delta"]

#: Kind of delta score -> (output channel, sign): gains are ALT - REF, losses REF - ALT.
DELTA_KINDS = {"AG": (1, 1.0), "AL": (1, -1.0), "DG": (2, 1.0), "DL": (2, -1.0)}


@dataclass(frozen=True)
class DeltaAttribution:
    """Attribution of one delta score to the bases of the reference window.

    Attributes
    ----------
    attributions : torch.Tensor, shape (1, 4, L)
        ``sign * (IG(x_alt) - IG(x_ref))`` on the REF window (genome orientation, channels
        A, C, G, T), ``L = context + 2 * distance + 1``; sums to ``delta`` up to
        ``convergence_delta``.
    ref_attributions, alt_attributions : torch.Tensor, shape (1, 4, L)
        The two terms (ALT aligned to REF coordinates), unsigned.
    start : int
        1-based genome position of column 0 (the variant is column ``L // 2``).
    gene, kind : str
        Gene name and ``"AG"``, ``"AL"``, ``"DG"`` or ``"DL"``.
    offset : int
        Offset of the explained site from the variant.
    ref_score, alt_score : float
        The site's probability with each allele (ALT 0 at a deleted base, as upstream).
    delta : float
        ``sign * (alt_score - ref_score)``: the unmasked delta score when ``offset`` is the
        score's position.
    convergence_delta : float
        ``attributions.sum() - delta`` (the integration error).
    """

    attributions: torch.Tensor
    ref_attributions: torch.Tensor
    alt_attributions: torch.Tensor
    start: int
    gene: str
    kind: str
    offset: int
    ref_score: float
    alt_score: float
    delta: float
    convergence_delta: float


def _site_ig(model, text: str, strand: str, site: int, channel: int, dtype, device,
             n_steps: int, method, internal_batch_size) -> tuple[torch.Tensor, float, float]:
    """IG (1, 4, L) in genome orientation of one site's probability, the probability and the
    probability of the uniform baseline."""
    from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients
    from captum_genomics.splicing.heads import score_splice_sites

    x = torch.from_numpy(np.ascontiguousarray(_encode(text)))[None].to(device, dtype)
    length = x.shape[-1]

    def site_probability(batch: torch.Tensor) -> torch.Tensor:
        if strand == "-":
            return score_splice_sites(model, batch.flip(1, 2), [length - 1 - site], channel)
        return score_splice_sites(model, batch, [site], channel)

    with torch.no_grad():
        score, baseline = site_probability(torch.cat([x, torch.full_like(x, 0.25)]))[:, 0]
    ig = GenomicIntegratedGradients(site_probability)
    attributions = ig.attribute(x, baselines="uniform", target=0, n_steps=n_steps,
                                method=method, internal_batch_size=internal_batch_size)
    return attributions.detach(), float(score), float(baseline)


def explain_delta(model, fasta, variant: Variant, annotation: GeneTable, kind: str,
                  gene: str | None = None, offset: int | None = None, distance: int = 50,
                  n_steps: int = 50, method: str | None = None,
                  internal_batch_size: int | None = None, device=None) -> DeltaAttribution:
    """Attribute one delta score of a variant to the bases of its window (module notes).

    Parameters
    ----------
    model : torch.nn.Module
        SpliceAI-like, (N, 4, L + context) -> (N, 3, L) probabilities, with ``context``.
    fasta : str, os.PathLike or pyfaidx.Fasta
    variant : Variant
        An SNV, MNP or indel (not symbolic).
    annotation : GeneTable
    kind : {"AG", "AL", "DG", "DL"}
    gene : str, optional
        Which overlapping gene (default: the first in table order).
    offset : int, optional
        Site to explain, as an offset from the variant in ``-distance .. distance``; default
        the delta score's own position (DP_AG... for ``kind``).
    distance : int, default 50
        Upstream ``-D``.
    n_steps, method, internal_batch_size
        Of :meth:`GenomicIntegratedGradients.attribute`.
    device : torch.device or str, optional
        Default the model's.

    Returns
    -------
    DeltaAttribution

    Raises
    ------
    ValueError
        For an unknown kind or gene, an offset out of range, or a variant that cannot be
        applied (see :func:`~captum_genomics.variants.haplotype_scores`).
    """
    from captum_genomics.dna.fasta import _open_fasta

    if kind not in DELTA_KINDS:
        raise ValueError(f"kind must be one of {sorted(DELTA_KINDS)}, got {kind!r}")
    channel, sign = DELTA_KINDS[kind]
    context = _model_context(model)
    device = _device_of(model, device)
    (variant,) = _checked([variant])
    genes = annotation.overlapping(variant.chrom, variant.pos)
    names = [str(annotation.names[g]) for g in genes]
    if not names or (gene is not None and gene not in names):
        raise ValueError(f"{variant} lies in no gene{'' if gene is None else ' ' + gene} "
                         f"(overlapping: {', '.join(names) or 'none'})")
    index = genes[names.index(gene) if gene is not None else 0]
    handle, owned = _open_fasta(fasta)
    try:
        window = _window(handle, [variant], index, annotation, distance, context)
    finally:
        if owned:
            handle.close()
    y_ref, y_alt = _predict(model, [(window.ref_text, window.strand),
                                    (window.alt_text, window.strand)], 2, device, context)
    if offset is None:
        _, positions = _scores(y_ref, _aligned(y_alt, window, context), distance,
                               window.boundary, False)
        offset = positions[list(DELTA_KINDS).index(kind)]
    elif not -distance <= offset <= distance:
        raise ValueError(f"offset must lie in -{distance}..{distance}, got {offset}")
    half = context // 2 + distance
    site = half + offset  # in the REF window
    dtype = next(model.parameters()).dtype
    ig_args = (channel, dtype, device, n_steps, method, internal_batch_size)
    ref_attr, ref_score, baseline = _site_ig(model, window.ref_text, window.strand, site,
                                             *ig_args)
    alt_attr = torch.zeros_like(ref_attr)
    alt_score = 0.0
    candidates = np.flatnonzero(window.alt_to_ref == site)
    if len(candidates):  # an inserted site: the ALT base with the largest output, as upstream
        alt_site = int(candidates[np.argmax(y_alt[candidates - context // 2, channel])])
        raw, alt_score, _ = _site_ig(model, window.alt_text, window.strand, alt_site, *ig_args)
        mapping = torch.from_numpy(window.alt_to_ref).to(device)
        alt_attr.index_add_(2, mapping, raw)
    else:  # a deleted site: its ALT output is upstream's 0, -baseline from the deleted bases
        deleted = np.setdiff1d(np.arange(half, half + len(variant.ref)), window.alt_to_ref)
        columns = torch.from_numpy(_encode(window.ref_text[half:half + len(variant.ref)]))
        columns = columns[:, deleted - half].to(device, alt_attr.dtype)
        columns[:, columns.sum(0) == 0] = 0.25  # N: all four channels
        alt_attr[0, :, deleted] = -baseline * columns / columns.sum()
    attributions = sign * (alt_attr - ref_attr)
    delta = sign * (alt_score - ref_score)
    return DeltaAttribution(attributions, ref_attr, alt_attr, window.first,
                            names[list(genes).index(index)], kind, int(offset), ref_score,
                            alt_score, delta, float(attributions.sum()) - delta)
