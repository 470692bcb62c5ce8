"""Exact incremental SpliceAI scoring of edited sequences.

An edited sequence differs from the reference in a few short spans.  SpliceAI is a stack of
convolutions, so an activation of layer ``l`` at position ``q`` depends only on the inputs within
the layer's forward radius ``F_l`` of ``q``; the network is translation-equivariant, so wherever
that neighbourhood equals the reference shifted by ``delta`` (the net indel length of the edits
before it), the activation equals the reference's at ``q - delta``.  :class:`IncrementalSpliceAI`
caches the reference's activations once and, for each edited sequence and each layer, recomputes
only the positions that both lie within ``F_l`` of an edited span (its forward cone) and feed a
requested output site (the site's backward cone), reading every other input from the cache.  The
result equals the full forward pass up to floating-point rounding.

Geometry.  Positions are input positions (:mod:`captum_genomics.splicing.sites`): indices into
the edited sequence; bases beyond either end are N (all-zero one-hot), as in SpliceAI's own
padding.  The backward cone follows the dilations: the
last residual units of SpliceAI-10k (dilation 25) feed a site only from positions on the lattice
``site + 25 Z``, the units before them from ``site + 5 Z``; the units whose lattice is dense are
computed once per sequence for all sites ("joint" layers), the others per (sequence, site)
("site" layers).  The edited spans of a sequence form, at each layer, clusters of overlapping
cones; every (sequence or site, cluster) whose cone meets the backward cone becomes one window.
The windows of a whole batch are laid end to end (or as rows of one width) and each layer is
one strided, dilated convolution over them; the inputs are gathered by index from the previous
layer's windows or from the reference cache (shifted by the indel offset of their side).
Activations are position-major ``(positions, 32)`` matrices, read by the convolutions as
channels-last batches without transposes.

Examples
--------
>>> engine = IncrementalSpliceAI(load_spliceai(), exon.sequence)  # doctest: +SKIP
>>> geometry = EditGeometry.from_edit_batch(batch, sites=batch.tracked[:, :2])  # doctest: +SKIP
>>> engine.probabilities(geometry)[:, 0, 1]  # P(acceptor) at the moved first site  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from captum_genomics._validate import check_eval_mode, check_optional_int
from captum_genomics.dna.alphabet import (
    CODE_N,
    CODE_UNKNOWN,
    check_codes,
    one_hot_to_codes,
    text_to_codes_strict,
)
from captum_genomics.gggp.population import EditBatch
from captum_genomics.models.spliceai import SpliceAI
from captum_genomics.splicing._incremental_plan import FAR, Layout, Plan, spliceai_members

__all__ = ["EditGeometry", "IncrementalSpliceAI", "reference_codes"]

# Extra reference positions cached around the sites, so that indels rarely force a rebuild.
_MARGIN = 64


def reference_codes(reference) -> np.ndarray:
    """Codes of a reference sequence, shape (L,) uint8 (A=0, C=1, G=2, T=3, N=4).

    Parameters
    ----------
    reference : str, numpy.ndarray or torch.Tensor
        ``(L,)`` text over ``ACGTN`` (any case) or integer codes, or a ``(4, L)`` /
        ``(1, 4, L)`` one-hot whose N columns are all zero (SpliceAI's N).

    Returns
    -------
    numpy.ndarray, shape (L,), uint8
    """
    if isinstance(reference, str):
        return text_to_codes_strict(reference, "the reference")
    if isinstance(reference, torch.Tensor):
        reference = reference.detach().cpu().numpy()
    array = np.asarray(reference)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 1:
        if not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"reference codes must be integers, got dtype {array.dtype}")
        return check_codes(array, "reference codes").astype(np.uint8)
    if array.ndim != 2 or array.shape[0] != 4:
        raise ValueError(
            f"a one-hot reference must have shape (4, L) or (1, 4, L), got {array.shape}"
        )
    codes, quarter = one_hot_to_codes(array[None])
    if (codes == CODE_UNKNOWN).any() or quarter.any():
        raise ValueError(
            "the reference one-hot must hold 0/1 with at most one 1 per column (N all zero, "
            "as SpliceAI reads it)"
        )
    return codes[0]


# ----------------------------------------------------------------------------------------------
# Edited sequences
# ----------------------------------------------------------------------------------------------



@dataclass
class EditGeometry:
    """Edited sequences described by where they differ from the (shifted) reference.

    Attributes
    ----------
    codes : torch.Tensor, shape (n, W)
        Edited sequences as codes (A=0, C=1, G=2, T=3, N=4); positions outside ``[0, W)`` are N.
        Only positions inside an edited span are read.
    sites : torch.Tensor, shape (n, k)
        Input positions to score: indices into the edited sequences.
    starts, ends : torch.Tensor, shape (n, S)
        Edited spans ``[start, end)`` in edited coordinates, sorted per row and disjoint; an
        empty span (``start == end``) marks a deletion point.  Padding slots have
        ``start = end =`` a large value and ``valid`` False.
    deltas : torch.Tensor, shape (n, S)
        Net length change of each span (inserted minus deleted bases): positions after span
        ``s`` equal the reference at ``position - shift - sum(deltas[:s + 1])``.
    valid : torch.Tensor, shape (n, S)
        Real spans.
    shift : torch.Tensor, shape (n,)
        Offset of the positions before the first span: edited ``q`` equals reference
        ``q - shift`` there (0 unless sequences were right-aligned to a fixed length).

    Notes
    -----
    Every position outside the spans must equal the reference at the offset of its side; the
    spans may cover more than what changed (exactness is kept, work grows).
    """

    codes: torch.Tensor
    sites: torch.Tensor
    starts: torch.Tensor
    ends: torch.Tensor
    deltas: torch.Tensor
    valid: torch.Tensor
    shift: torch.Tensor

    def __post_init__(self) -> None:
        n = self.codes.shape[0] if self.codes.dim() == 2 else -1
        spans = self.starts.shape
        if (
            n < 0
            or self.sites.dim() != 2
            or self.sites.shape[0] != n
            or len(spans) != 2
            or spans[0] != n
            or any(getattr(self, f).shape != spans for f in ("ends", "deltas", "valid"))
            or self.shift.shape != (n,)
        ):
            raise ValueError(
                "EditGeometry needs codes (n, W), sites (n, k), starts/ends/deltas/valid (n, S) "
                f"and shift (n,); got codes {tuple(self.codes.shape)}, sites "
                f"{tuple(self.sites.shape)}, starts {tuple(spans)}, ends "
                f"{tuple(self.ends.shape)}, deltas {tuple(self.deltas.shape)}, valid "
                f"{tuple(self.valid.shape)}, shift {tuple(self.shift.shape)}"
            )
        if bool((self.valid & (self.ends < self.starts)).any()):
            raise ValueError("every edited span needs start <= end")

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def to(self, device: torch.device | str) -> EditGeometry:
        """The same geometry on another device.

        Parameters
        ----------
        device : torch.device or str
            Target device.

        Returns
        -------
        EditGeometry
            Every tensor moved to ``device``.
        """
        return EditGeometry(*(getattr(self, f.name).to(device) for f in dataclasses.fields(self)))

    def take(self, index: torch.Tensor) -> EditGeometry:
        """A subset of the sequences.

        Parameters
        ----------
        index : torch.Tensor, shape (m,)
            Integer row indices.

        Returns
        -------
        EditGeometry
            The ``m`` selected sequences.
        """
        return EditGeometry(*(getattr(self, f.name)[index] for f in dataclasses.fields(self)))

    @classmethod
    def from_edit_batch(
        cls, batch: EditBatch, sites: np.ndarray, reference_sites: Sequence[int] | None = None
    ) -> EditGeometry:
        """Geometry of an :class:`~captum_genomics.gggp.population.EditBatch`.

        Parameters
        ----------
        batch : EditBatch
            ``n`` edited sequences ``(n, W)`` with their (canonical) population.
        sites : numpy.ndarray, shape (n, k)
            Input positions in the edited sequences (e.g. columns of ``batch.tracked``).
        reference_sites : sequence of int, shape (k,), optional
            The same sites in the reference.  Needed only for fixed-length batches, to tell
            right-aligned rows (``trim="left"``) from left-aligned ones; rows where no site
            survives are taken as left-aligned.

        Returns
        -------
        EditGeometry
            On the CPU; move it with :meth:`to`.
        """
        pop = batch.population
        sites = np.asarray(sites, dtype=np.int64).reshape(len(batch), -1)
        n, u = pop.kind.shape
        valid = pop.valid
        delta = np.where(valid, pop.alt_len.astype(np.int64) - pop.ref_len, 0)
        before = np.cumsum(delta, axis=1) - delta
        lengths = np.asarray(batch.lengths, dtype=np.int64)
        width = batch.sequences.shape[1]
        shift = np.zeros(n, np.int64)
        if batch.fixed_length is not None:
            if reference_sites is None:
                raise ValueError(
                    "a fixed-length batch needs reference_sites, to tell right-aligned rows"
                )
            ref_sites = np.asarray(reference_sites, dtype=np.int64).reshape(-1)
            p, r = pop.pos[:, :, None], pop.ref_len[:, :, None]
            moved_before = valid[:, :, None] & np.where(r > 0, p + r <= ref_sites, p <= ref_sites)
            expected = ref_sites[None, :] + (moved_before * delta[:, :, None]).sum(axis=1)
            present = sites >= 0
            first = np.argmax(present, axis=1)
            rows = np.arange(n)
            found = present[rows, first]
            shift = np.where(found, sites[rows, first] - expected[rows, first], 0)
            right = width - lengths
            if not np.all((shift == 0) | (shift == right)):
                bad = int(np.flatnonzero((shift != 0) & (shift != right))[0])
                raise ValueError(
                    f"row {bad}: its sites {sites[bad].tolist()} are neither left- nor "
                    f"right-aligned moves of the reference sites {ref_sites.tolist()}"
                )
        starts = pop.pos + before + shift[:, None]
        ends = starts + np.where(valid, pop.alt_len, 0)
        # bases cut off by a fixed length are N now: one more span, without offset change
        cut_lo = np.where(shift < 0, shift, width)
        cut_hi = np.where(shift < 0, 0, lengths + shift)
        cut = cut_hi > cut_lo
        starts = np.concatenate([starts, cut_lo[:, None]], axis=1)
        ends = np.concatenate([ends, cut_hi[:, None]], axis=1)
        delta = np.concatenate([delta, np.zeros((n, 1), np.int64)], axis=1)
        valid = np.concatenate([valid, cut[:, None]], axis=1)
        starts = np.where(valid, starts, FAR)
        ends = np.where(valid, ends, FAR)
        order = np.argsort(starts, axis=1, kind="stable")
        take = lambda a: torch.from_numpy(np.take_along_axis(a, order, axis=1))  # noqa: E731
        return cls(
            codes=torch.from_numpy(np.ascontiguousarray(batch.sequences, dtype=np.uint8)),
            sites=torch.from_numpy(sites),
            starts=take(starts),
            ends=take(ends),
            deltas=take(delta),
            valid=take(valid),
            shift=torch.from_numpy(shift),
        )


# ----------------------------------------------------------------------------------------------
# The engine
# ----------------------------------------------------------------------------------------------


class _Weights:
    """One member's weights, arranged for incremental evaluation on position-major rows.

    Activations are ``(positions, 32)`` matrices; a convolution reads them as a channels-last
    ``(rows, 32, 1, width)`` batch.  The second BatchNorm of each unit is folded into the
    first convolution (BN is affine in eval mode), so first-convolution outputs are stored as
    activations ``relu(bn2(y))``; the first BatchNorm becomes a per-channel scale and shift.
    """

    def __init__(self, member: SpliceAI) -> None:
        with torch.no_grad():
            weight = member.conv_in.weight
            eye = torch.eye(5, 4, dtype=weight.dtype, device=weight.device).T[None]
            #: (5, 32) first-layer activation of A, C, G, T and N
            self.table = member.conv_in(eye)[0].T.contiguous()
            self.scale, self.shift, self.conv1, self.conv2 = [], [], [], []
            for unit in member.units:
                scale1, shift1, weight1, bias1, weight2, bias2 = unit.folded()
                self.scale.append(scale1)
                self.shift.append(shift1)
                self.conv1.append((weight1, bias1))
                self.conv2.append((weight2, bias2))
            self.skips = [(member.skip_in.weight[..., 0], member.skip_in.bias)] + [
                (layer.weight[..., 0], layer.bias) for layer in member.skips
            ]
            self.out = (member.conv_out.weight[..., 0], member.conv_out.bias)

    def act(self, unit: int, h: torch.Tensor) -> torch.Tensor:
        """``relu(bn1(h))`` of a unit's input, ``(..., 32)`` (in place)."""
        return torch.addcmul(self.shift[unit], h, self.scale[unit], out=h).relu_()


def _conv(x: torch.Tensor, weight_bias: tuple[torch.Tensor, torch.Tensor], dilation: int,
          stride: int = 1) -> torch.Tensor:
    """Valid convolution of position-major rows.

    Parameters
    ----------
    x : torch.Tensor, shape (rows, width, 32)
        Contiguous inputs of ``rows`` equal-width windows.
    weight_bias : tuple of torch.Tensor
        Channels-last ``(32, 32, 1, kernel)`` weight and ``(32,)`` bias.
    dilation, stride : int
        Along the positions.

    Returns
    -------
    torch.Tensor, shape (rows * out_width, 32)
        The outputs, position-major.
    """
    rows, width, channels = x.shape
    x = x.view(rows, 1, width, channels).permute(0, 3, 1, 2)  # channels-last NCHW view
    out = F.conv2d(x, *weight_bias, stride=(1, stride), dilation=(1, dilation))
    return out.permute(0, 2, 3, 1).reshape(-1, out.shape[1])


class IncrementalSpliceAI:
    """Exact SpliceAI outputs at chosen sites of edited sequences, from cached reference work.

    Parameters
    ----------
    model : SpliceAI or SpliceAIEnsemble
        Trained (or any) model in eval mode; its device and dtype are used.  BatchNorm uses
        the running statistics.
    reference : str, numpy.ndarray or torch.Tensor
        ``(L,)`` reference text or codes (A=0, C=1, G=2, T=3, N=4), or a ``(4, L)`` one-hot.
        Bases beyond its ends are N.
    sites : sequence of int, optional
        ``(k,)`` reference positions scored later, to build the cache now (it is otherwise
        built, and widened when edits shift the sites further, on first use).
    dense : bool, default False
        Compute every layer once per sequence for all its sites, instead of per site on the
        lattice of the last dilations: faster when each sequence has many contiguous sites
        (e.g. the 2D + 1 outputs around a variant).
    workers : int, optional
        Threads that score disjoint parts of a batch at once, each running its convolutions
        on one core.  Default: ``torch.get_num_threads()`` on the CPU, 1 on other devices.
        Independent single-threaded convolutions scale better than one multi-threaded
        convolution (no barrier per layer), and much better when other processes share the
        cores.

    Attributes
    ----------
    members : list of SpliceAI
        The models averaged.
    context : int
        The models' context (twice the receptive radius).
    reference : numpy.ndarray
        ``(L,)`` uint8 reference codes.
    device : torch.device
        Where the models, caches and computations live.

    Notes
    -----
    For each member the cache holds every activation over the receptive field of the sites'
    reference neighbourhood: about ``(2 * context) * 32`` numbers per layer.  Scores of an
    ensemble are the mean of the members' softmax outputs, as
    :class:`~captum_genomics.models.spliceai.SpliceAIEnsemble` computes them.  BatchNorm is
    applied as a folded affine map, so results differ from the module's forward by float
    rounding only (about 1e-7 in probability).
    """

    def __init__(self, model: nn.Module, reference, sites: Sequence[int] | None = None,
                 dense: bool = False, workers: int | None = None) -> None:
        members = spliceai_members(model)
        check_eval_mode(
            model,
            "IncrementalSpliceAI",
            refuse_because="incremental scoring uses the BatchNorm running statistics",
        )
        self.members = members
        self.context = members[0].context
        self.plan = Plan(members[0], dense=dense)
        self.reference = reference_codes(reference)
        self._weights = [_Weights(m) for m in members]
        weight = members[0].conv_in.weight
        self.device = weight.device
        self.workers = check_optional_int(workers, "workers")
        self._core: tuple[int, int] | None = None
        self._caches: list[list[torch.Tensor]] = []
        # convolution inputs are gathered into one growing buffer per thread (large fresh
        # allocations cost page faults on every layer)
        self._scratch = threading.local()
        if sites is not None:
            s = np.asarray(sites, dtype=np.int64).reshape(-1)
            self._ensure_core(int(s.min()), int(s.max()))

    # -- reference cache ---------------------------------------------------------------------

    def _ensure_core(self, lo: int, hi: int) -> None:
        """Cache activations for reference sites anywhere in ``[lo, hi]``."""
        if self._core is not None and self._core[0] <= lo and hi <= self._core[1]:
            return
        lo, hi = lo - _MARGIN, hi + _MARGIN
        if self._core is not None:
            lo, hi = min(lo, self._core[0]), max(hi, self._core[1])
        radius = self.plan.receptive
        positions = np.arange(lo - radius, hi + radius + 1)
        inside = (positions >= 0) & (positions < self.reference.size)
        codes = np.full(positions.size, CODE_N, np.int64)
        codes[inside] = self.reference[positions[inside]]
        codes_t = torch.from_numpy(codes).to(self.device)
        self._caches = []
        with torch.no_grad():
            for weights, member in zip(self._weights, self.members):
                h = weights.table.index_select(0, codes_t)
                zero = h.new_zeros(1, h.shape[1])
                cache = [torch.cat([h, zero])]
                for u, unit in enumerate(member.units):
                    y = _conv(weights.act(u, h.clone())[None], weights.conv1[u], unit.dilation)
                    y = y.relu_()
                    z = _conv(y[None], weights.conv2[u], unit.dilation)
                    h = z.add_(h[unit.trim : h.shape[0] - unit.trim])
                    cache += [torch.cat([y, zero]), torch.cat([h, zero])]
                self._caches.append(cache)
        self._core = (lo, hi)

    # -- scoring --------------------------------------------------------------------------------

    def _layout(self, geometry: EditGeometry) -> Layout:
        g = geometry.to(self.device)
        self._ensure_geometry_core(g)
        return Layout(self.plan, g, *self._core)

    def reserve(self, geometry: EditGeometry) -> None:
        """Cache now the reference work that scoring ``geometry`` (or parts of it) needs.

        Scoring a batch whose sites lie beyond the cached reference rebuilds the cache, wider;
        reserving the union of the batches first builds it once.

        Parameters
        ----------
        geometry : EditGeometry
            Every sequence to be scored later.
        """
        self._ensure_geometry_core(geometry.to(self.device))

    def _ensure_geometry_core(self, g: EditGeometry) -> None:
        offsets = torch.cumsum(g.deltas.masked_fill(~g.valid, 0), dim=1)
        offsets = torch.cat([torch.zeros_like(offsets[:, :1]), offsets], dim=1) + g.shift[:, None]
        images_lo = g.sites.min(dim=1).values - offsets.max(dim=1).values
        images_hi = g.sites.max(dim=1).values - offsets.min(dim=1).values
        self._ensure_core(int(images_lo.min()), int(images_hi.max()))

    def _gathered(self, src: torch.Tensor, gather: torch.Tensor) -> torch.Tensor:
        """A reused (len(gather), channels) buffer for the inputs of one convolution."""
        need = src.shape[1] * gather.numel()
        buffer = getattr(self._scratch, "buffer", None)
        if buffer is None or buffer.numel() < need or buffer.dtype != src.dtype:
            buffer = self._scratch.buffer = src.new_empty(need)
        return buffer[:need].view(gather.numel(), src.shape[1])

    def _member_logits(self, weights: _Weights, cache: list[torch.Tensor], lay: Layout):
        plan = self.plan
        # each tensor as one position-major matrix [reference cache | 0 | computed rows],
        # indexed by the layout
        sources = {0: torch.cat([cache[0], weights.table.index_select(0, lay.input_codes)])}
        skip = None
        for conv, cl in zip(plan.convs, lay.convs):
            u = conv.unit
            src = sources[conv.src]
            if conv.src in plan.skip_tensors and not conv.second:
                w, b = weights.skips[plan.skip_tensors.index(conv.src)]
                part = F.linear(src.index_select(0, lay.readout[conv.src]), w, b)
                skip = part if skip is None else skip + part
            if cl.gather.numel():
                x = torch.index_select(src, 0, cl.gather, out=self._gathered(src, cl.gather))
                x = x.view(cl.rows, -1, x.shape[1])
                if conv.second:
                    out = _conv(x, weights.conv2[u], conv.dilation, cl.stride)
                else:
                    out = _conv(weights.act(u, x), weights.conv1[u], conv.dilation, cl.stride)
                    out = out.relu_()
            else:
                out = src[:0]
            if conv.second:
                out = out.add_(sources.pop(2 * u).index_select(0, cl.residual))
                del sources[conv.src]
            sources[conv.dst] = torch.cat([cache[conv.dst], out])
        w, b = weights.skips[-1]
        last = plan.convs[-1].dst
        skip = skip + F.linear(sources[last].index_select(0, lay.readout[last]), w, b)
        return F.linear(skip, *weights.out)

    def probabilities(self, geometry: EditGeometry) -> torch.Tensor:
        """Class probabilities (neither, acceptor, donor) at every site of every sequence.

        Parameters
        ----------
        geometry : EditGeometry
            ``n`` edited sequences and their ``k`` sites.

        Returns
        -------
        torch.Tensor, shape (n, k, 3)
            On the model's device; the mean of the members' softmax outputs.
        """
        workers = min(self._worker_count(), len(geometry))
        if workers <= 1:
            return self._probabilities(geometry)
        self.reserve(geometry)  # the threads share the reference cache: widen it first
        parts = torch.tensor_split(torch.arange(len(geometry)), workers)
        with _one_thread_per_op(), ThreadPoolExecutor(workers) as pool:
            return torch.cat(list(pool.map(
                lambda rows: self._probabilities(geometry.take(rows)), parts)))

    def _worker_count(self) -> int:
        if self.workers is not None:
            return self.workers
        return torch.get_num_threads() if self.device.type == "cpu" else 1

    def _probabilities(self, geometry: EditGeometry) -> torch.Tensor:
        lay = self._layout(geometry)
        total = None
        with torch.no_grad():
            for weights, cache in zip(self._weights, self._caches):
                p = torch.softmax(self._member_logits(weights, cache, lay), dim=1)
                total = p if total is None else total + p
        return (total / len(self.members)).reshape(lay.n, lay.k, 3)

    def work(self, geometry: EditGeometry) -> dict[str, int]:
        """Convolution multiply-accumulates of :meth:`probabilities` on ``geometry``, per model.

        Parameters
        ----------
        geometry : EditGeometry
            ``n`` edited sequences and their sites.

        Returns
        -------
        dict
            ``"useful"``: positions inside the edits' forward cones and the sites' backward
            cones; ``"computed"``: positions the convolutions evaluate (windows laid end to
            end, with the junk between them); both times ``32 * 32 * width``, summed over
            the batch, for one model.
        """
        lay = self._layout(geometry)
        channels = self.members[0].conv_in.out_channels
        per = [channels * channels * conv.width for conv in self.plan.convs]
        return {
            "useful": sum(p * cl.useful for p, cl in zip(per, lay.convs)),
            "computed": sum(p * cl.computed for p, cl in zip(per, lay.convs)),
        }


@contextlib.contextmanager
def _one_thread_per_op() -> Iterator[None]:
    """Run torch operators single-threaded inside the block (process-wide), then restore."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
