"""The incremental engine of variant scoring (private): shared reference work, exact cones.

Every plain input of :mod:`captum_genomics.variants.delta` is a window of the gene-masked
genome (bases outside the transcript are N, in genome coordinates) around a variant, or that
window with the ALT spliced in. Windows of one gene that lie close together are pasted into one
reference, whose activations :class:`~captum_genomics.splicing.IncrementalSpliceAI` caches once;
each REF window's outputs are read from that cache and each ALT's are rescored on its cone
only. The outputs are those of the plain forward pass up to float rounding (about 1e-7).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from captum_genomics.dna.alphabet import CODE_N

if TYPE_CHECKING:
    from captum_genomics.splicing.incremental import EditGeometry

# The splicing engine is imported where it is used: importing captum_genomics (and with it
# this module, through captum_genomics.variants) must not load captum_genomics.splicing.

#: Fewest rows per incremental call (small calls are dominated by fixed costs).
MIN_ROWS = 64
#: REF windows whose starts lie within this many bases share one reference cache.
CLUSTER_SPAN = 8192


@dataclass
class ModelInput:
    """One model input of a (record, gene): a REF window or an ALT window.

    Attributes
    ----------
    text : str
        The window in genome orientation (REF: ``10001 + 2 * distance`` bases).
    strand : str
        ``"+"`` or ``"-"`` (minus: scored reverse-complemented).
    start : int
        Genome position of the window's first base.
    gene : tuple
        (contig, gene index): windows of one gene share the masking.
    ref_input : int or None
        For an ALT window, the index of its REF window; None for a REF window.
    offset, ref_len, alt : int, int, str
        For an ALT window: where REF starts in the window, its length, and the ALT bases.
    """

    text: str
    strand: str
    start: int
    gene: tuple
    ref_input: int | None = None
    offset: int = 0
    ref_len: int = 0
    alt: str = ""


def _code_table(one_hot_rows: np.ndarray) -> np.ndarray:
    """(256,) codes of the bytes whose one-hot rows are ``one_hot_rows`` (N: all zero)."""
    return np.where(one_hot_rows.any(axis=1), one_hot_rows.argmax(axis=1), CODE_N).astype(np.uint8)


def _complement(codes: np.ndarray) -> np.ndarray:
    return np.where(codes == CODE_N, CODE_N, 3 - codes.astype(np.int64)).astype(np.uint8)


class _Cluster:
    """One reference (pasted REF windows of one gene) and the rows scored against it."""

    def __init__(self, inputs: Sequence[ModelInput], refs: list[int], code_of: np.ndarray,
                 context: int):
        self.lo = min(inputs[i].start for i in refs)
        hi = max(inputs[i].start + len(inputs[i].text) for i in refs)
        buffer = bytearray(b"N" * (hi - self.lo))
        for i in refs:
            at = inputs[i].start - self.lo
            buffer[at:at + len(inputs[i].text)] = inputs[i].text.encode("latin-1", "replace")
        codes = code_of[np.frombuffer(bytes(buffer), dtype=np.uint8)]
        self.minus = inputs[refs[0]].strand == "-"
        self.length = codes.size
        self.reference = _complement(codes[::-1]) if self.minus else codes
        self.half = context // 2

    def row(self, item: ModelInput, ref: ModelInput | None, code_of: np.ndarray):
        """(sites, span) of one input: its output sites and (start, codes, delta) or None."""
        outputs = len(item.text) - 2 * self.half
        first = item.start - self.lo + self.half  # edited index of the first output
        sites = np.arange(first, first + outputs)
        if ref is None:
            return (self.length - 1 - sites if self.minus else sites), None
        delta = len(item.alt) - item.ref_len
        start = ref.start - self.lo + item.offset
        alt = code_of[np.frombuffer(item.alt.encode("latin-1", "replace"), dtype=np.uint8)]
        if self.minus:
            edited = self.length + delta
            return edited - 1 - sites, (self.length - start - item.ref_len,
                                        _complement(alt[::-1]), delta)
        return sites, (start, alt, delta)


def _geometry(rows: list) -> EditGeometry:
    """EditGeometry of rows ``(sites, span)``, each row's sites padded with its last one."""
    from captum_genomics.splicing._incremental_plan import FAR
    from captum_genomics.splicing.incremental import EditGeometry

    n = len(rows)
    width = 1 + max((span[0] + span[1].size for _, span in rows if span is not None), default=0)
    codes = torch.full((n, width), CODE_N, dtype=torch.uint8)
    starts = torch.full((n, 1), FAR, dtype=torch.long)
    ends, deltas = starts.clone(), torch.zeros((n, 1), dtype=torch.long)
    valid = torch.zeros((n, 1), dtype=torch.bool)
    count = max(sites.size for sites, _ in rows)
    sites = np.empty((n, count), dtype=np.int64)
    for r, (row_sites, span) in enumerate(rows):
        sites[r, :row_sites.size] = row_sites
        sites[r, row_sites.size:] = row_sites[-1]
        if span is not None:
            at, alt, delta = span
            codes[r, at:at + alt.size] = torch.from_numpy(alt)
            starts[r, 0], ends[r, 0], deltas[r, 0], valid[r, 0] = at, at + alt.size, delta, True
    return EditGeometry(codes, torch.from_numpy(sites), starts, ends, deltas, valid,
                        torch.zeros(n, dtype=torch.long))


def predict_incremental(model, inputs: Sequence[ModelInput], code_table: np.ndarray,
                        batch_size: int) -> list[np.ndarray]:
    """Model outputs of every input, as the plain forward pass gives them.

    Parameters
    ----------
    model : SpliceAI or SpliceAIEnsemble
        In eval mode.
    inputs : sequence of ModelInput
        REF windows and the ALT windows referring to them.
    code_table : numpy.ndarray, shape (256, 4)
        One-hot row of each byte (upstream's encoding).
    batch_size : int
        Rows (REF or ALT windows) per incremental call; at least :data:`MIN_ROWS`.

    Returns
    -------
    list of numpy.ndarray
        ``(len(text) - context, 3)`` float32 per input, in genome orientation.
    """
    from captum_genomics.splicing.incremental import IncrementalSpliceAI

    code_of = _code_table(code_table)
    context = spliceai_context(model)
    refs = sorted((i for i, item in enumerate(inputs) if item.ref_input is None),
                  key=lambda i: (inputs[i].gene, inputs[i].start))
    clusters: list[list[int]] = []
    for i in refs:
        last = clusters[-1] if clusters else None
        if last and inputs[last[0]].gene == inputs[i].gene \
                and inputs[i].start - inputs[last[0]].start <= CLUSTER_SPAN:
            last.append(i)
        else:
            clusters.append([i])
    members = defaultdict(list)
    for i, item in enumerate(inputs):
        members[item.ref_input if item.ref_input is not None else i].append(i)
    outputs: list[np.ndarray | None] = [None] * len(inputs)
    for cluster_refs in clusters:
        cluster = _Cluster(inputs, cluster_refs, code_of, context)
        engine = IncrementalSpliceAI(model, cluster.reference, dense=True)
        rows = []  # rows of different site counts go together, padded (see _geometry)
        for ref in cluster_refs:
            for i in members[ref]:
                item = inputs[i]
                rows.append((i, cluster.row(item, None if i == ref else inputs[ref], code_of)))
        geometry = _geometry([row for _, row in rows])
        engine.reserve(geometry)
        step = max(batch_size, MIN_ROWS)
        for begin in range(0, len(rows), step):
            chunk = rows[begin:begin + step]
            probs = engine.probabilities(geometry.take(torch.arange(begin, begin + len(chunk))))
            probs = probs.float().cpu().numpy()
            for (i, (sites, _)), p in zip(chunk, probs):
                outputs[i] = p[:sites.size]
    return outputs


def spliceai_context(model) -> int:
    """Context of a captum_genomics SpliceAI (ensemble); TypeError for other models."""
    from captum_genomics.splicing._incremental_plan import spliceai_members

    return int(spliceai_members(model)[0].context)


def supports(model) -> bool:
    """Whether ``model`` can be scored incrementally (a captum_genomics SpliceAI-10k)."""
    try:
        return spliceai_context(model) == 10000
    except TypeError:
        return False
