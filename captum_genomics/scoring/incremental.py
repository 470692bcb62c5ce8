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

Geometry.  Positions are indices into the edited sequence; bases beyond either end are N
(all-zero one-hot), as in SpliceAI's own padding.  The backward cone follows the dilations: the
last residual units of SpliceAI-10k (dilation 25) feed a site only from positions on the lattice
``site + 25 Z``, the units before them from ``site + 5 Z``; the units whose lattice is dense are
computed once per sequence for all sites ("joint" layers), the others per (sequence, site)
("site" layers).  The edited spans of a sequence form, at each layer, clusters of overlapping
cones; every (sequence or site, cluster) whose cone meets the backward cone becomes one window.
The windows of a whole batch are laid end to end and each layer is one strided, dilated
``conv1d`` over them; the inputs are gathered by index from the previous layer's windows or from
the reference cache (shifted by the indel offset of their side).

Examples
--------
>>> engine = IncrementalSpliceAI(load_spliceai(), exon.sequence)  # doctest: +SKIP
>>> geometry = EditGeometry.from_edit_batch(batch, sites=batch.tracked[:, :2])  # doctest: +SKIP
>>> engine.probabilities(geometry)[:, 0, 1]  # P(acceptor) at the moved first site  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..gggp.grammar import CODE_N, encode_sequence
from ..gggp.population import EditBatch
from ..gggp.spliceai_scorer import REDUCTIONS, ExonScorer
from ..models.spliceai import SpliceAI, SpliceAIEnsemble

__all__ = ["EditGeometry", "IncrementalSpliceAI", "IncrementalExonScorer", "REDUCTIONS"]

#: How the acceptor and donor probabilities combine into the exon score.

# Sort keys pack (owner, position) into one int64: owner * _BIG + position + _OFFSET.
_BIG = 1 << 40
_OFFSET = 1 << 39
# Stand-in coordinate of an empty span slot: sorts after every real span, never in a window.
_FAR = 1 << 36
# Extra reference positions cached around the sites, so that indels rarely force a rebuild.
_MARGIN = 64


def _members(model: nn.Module) -> list[SpliceAI]:
    if isinstance(model, SpliceAIEnsemble):
        return list(model.members)
    if isinstance(model, SpliceAI):
        return [model]
    raise TypeError(
        "incremental scoring needs a captum_genomics SpliceAI or SpliceAIEnsemble (its layer "
        f"structure is read to find the cones); got {type(model).__name__}"
    )


def _reference_codes(reference) -> np.ndarray:
    """``(L,)`` uint8 codes from text, codes or a ``(4, L)`` / ``(1, 4, L)`` one-hot."""
    if isinstance(reference, torch.Tensor) or (
        isinstance(reference, np.ndarray) and reference.ndim > 1
    ):
        x = torch.as_tensor(reference).detach().cpu()
        if x.dim() == 3 and x.shape[0] == 1:
            x = x[0]
        if x.dim() == 1:
            return encode_sequence(x.numpy())
        if x.dim() != 2 or x.shape[0] != 4:
            raise ValueError(
                f"a one-hot reference must have shape (4, L) or (1, 4, L), got {tuple(x.shape)}"
            )
        x = x.float()
        hot = x.sum(0)
        if not bool(((x == 0) | (x == 1)).all()) or bool((hot > 1).any()):
            raise ValueError("the reference one-hot must hold 0/1 with at most one 1 per column")
        codes = torch.where(hot > 0, x.argmax(0), torch.full_like(hot, CODE_N, dtype=torch.long))
        return codes.numpy().astype(np.uint8)
    return encode_sequence(reference)


# ----------------------------------------------------------------------------------------------
# Static plan: which grid and radius each activation lives on
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tensor:
    """An activation: trunk ``h_u`` (index 2u) or first-conv output ``y_u`` (index 2u + 1)."""

    joint: bool  # one window set per sequence (dense grid) rather than per (sequence, site)
    stride: int  # grid step in positions (1 for joint tensors)
    radius: int  # backward-cone half-width in grid steps (joint: in positions)
    forward: int  # forward radius in positions


@dataclass(frozen=True)
class _Conv:
    """One dilated convolution ``src -> dst`` (+ residual ``h_u`` for the second of a unit)."""

    unit: int
    second: bool
    src: int
    dst: int
    width: int
    dilation: int  # in steps of the gathering grid
    ratio: int  # dst grid step / gathering grid step
    single: bool  # dst is one position per site


class _Plan:
    """Grids, radii and convolutions of a SpliceAI layer stack (shared by ensemble members)."""

    def __init__(self, model: SpliceAI) -> None:
        widths = [int(u.kernel_size) for u in model.units]
        dilations = [int(u.dilation) for u in model.units]
        n_units = len(widths)
        if any(w % 2 == 0 for w in widths):
            raise ValueError(f"kernel widths must be odd, got {widths}")
        # lattice step of the positions feeding one output, from the dilations still to come
        steps = [0] * n_units
        step = 0
        for u in range(n_units - 1, -1, -1):
            step = math.gcd(dilations[u], step)
            steps[u] = step
        if steps[0] != 1:
            raise ValueError(f"the first residual units must reach every position, got {steps}")
        per_skip = n_units // len(model.skips)
        joint = [s == 1 for s in steps]
        half = [(w - 1) // 2 for w in widths]
        self.receptive = sum(2 * h * d for h, d in zip(half, dilations))

        # grid of each tensor; h_{u+1} lives where unit u computes it
        tensor_joint = [True] * (2 * n_units + 1)
        tensor_stride = [1] * (2 * n_units + 1)
        for u in range(n_units):
            tensor_joint[2 * u + 1] = tensor_joint[2 * u + 2] = joint[u]
            if not joint[u]:
                tensor_stride[2 * u + 1] = steps[u]
                tensor_stride[2 * u + 2] = steps[u + 1] if u + 1 < n_units else steps[u]
        radius = [0] * (2 * n_units + 1)
        for u in range(n_units - 1, -1, -1):
            ys = tensor_stride[2 * u + 1]
            ratio = tensor_stride[2 * u + 2] // ys
            reach = half[u] * (dilations[u] // ys)
            radius[2 * u + 1] = ratio * radius[2 * u + 2] + reach
            radius[2 * u] = radius[2 * u + 1] + reach
            if tensor_joint[2 * u] and not joint[u]:  # dense producer of a per-site unit
                radius[2 * u] *= ys
        forward = [0] * (2 * n_units + 1)
        for u in range(n_units):
            forward[2 * u + 1] = forward[2 * u] + half[u] * dilations[u]
            forward[2 * u + 2] = forward[2 * u] + 2 * half[u] * dilations[u]
        self.tensors = [
            _Tensor(j, s, r, f) for j, s, r, f in zip(tensor_joint, tensor_stride, radius, forward)
        ]
        self.convs: list[_Conv] = []
        for u in range(n_units):
            ys = tensor_stride[2 * u + 1]
            for second in (False, True):
                dst = 2 * u + 1 + int(second)
                self.convs.append(
                    _Conv(
                        unit=u,
                        second=second,
                        src=dst - 1,
                        dst=dst,
                        width=widths[u],
                        dilation=dilations[u] // ys,
                        ratio=tensor_stride[dst] // ys,
                        single=not tensor_joint[dst] and radius[dst] == 0,
                    )
                )
        #: trunk tensors read by the skip path: h_0, h_4, h_8, ...
        self.skip_tensors = [2 * u for u in range(0, n_units + 1, per_skip)]


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
        Output positions to score, as indices into the edited sequences.
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
            Output positions in the edited sequences (e.g. columns of ``batch.tracked``).
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
        starts = np.where(valid, starts, _FAR)
        ends = np.where(valid, ends, _FAR)
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
# Per-batch layout (shared by ensemble members)
# ----------------------------------------------------------------------------------------------


@dataclass
class _Windows:
    """Computed positions of one tensor: element ``e`` covers grid steps ``lo..hi`` of owner."""

    owner: torch.Tensor  # (E,) sequence (joint) or sequence * k + site
    lo: torch.Tensor
    hi: torch.Tensor
    offset: torch.Tensor  # column of step ``lo`` in the tensor's value matrix
    keys: torch.Tensor  # owner * _BIG + lo + _OFFSET, ascending
    columns: int  # width of the value matrix


@dataclass
class _ConvLayout:
    gather: torch.Tensor  # (T_in,) columns of [values | cache | 0] feeding the convolution
    residual: torch.Tensor | None  # (T_out,) columns of h_u added to the output
    stride: int
    useful: int  # output positions inside the cones
    computed: int  # output positions computed (windows laid end to end)


class _Layout:
    """Windows, gather indices and readout indices of one batch, for every layer."""

    def __init__(self, plan: _Plan, geometry: EditGeometry, core_lo: int, core_hi: int) -> None:
        g = geometry
        device = g.codes.device
        self.plan = plan
        n, k = g.sites.shape
        self.n, self.k = n, k
        self.core_lo = core_lo
        self.cache_len = [
            core_hi - core_lo + 1 + 2 * (plan.receptive - t.forward) for t in plan.tensors
        ]
        self.geometry = g
        # offsets: positions at or after span s read the reference at q - shift - cum[s]
        flat_valid = g.valid.reshape(-1)
        span_row = torch.arange(n, device=device).repeat_interleave(g.valid.shape[1])[flat_valid]
        self.span_row = span_row
        self.span_keys = span_row * _BIG + g.starts.reshape(-1)[flat_valid] + _OFFSET
        self.span_offset = torch.cumsum(g.deltas.masked_fill(~g.valid, 0), dim=1).reshape(-1)[
            flat_valid
        ]
        self.windows: list[_Windows] = []
        self.convs: list[_ConvLayout] = []
        self.windows.append(self._windows(0))
        for conv in plan.convs:
            self.windows.append(self._windows(conv.dst))
            self.convs.append(self._conv(conv))
        self.readout = {t: self._lookup(t, *self._site_queries(t)) for t in plan.skip_tensors}
        w0 = self.windows[0]
        owner = torch.repeat_interleave(w0.owner, w0.hi - w0.lo + 1)
        pos = self._ranges(w0.lo, w0.hi - w0.lo + 1)
        inside = (pos >= 0) & (pos < g.codes.shape[1])
        codes = g.codes[owner, pos.clamp(0, max(g.codes.shape[1] - 1, 0))].long()
        self.input_codes = torch.where(inside, codes, torch.full_like(codes, CODE_N))

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _ranges(start: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
        """Concatenation of ``start[e] + arange(length[e])``."""
        total = int(length.sum())
        first = torch.cumsum(length, 0) - length
        return torch.repeat_interleave(start - first, length) + torch.arange(
            total, device=start.device
        )

    def _origin(self, t: int) -> torch.Tensor:
        """Grid origin of every owner of tensor ``t``."""
        if self.plan.tensors[t].joint:
            return torch.zeros(self.n, dtype=torch.long, device=self.geometry.sites.device)
        return self.geometry.sites.reshape(-1)

    def _owner_row(self, t: int, owner: torch.Tensor) -> torch.Tensor:
        return owner if self.plan.tensors[t].joint else owner // self.k

    def _windows(self, t: int) -> _Windows:
        """Cluster the edited spans at the tensor's forward radius and cut them to its cone."""
        spec = self.plan.tensors[t]
        g = self.geometry
        device = g.sites.device
        f = spec.forward
        lo = g.starts - f
        hi = g.ends - 1 + f
        run = torch.cummax(hi, dim=1).values
        previous = torch.cat([torch.full_like(run[:, :1], -_FAR), run[:, :-1]], dim=1)
        new = (lo > previous + 1) & g.valid
        flat_valid = g.valid.reshape(-1)
        cluster = torch.cumsum(new.reshape(-1)[flat_valid].long(), 0) - 1
        n_clusters = int(new.sum())
        row = self.span_row
        c_lo = lo.reshape(-1)[flat_valid][new.reshape(-1)[flat_valid]]
        c_hi = torch.full((n_clusters,), -_FAR, dtype=torch.long, device=device)
        c_hi = c_hi.scatter_reduce(0, cluster, hi.reshape(-1)[flat_valid], "amax")
        c_row = row[new.reshape(-1)[flat_valid]]
        if spec.joint:
            owner = c_row
            need_lo = g.sites.min(dim=1).values[owner] - spec.radius
            need_hi = g.sites.max(dim=1).values[owner] + spec.radius
            w_lo = torch.maximum(c_lo, need_lo)
            w_hi = torch.minimum(c_hi, need_hi)
        else:
            k = self.k
            owner = (c_row[:, None] * k + torch.arange(k, device=device)).reshape(-1)
            origin = g.sites.reshape(-1)[owner]
            c_lo = c_lo.repeat_interleave(k)
            c_hi = c_hi.repeat_interleave(k)
            s = spec.stride
            w_lo = (-torch.div(origin - c_lo, s, rounding_mode="floor")).clamp(min=-spec.radius)
            w_hi = torch.div(c_hi - origin, s, rounding_mode="floor").clamp(max=spec.radius)
        keep = w_lo <= w_hi
        owner, w_lo, w_hi = owner[keep], w_lo[keep], w_hi[keep]
        keys = owner * _BIG + w_lo + _OFFSET
        keys, order = torch.sort(keys)
        owner, w_lo, w_hi = owner[order], w_lo[order], w_hi[order]
        length = w_hi - w_lo + 1
        offset = torch.cumsum(length, 0) - length
        return _Windows(owner, w_lo, w_hi, offset, keys, int(length.sum()))

    def _offset_at(self, row: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Reference offset of clean edited positions ``pos`` of sequences ``row``."""
        shift = self.geometry.shift[row]
        if self.span_keys.numel() == 0:
            return shift
        idx = torch.searchsorted(self.span_keys, row * _BIG + pos + _OFFSET, right=True) - 1
        safe = idx.clamp(min=0)
        same = (idx >= 0) & (self.span_row[safe] == row)
        return shift + torch.where(same, self.span_offset[safe], torch.zeros_like(shift))

    def _lookup(self, t: int, owner: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Columns of ``[values_t | cache_t | 0]`` holding tensor ``t`` at edited ``pos``.

        ``owner`` is the owner in tensor ``t``'s own terms (sequence or sequence-site pair);
        ``pos`` lies on its grid.
        """
        spec = self.plan.tensors[t]
        win = self.windows[t]
        step = torch.div(pos - self._origin(t)[owner], spec.stride, rounding_mode="floor")
        row = self._owner_row(t, owner)
        reference = pos - self._offset_at(row, pos)
        cache_col = win.columns + reference - (self.core_lo - (self.plan.receptive - spec.forward))
        if win.keys.numel() == 0:
            return cache_col
        idx = torch.searchsorted(win.keys, owner * _BIG + step + _OFFSET, right=True) - 1
        safe = idx.clamp(min=0)
        hit = (idx >= 0) & (win.owner[safe] == owner) & (step <= win.hi[safe])
        return torch.where(hit, win.offset[safe] + step - win.lo[safe], cache_col)

    def _site_queries(self, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        sites = self.geometry.sites.reshape(-1)
        pair = torch.arange(sites.numel(), device=sites.device)
        owner = pair // self.k if self.plan.tensors[t].joint else pair
        return owner, sites

    def _conv(self, conv: _Conv) -> _ConvLayout:
        plan = self.plan
        dst, src = plan.tensors[conv.dst], plan.tensors[conv.src]
        win = self.windows[conv.dst]
        reach = (conv.width - 1) // 2 * conv.dilation
        span = 2 * reach + 1
        length = conv.ratio * (win.hi - win.lo) + span
        stride = span if conv.single else conv.ratio
        padded = torch.div(length + stride - 1, stride, rounding_mode="floor") * stride
        start = torch.cumsum(padded, 0) - padded
        win.offset = torch.div(start, stride, rounding_mode="floor")
        total = int(padded.sum())
        out_len = (total - span) // stride + 1 if total else 0
        device = win.lo.device
        zero_col = self.windows[conv.src].columns + self.cache_len[conv.src]
        gather = torch.full((total,), zero_col, dtype=torch.long, device=device)
        grid = dst.stride // conv.ratio  # step of the gathering grid, in positions
        origin = self._origin(conv.dst)[win.owner]
        element = torch.repeat_interleave(torch.arange(win.owner.numel(), device=device), length)
        local = self._ranges(torch.zeros_like(length), length)
        step = conv.ratio * win.lo[element] - reach + local
        pos = origin[element] + grid * step
        src_owner = win.owner[element]
        if src.joint and not dst.joint:
            src_owner = src_owner // self.k
        gather[start[element] + local] = self._lookup(conv.src, src_owner, pos)
        residual = None
        n_out = win.hi - win.lo + 1
        if conv.second:
            h = 2 * conv.unit
            residual = torch.full(
                (out_len,),
                self.windows[h].columns + self.cache_len[h],
                dtype=torch.long,
                device=device,
            )
            element = torch.repeat_interleave(torch.arange(win.owner.numel(), device=device), n_out)
            local = self._ranges(torch.zeros_like(n_out), n_out)
            pos = origin[element] + dst.stride * (win.lo[element] + local)
            h_owner = win.owner[element]
            if plan.tensors[h].joint and not dst.joint:
                h_owner = h_owner // self.k
            residual[win.offset[element] + local] = self._lookup(h, h_owner, pos)
        win.columns = out_len
        return _ConvLayout(gather, residual, stride, int(n_out.sum()), out_len)


# ----------------------------------------------------------------------------------------------
# The engine
# ----------------------------------------------------------------------------------------------


class _Weights:
    """One member's weights, arranged for incremental evaluation.

    The second BatchNorm of each unit is folded into the first convolution (BN is affine in
    eval mode), so first-convolution outputs are stored as activations ``relu(bn2(y))``; the
    first BatchNorm becomes a per-channel scale and shift.
    """

    def __init__(self, member: SpliceAI) -> None:
        with torch.no_grad():
            weight = member.conv_in.weight
            eye = torch.eye(5, 4, dtype=weight.dtype, device=weight.device).T[None]
            #: (32, 5) first-layer activation of A, C, G, T and N
            self.table = member.conv_in(eye)[0]
            self.scale, self.shift, self.conv1, self.conv2 = [], [], [], []
            for unit in member.units:
                s1, t1 = self._affine(unit.bn1)
                s2, t2 = self._affine(unit.bn2)
                self.scale.append(s1[:, None])
                self.shift.append(t1[:, None])
                self.conv1.append(
                    (unit.conv1.weight * s2[:, None, None], unit.conv1.bias * s2 + t2)
                )
                self.conv2.append((unit.conv2.weight, unit.conv2.bias))
            self.skips = [(member.skip_in.weight[..., 0], member.skip_in.bias)] + [
                (layer.weight[..., 0], layer.bias) for layer in member.skips
            ]
            self.out = (member.conv_out.weight[..., 0], member.conv_out.bias)

    @staticmethod
    def _affine(bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        return scale, bn.bias - bn.running_mean * scale

    def act(self, unit: int, h: torch.Tensor) -> torch.Tensor:
        """``relu(bn1(h))`` of a unit's input, ``(..., 32, T)``."""
        return torch.addcmul(self.shift[unit], h, self.scale[unit]).relu_()


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

    def __init__(self, model: nn.Module, reference, sites: Sequence[int] | None = None) -> None:
        members = _members(model)
        if any(m.training for m in members):
            raise ValueError(
                "the model is in training mode; call model.eval() first (incremental scoring "
                "uses the BatchNorm running statistics)"
            )
        self.members = members
        self.context = members[0].context
        self.plan = _Plan(members[0])
        self.reference = _reference_codes(reference)
        self._weights = [_Weights(m) for m in members]
        weight = members[0].conv_in.weight
        self.device = weight.device
        self._core: tuple[int, int] | None = None
        self._caches: list[list[torch.Tensor]] = []
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
                h = weights.table[:, codes_t][None]
                cache = [h[0]]
                for u, unit in enumerate(member.units):
                    y = F.conv1d(weights.act(u, h), *weights.conv1[u], dilation=unit.dilation)
                    y = y.relu_()
                    z = F.conv1d(y, *weights.conv2[u], dilation=unit.dilation)
                    h = z + h[..., unit.trim : h.shape[-1] - unit.trim]
                    cache += [y[0], h[0]]
                self._caches.append(cache)
        self._core = (lo, hi)

    # -- scoring --------------------------------------------------------------------------------

    def _layout(self, geometry: EditGeometry) -> _Layout:
        g = geometry.to(self.device)
        offsets = torch.cumsum(g.deltas.masked_fill(~g.valid, 0), dim=1)
        offsets = torch.cat([torch.zeros_like(offsets[:, :1]), offsets], dim=1) + g.shift[:, None]
        images_lo = g.sites.min(dim=1).values - offsets.max(dim=1).values
        images_hi = g.sites.max(dim=1).values - offsets.min(dim=1).values
        self._ensure_core(int(images_lo.min()), int(images_hi.max()))
        return _Layout(self.plan, g, *self._core)

    def _member_logits(self, weights: _Weights, cache: list[torch.Tensor], lay: _Layout):
        plan = self.plan
        zero = cache[0].new_zeros(cache[0].shape[0], 1)
        # each tensor as one matrix [computed columns | reference cache | 0], indexed by layout
        sources = {
            0: torch.cat([weights.table.index_select(1, lay.input_codes), cache[0], zero], 1)
        }
        skip = None
        for conv, cl in zip(plan.convs, lay.convs):
            u = conv.unit
            src = sources[conv.src]
            if conv.src in plan.skip_tensors and not conv.second:
                w, b = weights.skips[plan.skip_tensors.index(conv.src)]
                part = F.linear(src.index_select(1, lay.readout[conv.src]).T, w, b)
                skip = part if skip is None else skip + part
            if cl.gather.numel():
                x = src.index_select(1, cl.gather)[None]
                if conv.second:
                    out = F.conv1d(x, *weights.conv2[u], stride=cl.stride, dilation=conv.dilation)
                else:
                    x = weights.act(u, x)
                    out = F.conv1d(x, *weights.conv1[u], stride=cl.stride, dilation=conv.dilation)
                    out = out.relu_()
                out = out[0]
            else:
                out = zero[:, :0]
            if conv.second:
                out = out.add_(sources.pop(2 * u).index_select(1, cl.residual))
                del sources[conv.src]
            sources[conv.dst] = torch.cat([out, cache[conv.dst], zero], 1)
        w, b = weights.skips[-1]
        last = plan.convs[-1].dst
        skip = skip + F.linear(sources[last].index_select(1, lay.readout[last]).T, w, b)
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


# ----------------------------------------------------------------------------------------------
# GGGP scorer
# ----------------------------------------------------------------------------------------------


class IncrementalExonScorer(ExonScorer):
    """Exon scores of a GGGP population, computed incrementally from the reference.

    Same inputs, semantics and outputs as
    :class:`~captum_genomics.gggp.spliceai_scorer.SpliceAIExonScorer` (acceptor probability at
    the moved acceptor, donor probability at the moved donor, read from ``batch.tracked``;
    deleted sites count as probability 0; bases beyond the ends are N), but each sequence costs
    only the layers' positions that its edits change and its sites read.

    Parameters
    ----------
    model : SpliceAI or SpliceAIEnsemble
        In eval mode; runs on its device.
    reference : str, numpy.ndarray or torch.Tensor
        ``(L,)`` text or codes, or ``(4, L)`` one-hot, of the searched reference; every batch
        must carry the same reference.
    acceptor, donor : int
        0-based reference indices of the exon's acceptor (first base) and donor (last base).
    reduce : {"mean", "max", "min", "acceptor", "donor"}
        How the two probabilities combine.
    tracked_columns : (int, int)
        Columns of ``batch.tracked`` holding the acceptor and the donor.
    batch_size : int
        Most sequences per engine call (memory grows with it and with the number of edits).
    name : str, optional
        Recorded in the search provenance (default ``"spliceai_exon_<reduce>_incremental"``).

    Attributes
    ----------
    engine : IncrementalSpliceAI
        The incremental model (its cache is built at construction).
    tracked : (int, int)
        ``(acceptor, donor)``: pass as ``search(..., tracked=scorer.tracked)``.

    Examples
    --------
    >>> exon = build_exon_input()  # doctest: +SKIP
    >>> scorer = IncrementalExonScorer(load_spliceai(), exon.sequence, exon.acceptor,
    ...                                exon.donor)  # doctest: +SKIP
    >>> search(exon.sequence, scorer, grammar=exon.grammar(), tracked=scorer.tracked,
    ...        settings=SearchSettings(max_evaluations=2000))  # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        reference,
        acceptor: int,
        donor: int,
        reduce: str = "mean",
        tracked_columns: tuple[int, int] = (0, 1),
        batch_size: int = 128,
        name: str | None = None,
    ) -> None:
        super().__init__(acceptor, donor, reduce, tracked_columns, batch_size,
                         name or f"spliceai_exon_{reduce}_incremental")
        self.engine = IncrementalSpliceAI(model.eval(), reference, (self.acceptor, self.donor))
        if self.donor >= self.engine.reference.size:
            raise ValueError(
                f"donor {self.donor} lies beyond the reference ({self.engine.reference.size} "
                "bases)"
            )

    def _sites(self, batch: EditBatch) -> np.ndarray:
        if not np.array_equal(batch.reference, self.engine.reference):
            raise ValueError(
                "batch.reference differs from the scorer's reference; build the scorer on the "
                "sequence that is searched"
            )
        return self._tracked_sites(batch)

    def site_probabilities(self, batch: EditBatch) -> np.ndarray:
        """Acceptor and donor probabilities at the moved sites.

        Parameters
        ----------
        batch : EditBatch
            ``n`` edited sequences of the scorer's reference, with tracked coordinates.

        Returns
        -------
        numpy.ndarray
            ``(n, 2)`` float64: P(acceptor) at the acceptor, P(donor) at the donor; 0 where a
            site was deleted, and 0 for the site a one-site ``reduce`` does not read.
        """
        sites = self._sites(batch)
        needed = self.needed
        present = sites >= 0
        use = present & needed
        columns = np.flatnonzero(needed)
        geometry = EditGeometry.from_edit_batch(
            batch, sites[:, columns], np.asarray(self.tracked)[columns]
        )
        # a missing site reads the other one's position (scored, then zeroed)
        stand_in = np.where(use, sites, np.where(use[:, ::-1], sites[:, ::-1], 0))
        geometry.sites = torch.from_numpy(np.ascontiguousarray(stand_in[:, columns]))
        rows = np.flatnonzero(use.any(axis=1))
        out = np.zeros((len(batch), 2))
        classes = torch.tensor([1, 2])[torch.from_numpy(columns)]
        for start in range(0, rows.size, self.batch_size):
            idx = rows[start : start + self.batch_size]
            probs = self.engine.probabilities(geometry.take(torch.from_numpy(idx)))
            picked = probs.gather(2, classes.to(probs.device).expand(idx.size, -1)[..., None])
            out[np.ix_(idx, columns)] = picked[..., 0].double().cpu().numpy()
        return np.where(use, out, 0.0)
