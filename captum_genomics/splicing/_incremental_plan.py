"""The static plan and per-batch layout of incremental SpliceAI (private).

:class:`Plan` reads a SpliceAI layer stack once: on which grid (every position, or a lattice
``site + step Z``) and over which radius each activation is needed.  :class:`Layout` turns the
edited spans of one batch into windows per layer, and the indices that gather each window's
inputs from the previous layer's windows or from the reference cache.  Positions are input
positions of the edited sequences (:mod:`captum_genomics.splicing.sites`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from captum_genomics.dna.alphabet import CODE_N
from captum_genomics.models.spliceai import SpliceAI, SpliceAIEnsemble

if TYPE_CHECKING:
    from captum_genomics.splicing.incremental import EditGeometry

# Sort keys pack (owner, position) into one int64: owner * BIG + position + OFFSET.
BIG = 1 << 40
OFFSET = 1 << 39
# Stand-in coordinate of an empty span slot: sorts after every real span, never in a window.
FAR = 1 << 36
# Up to this many span slots per row, reference offsets are summed over slots, not searched.
_FEW_SLOTS = 4


def spliceai_members(model: nn.Module) -> list[SpliceAI]:
    """The SpliceAI models of ``model`` (itself, or an ensemble's members), in order.

    Parameters
    ----------
    model : SpliceAI or SpliceAIEnsemble

    Returns
    -------
    list of SpliceAI
    """
    if isinstance(model, SpliceAIEnsemble):
        return list(model.members)
    if isinstance(model, SpliceAI):
        return [model]
    raise TypeError(
        "incremental scoring and its work bound need a captum_genomics SpliceAI or "
        "SpliceAIEnsemble (its layer structure is read to find the cones); got "
        f"{type(model).__name__}"
    )


# ----------------------------------------------------------------------------------------------
# Static plan: which grid and radius each activation lives on
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TensorSpec:
    """An activation: trunk ``h_u`` (index 2u) or first-conv output ``y_u`` (index 2u + 1)."""

    joint: bool  # one window set per sequence (dense grid) rather than per (sequence, site)
    stride: int  # grid step in positions (1 for joint tensors)
    radius: int  # backward-cone half-width in grid steps (joint: in positions)
    forward: int  # forward radius in positions


@dataclass(frozen=True)
class ConvSpec:
    """One dilated convolution ``src -> dst`` (+ residual ``h_u`` for the second of a unit)."""

    unit: int
    second: bool
    src: int
    dst: int
    width: int
    dilation: int  # in steps of the gathering grid
    ratio: int  # dst grid step / gathering grid step
    single: bool  # dst is one position per site


class Plan:
    """Grids, radii and convolutions of a SpliceAI layer stack (shared by ensemble members).

    ``dense=True`` computes every layer once per sequence for all its sites (no per-site
    lattices), which is cheaper when the sites are many and contiguous.
    """

    def __init__(self, model: SpliceAI, dense: bool = False) -> None:
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
        if dense:  # every tensor on the dense grid: cheaper when the sites are contiguous
            steps = [1] * n_units
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
            TensorSpec(*spec) for spec in zip(tensor_joint, tensor_stride, radius, forward)
        ]
        self.convs: list[ConvSpec] = []
        for u in range(n_units):
            ys = tensor_stride[2 * u + 1]
            for second in (False, True):
                dst = 2 * u + 1 + int(second)
                self.convs.append(
                    ConvSpec(
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
# Per-batch layout (shared by ensemble members)
# ----------------------------------------------------------------------------------------------


@dataclass
class Windows:
    """Computed positions of one tensor: element ``e`` covers grid steps ``lo..hi`` of owner."""

    owner: torch.Tensor  # (E,) sequence (joint) or sequence * k + site
    lo: torch.Tensor
    hi: torch.Tensor
    offset: torch.Tensor  # row of step ``lo`` among the tensor's computed rows
    keys: torch.Tensor  # owner * BIG + lo + OFFSET, ascending
    columns: int  # computed rows of the tensor


@dataclass
class ConvLayout:
    """Gather and residual indices of one convolution over a batch's windows."""

    gather: torch.Tensor  # (T_in,) rows of [cache | 0 | values] feeding the convolution
    residual: torch.Tensor | None  # (T_out,) rows of h_u added to the output
    stride: int
    useful: int  # output positions inside the cones
    computed: int  # output positions computed (windows laid end to end, or rows)
    rows: int = 1  # batch rows: the gathered columns are ``rows`` equal-width windows


class Layout:
    """Windows, gather indices and readout indices of one batch, for every layer."""

    def __init__(self, plan: Plan, geometry: EditGeometry, core_lo: int, core_hi: int) -> None:
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
        self.span_keys = span_row * BIG + g.starts.reshape(-1)[flat_valid] + OFFSET
        self.span_offset = torch.cumsum(g.deltas.masked_fill(~g.valid, 0), dim=1).reshape(-1)[
            flat_valid
        ]
        self.span_slots = g.valid.shape[1]
        self.slot_deltas = g.deltas.masked_fill(~g.valid, 0)
        self.windows: list[Windows] = []
        self.convs: list[ConvLayout] = []
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

    def _windows(self, t: int) -> Windows:
        """Cluster the edited spans at the tensor's forward radius and cut them to its cone."""
        spec = self.plan.tensors[t]
        g = self.geometry
        device = g.sites.device
        f = spec.forward
        lo = g.starts - f
        hi = g.ends - 1 + f
        run = torch.cummax(hi, dim=1).values
        previous = torch.cat([torch.full_like(run[:, :1], -FAR), run[:, :-1]], dim=1)
        new = (lo > previous + 1) & g.valid
        flat_valid = g.valid.reshape(-1)
        cluster = torch.cumsum(new.reshape(-1)[flat_valid].long(), 0) - 1
        n_clusters = int(new.sum())
        row = self.span_row
        c_lo = lo.reshape(-1)[flat_valid][new.reshape(-1)[flat_valid]]
        c_hi = torch.full((n_clusters,), -FAR, dtype=torch.long, device=device)
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
        keys = owner * BIG + w_lo + OFFSET
        keys, order = torch.sort(keys)
        owner, w_lo, w_hi = owner[order], w_lo[order], w_hi[order]
        length = w_hi - w_lo + 1
        offset = torch.cumsum(length, 0) - length
        return Windows(owner, w_lo, w_hi, offset, keys, int(length.sum()))

    def _offset_at(self, row: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Reference offset of clean edited positions ``pos`` of sequences ``row``."""
        shift = self.geometry.shift[row]
        if self.span_keys.numel() == 0:
            return shift
        if self.span_slots <= _FEW_SLOTS:  # a few slots: summing beats a binary search
            g = self.geometry
            for s in range(self.span_slots):
                after = g.starts[:, s][row] <= pos
                shift = shift + torch.where(after, self.slot_deltas[:, s][row], 0)
            return shift
        idx = torch.searchsorted(self.span_keys, row * BIG + pos + OFFSET, right=True) - 1
        safe = idx.clamp(min=0)
        same = (idx >= 0) & (self.span_row[safe] == row)
        return shift + torch.where(same, self.span_offset[safe], torch.zeros_like(shift))

    def _lookup(self, t: int, owner: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Rows of ``[cache_t | 0 | values_t]`` holding tensor ``t`` at edited ``pos``.

        ``owner`` is the owner in tensor ``t``'s own terms (sequence or sequence-site pair);
        ``pos`` lies on its grid.
        """
        spec = self.plan.tensors[t]
        win = self.windows[t]
        if spec.joint:  # origin 0, stride 1
            step = pos
        else:
            step = torch.div(pos - self._origin(t)[owner], spec.stride, rounding_mode="floor")
        row = self._owner_row(t, owner)
        reference = pos - self._offset_at(row, pos)
        cache_row = reference - (self.core_lo - (self.plan.receptive - spec.forward))
        if win.keys.numel() == 0:
            return cache_row
        query = owner * BIG + step + OFFSET
        idx = torch.searchsorted(win.keys, query, right=True) - 1
        safe = idx.clamp(min=0)
        # the window found holds the query iff the query is not past its last key
        last_key = win.keys + (win.hi - win.lo)
        hit = (idx >= 0) & (query <= last_key[safe])
        first = self.cache_len[t] + 1  # row of the first computed value
        return torch.where(hit, (win.offset - win.lo + first)[safe] + step, cache_row)

    def _site_queries(self, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        sites = self.geometry.sites.reshape(-1)
        pair = torch.arange(sites.numel(), device=sites.device)
        owner = pair // self.k if self.plan.tensors[t].joint else pair
        return owner, sites

    def _conv(self, conv: ConvSpec) -> ConvLayout:
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
        rows = 1
        if stride == 1 and length.numel() > 1:
            # windows of (nearly) one length: a batch of rows, without the junk between them
            width = int(length.max())
            if length.numel() * (width - span + 1) <= out_len:
                rows = length.numel()
                index = torch.arange(rows, device=length.device)
                start, win.offset = index * width, index * (width - span + 1)
                total, out_len = rows * width, rows * (width - span + 1)
        device = win.lo.device
        gather = torch.full((total,), self.cache_len[conv.src], dtype=torch.long, device=device)
        grid = dst.stride // conv.ratio  # step of the gathering grid, in positions
        origin = self._origin(conv.dst)[win.owner]
        # per input column: its window's values spread with repeat_interleave, plus a ramp
        first = torch.cumsum(length, 0) - length
        ramp = torch.arange(int(length.sum()), device=device)
        pos = torch.repeat_interleave(
            origin + grid * (conv.ratio * win.lo - reach - first), length) + grid * ramp
        src_owner = win.owner // self.k if src.joint and not dst.joint else win.owner
        src_owner = torch.repeat_interleave(src_owner, length)
        column = torch.repeat_interleave(start - first, length) + ramp
        gather[column] = self._lookup(conv.src, src_owner, pos)
        residual = None
        n_out = win.hi - win.lo + 1
        if conv.second:
            h = 2 * conv.unit
            residual = torch.full(
                (out_len,),
                self.cache_len[h],
                dtype=torch.long,
                device=device,
            )
            first = torch.cumsum(n_out, 0) - n_out
            ramp = torch.arange(int(n_out.sum()), device=device)
            pos = torch.repeat_interleave(
                origin + dst.stride * (win.lo - first), n_out) + dst.stride * ramp
            h_owner = win.owner // self.k if plan.tensors[h].joint and not dst.joint \
                else win.owner
            h_owner = torch.repeat_interleave(h_owner, n_out)
            column = torch.repeat_interleave(win.offset - first, n_out) + ramp
            residual[column] = self._lookup(h, h_owner, pos)
        win.columns = out_len
        return ConvLayout(gather, residual, stride, int(n_out.sum()), out_len, rows)
