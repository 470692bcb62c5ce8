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

:func:`~captum_genomics.variants.explain_deltas` runs this for every delta score above a
cut-off, batching the IG calls (:mod:`captum_genomics.variants.explain_batch`).
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
    _Window,
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
    variant : Variant or None
        The explained variant.
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
    variant: Variant | None = None


@dataclass(frozen=True)
class _Item:
    """One delta score to explain: its windows, REF site and ALT site (None: deleted)."""

    variant: Variant
    gene: str
    kind: str
    offset: int
    window: _Window
    site: int
    alt_site: int | None


def _predicted(model, windows: list[_Window], batch_size: int, device,
               context: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """REF output (M, 3) and raw ALT output (M_alt, 3) of each window, M = len(REF) - context."""
    inputs = [(text, w.strand) for w in windows for text in (w.ref_text, w.alt_text)]
    outputs = _predict(model, inputs, batch_size, device, context)
    return [(outputs[2 * i].astype(np.float64), outputs[2 * i + 1]) for i in range(len(windows))]


def _item(variant: Variant, gene: str, kind: str, offset: int, window: _Window,
          y_alt: np.ndarray, distance: int, context: int) -> _Item:
    site = context // 2 + distance + offset  # in the REF window
    candidates = np.flatnonzero(window.alt_to_ref == site)
    alt_site = None
    if len(candidates):  # an inserted site: the ALT base with the largest output, as upstream
        outputs = y_alt[candidates - context // 2, DELTA_KINDS[kind][0]]
        alt_site = int(candidates[np.argmax(outputs)])
    return _Item(variant, gene, kind, int(offset), window, site, alt_site)


def _sites_ig(model, texts: list[str], strands: list[str], sites: list[int],
              channels: list[int], n_steps: int, method, internal_batch_size,
              device) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """IG (N, 4, L) in genome orientation of each equal-length window's site probability
    (its own site, strand and channel), the probabilities and those of the uniform baseline."""
    from captum_genomics.attr.integrated_gradients import GenomicIntegratedGradients
    from captum_genomics.splicing.heads import score_splice_sites

    dtype = next(model.parameters()).dtype
    x = torch.from_numpy(np.stack([_encode(text) for text in texts])).to(device, dtype)
    length = x.shape[-1]
    flips = torch.tensor([strand == "-" for strand in strands], device=device)
    model_sites = torch.tensor([[length - 1 - s if strand == "-" else s]
                                for s, strand in zip(sites, strands)], device=device)
    targets = torch.tensor([channel - 1 for channel in channels], device=device)

    def site_probabilities(batch: torch.Tensor, at: torch.Tensor,
                           flip: torch.Tensor) -> torch.Tensor:
        batch = torch.where(flip[:, None, None], batch.flip(1, 2), batch)
        return score_splice_sites(model, batch, at.expand(-1, 2), ("acceptor", "donor"))

    with torch.no_grad():
        both = site_probabilities(torch.cat([x, torch.full_like(x, 0.25)]),
                                  model_sites.repeat(2, 1), flips.repeat(2))
        picked = both.gather(1, targets.repeat(2)[:, None])[:, 0].double().cpu().numpy()
    ig = GenomicIntegratedGradients(site_probabilities)
    attributions = ig.attribute(x, baselines="uniform", target=targets,
                                additional_forward_args=(model_sites, flips), n_steps=n_steps,
                                method=method, internal_batch_size=internal_batch_size)
    return attributions.detach(), picked[:len(texts)], picked[len(texts):]


def _attribute(model, items: list[_Item], n_steps: int, method, internal_batch_size,
               windows_per_call: int, device) -> list[DeltaAttribution]:
    """The attributions of ``items``, their IG runs batched over equal-length windows."""
    jobs = [(number, True, item.window.ref_text, item.site) for number, item in enumerate(items)]
    jobs += [(number, False, item.window.alt_text, item.alt_site)
             for number, item in enumerate(items) if item.alt_site is not None]
    by_length: dict[int, list] = {}
    for job in jobs:
        by_length.setdefault(len(job[2]), []).append(job)
    done = {}
    for group in by_length.values():
        for start in range(0, len(group), windows_per_call):
            chunk = group[start:start + windows_per_call]
            chosen = [items[number] for number, *_ in chunk]
            attributions, scores, baselines = _sites_ig(
                model, [text for _, _, text, _ in chunk], [i.window.strand for i in chosen],
                [site for *_, site in chunk], [DELTA_KINDS[i.kind][0] for i in chosen],
                n_steps, method, internal_batch_size, device)
            for row, (number, is_ref, _, _) in enumerate(chunk):
                done[number, is_ref] = (attributions[row:row + 1], float(scores[row]),
                                        float(baselines[row]))
    return [_combine(item, done[number, True], done.get((number, False)))
            for number, item in enumerate(items)]


def _combine(item: _Item, ref: tuple, alt: tuple | None) -> DeltaAttribution:
    """One item's attribution from its REF and ALT IG (module notes)."""
    ref_attr, ref_score, baseline = ref
    sign = DELTA_KINDS[item.kind][1]
    window = item.window
    alt_attr = torch.zeros_like(ref_attr)
    alt_score = 0.0
    if alt is not None:
        raw, alt_score, _ = alt
        alt_attr.index_add_(2, torch.from_numpy(window.alt_to_ref).to(raw.device), raw)
    else:  # a deleted site: its ALT output is upstream's 0, -baseline from the deleted bases
        half = item.site - item.offset
        length = len(item.variant.ref)
        deleted = np.setdiff1d(np.arange(half, half + length), window.alt_to_ref)
        columns = torch.from_numpy(_encode(window.ref_text[half:half + length]))
        columns = columns[:, deleted - half].to(alt_attr.device, alt_attr.dtype)
        columns[:, columns.sum(0) == 0] = 0.25  # N: all four channels
        alt_attr[0, :, deleted] = -baseline * columns / columns.sum()
    attributions = sign * (alt_attr - ref_attr)
    delta = sign * (alt_score - ref_score)
    return DeltaAttribution(attributions, ref_attr, alt_attr, window.first, item.gene,
                            item.kind, item.offset, ref_score, alt_score, delta,
                            float(attributions.sum()) - delta, item.variant)


def _check_kind(kind: str) -> None:
    if kind not in DELTA_KINDS:
        raise ValueError(f"kind must be one of {sorted(DELTA_KINDS)}, got {kind!r}")


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

    _check_kind(kind)
    context = _model_context(model)
    device = _device_of(model, device)
    (variant,) = _checked([variant])
    genes = annotation.overlapping(variant.chrom, variant.pos)
    names = [str(annotation.names[g]) for g in genes]
    if not names or (gene is not None and gene not in names):
        raise ValueError(f"{variant} lies in no gene{'' if gene is None else ' ' + gene} "
                         f"(overlapping: {', '.join(names) or 'none'})")
    chosen = names.index(gene) if gene is not None else 0
    handle, owned = _open_fasta(fasta)
    try:
        window = _window(handle, [variant], genes[chosen], annotation, distance, context)
    finally:
        if owned:
            handle.close()
    ((y_ref, y_alt),) = _predicted(model, [window], 2, device, context)
    if offset is None:
        _, positions = _scores(y_ref, _aligned(y_alt, window, context), distance,
                               window.boundary, False)
        offset = positions[list(DELTA_KINDS).index(kind)]
    elif not -distance <= offset <= distance:
        raise ValueError(f"offset must lie in -{distance}..{distance}, got {offset}")
    item = _item(variant, names[chosen], kind, offset, window, y_alt, distance, context)
    (result,) = _attribute(model, [item], n_steps, method, internal_batch_size, 1, device)
    return result
