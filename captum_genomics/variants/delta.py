"""SpliceAI delta scores of SNVs, MNPs and indels, defined exactly as SpliceAI 1.3.1 does.

For a variant at 1-based ``pos`` and each gene whose transcript covers it, the reference
window ``pos - 5000 - D .. pos + 5000 + D`` (D = ``distance``) is read, bases outside the
transcript are replaced by N, the ALT allele is spliced in, both sequences are scored
(reverse-complemented for minus-strand genes, outputs flipped back), and the 2D + 1 positions
around the variant give the four delta scores: acceptor gain / loss and donor gain / loss,
with their offsets from the variant. A deletion's alt track gets zeros where the deleted
bases were; an insertion's inserted positions are collapsed to their maximum. Records whose
REF and ALT both have more than one base get ``.`` scores (as upstream, which scores only
SNVs, simple insertions and simple deletions).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from captum_genomics.variants._incremental import ModelInput, predict_incremental, supports
from captum_genomics.variants.annotation import GeneTable, normalise_chrom

__all__ = ["DeltaScore", "ENGINES", "delta_scores", "score_records", "INFO_FORMAT"]

LOGGER = logging.getLogger("captum_genomics.variants")

#: Layout of one entry of the ``SpliceAI`` INFO field.
INFO_FORMAT = "ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL"
#: Flank of SpliceAI-10k on both sides together.
_CONTEXT = 10000


def _upstream_code_table() -> np.ndarray:
    # Upstream one-hot: A, C, G, T, N after upper-casing; any other byte b goes to row b % 5
    # of [N, A, C, G, T] (an artefact of its encoder, kept so that IUPAC letters score alike).
    rows = np.asarray([[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
                      dtype=np.float32)
    index = np.asarray([np.int8(np.uint8(b)) % 5 for b in range(256)], dtype=np.int64)
    for letter, row in zip("NACGT", range(5)):
        index[ord(letter)] = index[ord(letter.lower())] = row
    for b in range(ord("a"), ord("z") + 1):
        if chr(b) not in "nacgt":
            index[b] = index[b - 32]
    return rows[index]


_ONE_HOT = _upstream_code_table()


def _encode(text: str) -> np.ndarray:
    """Upstream's one-hot of ``text``, shape (4, L)."""
    return _ONE_HOT[np.frombuffer(text.encode("latin-1", "replace"), dtype=np.uint8)].T


@dataclass(frozen=True)
class DeltaScore:
    """Delta scores of one ALT allele in one gene.

    Attributes
    ----------
    allele, gene : str
    scores : tuple of 4 float, or None
        DS_AG, DS_AL, DS_DG, DS_DL (after ``mask``); None for REF and ALT both longer
        than one base, which upstream does not score.
    positions : tuple of 4 int, or None
        DP_AG, DP_AL, DP_DG, DP_DL: offsets of the sites from the variant.
    tracks : numpy.ndarray or None, shape (2, 2 * distance + 1, 3)
        The REF and ALT outputs (neither, acceptor, donor) at offsets ``-distance ..
        distance`` from the variant, the ALT one aligned as the scores are (zeros at deleted
        bases, inserted bases collapsed to their maximum); None where ``scores`` is None.
        Not compared by ``==``.
    """

    allele: str
    gene: str
    scores: tuple | None
    positions: tuple | None
    tracks: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def info(self) -> str:
        """The entry of the ``SpliceAI`` INFO field, formatted as upstream (``{:.2f}``)."""
        if self.scores is None:
            return f"{self.allele}|{self.gene}|.|.|.|.|.|.|.|."
        scores = "|".join(f"{s:.2f}" for s in self.scores)
        return f"{self.allele}|{self.gene}|{scores}|" + "|".join(map(str, self.positions))


@dataclass
class _Job:
    """One (ALT, gene) comparison of a record: indices of its ref and alt inputs."""

    allele: str
    gene: str
    ref_input: int | None = None
    alt_input: int | None = None
    strand: str = "+"
    ref_len: int = 1
    alt_len: int = 1
    boundary: int = 0


def _skip(reason: str, chrom, pos, ref, alts) -> list:
    LOGGER.warning("Skipping record (%s): %s %s %s %s", reason, chrom, pos, ref, alts)
    return []


def _plan(fasta, chrom, pos, ref, alts, annotation: GeneTable, distance: int,
          inputs: list) -> list:
    """The jobs of one record, appending its one-hot inputs (4, L) to ``inputs``."""
    if chrom is None or pos is None or ref is None or alts is None:
        return _skip("bad input", chrom, pos, ref, alts)
    genes = annotation.overlapping(chrom, pos)
    if not len(genes):
        return []
    half = _CONTEXT // 2 + distance
    width = 2 * half + 1
    contig = normalise_chrom(chrom, next(iter(fasta.keys())))
    if contig not in fasta.keys():
        return _skip("fasta issue", chrom, pos, ref, alts)
    first = pos - half  # 1-based
    seq = ""
    if first >= 1:
        last = min(pos + half, len(fasta[contig]))
        seq = str(fasta.faidx.fetch(contig, first, last)) if last >= first else ""
    if seq[half:half + len(ref)].upper() != ref:
        return _skip("ref issue", chrom, pos, ref, alts)
    if len(seq) != width:
        return _skip("near chromosome end", chrom, pos, ref, alts)
    if len(ref) > 2 * distance:
        return _skip("ref too long", chrom, pos, ref, alts)
    jobs = []
    refs = {}
    for alt in alts:
        for gene in genes:
            name = str(annotation.names[gene])
            if any(c in alt for c in ".-*<>"):
                continue
            if len(ref) > 1 and len(alt) > 1:
                jobs.append(_Job(alt, name))
                continue
            to_start, to_end, boundary = annotation.distances(gene, pos)
            strand = str(annotation.strands[gene])
            pad_left, pad_right = max(half + to_start, 0), max(half - to_end, 0)
            x_ref = "N" * pad_left + seq[pad_left:width - pad_right] + "N" * pad_right
            x_alt = x_ref[:half] + alt + x_ref[half + len(ref):]
            if gene not in refs:
                refs[gene] = len(inputs)
                inputs.append(ModelInput(x_ref, strand, first, (contig, int(gene))))
            inputs.append(ModelInput(x_alt, strand, first, (contig, int(gene)), refs[gene],
                                     half, len(ref), alt))
            jobs.append(_Job(alt, name, refs[gene], len(inputs) - 1, strand, len(ref), len(alt),
                             boundary))
    return jobs


def _predict(model, inputs: Sequence[tuple[str, str]], batch_size: int,
             device, context: int = _CONTEXT) -> list[np.ndarray]:
    """Model outputs (L_i - context, 3) of each (text, strand) input by full forward passes,
    float32."""
    outputs = []
    dtype = next(model.parameters()).dtype
    for start in range(0, len(inputs), batch_size):
        chunk = inputs[start:start + batch_size]
        longest = max(len(text) for text, _ in chunk)
        # Valid convolutions: columns appended on the right only add output positions.
        batch = np.zeros((len(chunk), 4, longest), dtype=np.float32)
        for row, (text, strand) in enumerate(chunk):
            one_hot = _encode(text)
            batch[row, :, :one_hot.shape[1]] = one_hot[::-1, ::-1] if strand == "-" else one_hot
        with torch.no_grad():
            x = torch.from_numpy(batch).to(device=device, dtype=dtype)
            probs = model(x).float().cpu().numpy()
        for row, (text, strand) in enumerate(chunk):
            y = probs[row, :, :len(text) - context].T
            outputs.append(np.ascontiguousarray(y[::-1] if strand == "-" else y))
    return outputs


def _finish(job: _Job, outputs: list[np.ndarray], distance: int, mask: bool) -> DeltaScore:
    if job.ref_input is None:
        return DeltaScore(job.allele, job.gene, None, None)
    centre = distance
    y_ref, y_alt = outputs[job.ref_input], outputs[job.alt_input]
    if job.ref_len > 1 and job.alt_len == 1:
        gap = np.zeros((job.ref_len - job.alt_len, 3))
        y_alt = np.concatenate([y_alt[:centre + 1], gap, y_alt[centre + 1:]])
        y_ref = y_ref.astype(np.float64)
    elif job.ref_len == 1 and job.alt_len > 1:
        inserted = y_alt[centre:centre + job.alt_len].max(axis=0, keepdims=True)
        y_alt = np.concatenate([y_alt[:centre], inserted, y_alt[centre + job.alt_len:]])
    scores, positions = [], []
    # (channel, gain?) for acceptor gain, acceptor loss, donor gain, donor loss; a gain at an
    # annotated boundary or a loss away from one is masked.
    for channel, gain in ((1, True), (1, False), (2, True), (2, False)):
        change = (y_alt[:, channel] - y_ref[:, channel]) * (1 if gain else -1)
        index = int(change.argmax())
        at_boundary = index - centre == job.boundary
        masked = mask and (at_boundary if gain else not at_boundary)
        scores.append(change[index] * (1 - int(masked)))
        positions.append(index - centre)
    tracks = np.stack([y_ref, y_alt]).astype(np.float32)
    return DeltaScore(job.allele, job.gene, tuple(scores), tuple(positions), tracks)


#: Engines of :func:`score_records`; "auto" is "incremental" where the model allows it.
ENGINES = ("auto", "incremental", "plain")
#: Model inputs gathered before the incremental engine runs (more share more reference work).
_INCREMENTAL_FLUSH = 1024


def _resolve_engine(engine: str, model) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "auto":
        return "incremental" if supports(model) else "plain"
    if engine == "incremental" and not supports(model):
        raise ValueError(
            "engine='incremental' needs a captum_genomics SpliceAI-10k or SpliceAIEnsemble "
            f"(its layers are read to find the cones); got {type(model).__name__}"
        )
    return engine


def _check(distance: int, batch_size: int) -> None:
    if isinstance(distance, bool) or not isinstance(distance, (int, np.integer)) or distance < 0:
        raise ValueError(f"distance must be an integer >= 0, got {distance!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")


def _device_of(model, device):
    if device is not None:
        return torch.device(device)
    return next(model.parameters()).device


def score_records(model, fasta, records: Iterable, annotation: GeneTable, distance: int = 50,
                  mask: bool = False, batch_size: int = 16, device=None,
                  engine: str = "auto") -> Iterator[tuple[object, list[DeltaScore]]]:
    """Delta scores of many records, batched across records, in input order.

    Parameters
    ----------
    model : torch.nn.Module
        SpliceAI-10k (one model or an ensemble) mapping (N, 4, L + 10000) to (N, 3, L).
    fasta : pyfaidx.Fasta
        The reference, opened with ``as_raw=True`` (see ``captum_genomics.dna.fasta``).
    records : iterable
        Objects with ``chrom``, ``pos`` (1-based), ``ref`` and ``alts`` attributes (e.g.
        ``pysam.VariantRecord``).
    annotation : GeneTable
    distance, mask, batch_size, device, engine
        As :func:`delta_scores`; ``batch_size`` counts model inputs (sequences).

    Yields
    ------
    (record, list of DeltaScore)
        Each record with its scores, one per (ALT, gene); empty when not scored.
    """
    _check(distance, batch_size)
    engine = _resolve_engine(engine, model)
    device = _device_of(model, device)
    flush_at = batch_size if engine == "plain" else max(batch_size, _INCREMENTAL_FLUSH)
    pending, inputs = [], []

    def flush():
        if engine == "plain":
            outputs = _predict(model, [(i.text, i.strand) for i in inputs], batch_size, device)
        else:
            outputs = predict_incremental(model, inputs, _ONE_HOT, batch_size)
        for record, jobs in pending:
            yield record, [_finish(job, outputs, distance, mask) for job in jobs]
        pending.clear()
        inputs.clear()

    for record in records:
        alts = record.alts
        pending.append((record, _plan(fasta, record.chrom, record.pos, record.ref,
                                      list(alts) if alts is not None else None, annotation,
                                      distance, inputs)))
        if len(inputs) >= flush_at:
            yield from flush()
    yield from flush()


@dataclass(frozen=True)
class _Record:
    chrom: str
    pos: int
    ref: str
    alts: tuple


def delta_scores(model, fasta, chrom: str, pos: int, ref: str, alts: str | Sequence[str],
                 annotation: GeneTable, distance: int = 50, mask: bool = False,
                 batch_size: int = 16, device=None, engine: str = "auto") -> list[DeltaScore]:
    """SpliceAI delta scores of one VCF record, per ALT allele and overlapping gene.

    Parameters
    ----------
    model : torch.nn.Module
        SpliceAI-10k mapping (N, 4, L + 10000) to probabilities (N, 3, L), e.g.
        ``captum_genomics.models.load_spliceai("spliceai")`` (the 5-model ensemble).
    fasta : str, os.PathLike or pyfaidx.Fasta
        The reference genome.
    chrom : str
        Chromosome, with or without ``chr`` whatever the FASTA and table use.
    pos : int
        1-based position of the first REF base.
    ref : str
        REF allele as in the VCF (compared case-sensitively with the upper-cased reference).
    alts : str or sequence of str
        ALT alleles; symbolic (``<DEL>``), ``*``, ``.`` and ``-`` ones are skipped.
    annotation : GeneTable
        From :func:`~captum_genomics.variants.read_gene_table`.
    distance : int, default 50
        Largest offset of a gained or lost site from the variant (upstream ``-D``).
    mask : bool, default False
        Zero acceptor/donor gains at annotated boundaries and losses elsewhere (``-M 1``).
    batch_size : int, default 16
        Sequences per forward pass (the record's REF windows and all ALTs are batched).
    device : torch.device or str, optional
        Where to run; default the model's device.
    engine : {"auto", "incremental", "plain"}, default "auto"
        ``"plain"`` runs every REF and ALT window through the model (any model).
        ``"incremental"`` (a captum_genomics SpliceAI-10k or ensemble only) pastes nearby REF
        windows of a gene into one reference, caches its activations once
        (:class:`~captum_genomics.splicing.IncrementalSpliceAI`) and rescores each ALT
        (SNV, insertion or deletion) on its cone only; its outputs equal the plain ones up to
        float rounding (about 1e-7), so the formatted scores are the same but for a score
        within that of a rounding tie. ``"auto"`` picks ``"incremental"`` when the model
        allows it. There ``batch_size`` counts REF/ALT windows per incremental call (at
        least 64).

    Returns
    -------
    list of DeltaScore
        ALT-major, genes in table order, as upstream orders the INFO entries; empty when the
        record is outside every gene or is skipped (REF mismatch, too near a chromosome end,
        REF longer than 2 * distance), which is logged as a warning.
    """
    from captum_genomics.dna.fasta import _open_fasta

    handle, owned = _open_fasta(fasta)
    try:
        alts = (alts,) if isinstance(alts, str) else tuple(alts)
        record = _Record(chrom, pos, ref, alts)
        ((_, scores),) = score_records(model, handle, [record], annotation, distance, mask,
                                       batch_size, device, engine)
        return scores
    finally:
        if owned:
            handle.close()
