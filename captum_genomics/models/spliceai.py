"""SpliceAI (Jaganathan et al., Cell 2019) in PyTorch: the 80, 400, 2,000 and 10,000-nt contexts.

The network reads one-hot DNA of shape (N, 4, L + context) (channels A, C, G, T; N is an
all-zero column) and returns, for the L central positions, the probabilities of three
classes: 0 = neither, 1 = acceptor, 2 = donor.

Every dilated convolution is computed without padding ("valid"), cropping the residual and
skip paths to match. The original Keras model pads ("same") and crops context / 2 positions at
the end; the kept positions never see the padding, so both give the same numbers while this
one skips the work on positions that are cropped anyway. When one output position is asked
for (an input of exactly context + 1), each residual unit also runs only on the positions that
position depends on: a dilation-d convolution feeding a stride-s set of positions needs only
the gcd(d, s) polyphase component of its input (see ``SpliceAI.macs``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SpliceAI", "SpliceAIEnsemble", "SPLICEAI_CONTEXTS", "check_one_hot_input"]

#: Residual-unit kernel widths and dilations of SpliceAI-10k; shorter contexts keep a prefix.
_KERNEL_SIZES = (11,) * 8 + (21,) * 4 + (41,) * 4
_DILATIONS = (1,) * 4 + (4,) * 4 + (10,) * 4 + (25,) * 4
_UNITS_PER_SKIP = 4
_CHANNELS = 32
_BN_EPS = 1e-3
_BN_MOMENTUM = 0.01  # Keras momentum 0.99

#: Supported contexts (total flank, nt) and their number of residual units.
SPLICEAI_CONTEXTS = {80: 4, 400: 8, 2000: 12, 10000: 16}


def check_one_hot_input(x: torch.Tensor, context: int, reference: torch.Tensor) -> torch.Tensor:
    """Validate a one-hot batch for a model with ``context`` flanking positions.

    Parameters
    ----------
    x : torch.Tensor, shape (N, 4, L + context)
        One-hot DNA, channels A, C, G, T. Boolean or integer tensors are converted to the
        model's floating dtype; floating tensors must already have it.
    context : int
        Number of input positions beyond the output length (context / 2 on each side).
    reference : torch.Tensor
        A parameter of the model, giving the expected device and dtype.

    Returns
    -------
    torch.Tensor, shape (N, 4, L + context)
        ``x``, in the model's dtype.

    Raises
    ------
    ValueError
        If the shape is not (N, 4, L + context) with L >= 1.
    TypeError
        If ``x`` is not a tensor, or is a floating tensor of another dtype.
    RuntimeError
        If ``x`` is on another device than the model.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor of shape (N, 4, L + {context}), got {type(x)}")
    if x.dim() != 3 or x.shape[1] != 4:
        hint = (
            " It looks channels-last (N, L, 4): pass x.transpose(1, 2)."
            if x.dim() == 3 and x.shape[-1] == 4
            else ""
        )
        raise ValueError(
            f"expected one-hot input of shape (N, 4, L + {context}) with channels A, C, G, T, "
            f"got shape {tuple(x.shape)}.{hint}"
        )
    if x.shape[2] <= context:
        raise ValueError(
            f"input length {x.shape[2]} is too short: this model needs context + L = "
            f"{context} + L positions for L >= 1 outputs (at least {context + 1}); pad each "
            f"side with {context // 2} N (all-zero columns) to score every input position"
        )
    if x.device != reference.device:
        raise RuntimeError(
            f"input is on {x.device} but the model is on {reference.device}: "
            f"call model.to({str(x.device)!r}) or x.to({str(reference.device)!r})"
        )
    if not x.is_floating_point():
        return x.to(reference.dtype)
    if x.dtype != reference.dtype:
        raise TypeError(
            f"input dtype {x.dtype} differs from the model's {reference.dtype}: "
            f"call x.to({reference.dtype}) or model.to({x.dtype})"
        )
    return x


def channels_last_kernel(weight: torch.Tensor) -> torch.Tensor:
    """A ``(out, in, width)`` Conv1d kernel as a channels-last ``(out, in, 1, width)`` Conv2d
    kernel (oneDNN's faster layout on CPUs)."""
    return weight[:, :, None].contiguous(memory_format=torch.channels_last)


def _bn_affine(bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode BatchNorm as a per-channel ``(scale, shift)``."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


class _ResidualUnit(nn.Module):
    """BN -> ReLU -> dilated conv -> BN -> ReLU -> dilated conv, plus the cropped identity.

    Parameters
    ----------
    kernel_size : int
        Odd convolution width W.
    dilation : int
        Dilation AR; each convolution trims AR * (W - 1) / 2 positions per side.
    """

    def __init__(self, kernel_size: int, dilation: int) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.bn1 = nn.BatchNorm1d(_CHANNELS, eps=_BN_EPS, momentum=_BN_MOMENTUM)
        self.conv1 = nn.Conv1d(_CHANNELS, _CHANNELS, kernel_size, dilation=dilation)
        self.bn2 = nn.BatchNorm1d(_CHANNELS, eps=_BN_EPS, momentum=_BN_MOMENTUM)
        self.conv2 = nn.Conv1d(_CHANNELS, _CHANNELS, kernel_size, dilation=dilation)
        # Modules, not functions, so Captum's DeepLift and DeepLiftShap apply their rules.
        self.act1 = nn.ReLU()
        self.act2 = nn.ReLU()

    @property
    def trim(self) -> int:
        """Positions removed from each side by the unit (two valid convolutions)."""
        return self.dilation * (self.kernel_size - 1)

    def folded(self) -> tuple[torch.Tensor, ...]:
        """The unit's eval-mode parameters for channels-last inference.

        Returns
        -------
        tuple of torch.Tensor
            ``(scale1, shift1, weight1, bias1, weight2, bias2)``: the first BatchNorm as a
            ``(32,)`` scale and shift; the first convolution with the second BatchNorm folded
            in (it is affine in eval mode, so ``relu(bn2(conv1(a)))`` becomes
            ``relu(conv(a, weight1, bias1))``) and the second convolution, as channels-last
            ``(32, 32, 1, W)`` kernels (:func:`channels_last_kernel`) with ``(32,)`` biases.
        """
        scale1, shift1 = _bn_affine(self.bn1)
        scale2, shift2 = _bn_affine(self.bn2)
        return (scale1, shift1,
                channels_last_kernel(self.conv1.weight * scale2[:, None, None]),
                self.conv1.bias * scale2 + shift2,
                channels_last_kernel(self.conv2.weight), self.conv2.bias)

    def forward(self, h: torch.Tensor, stride: int = 1, out_step: int = 1) -> torch.Tensor:
        """Apply the unit to a sequence sampled every ``stride`` positions.

        Parameters
        ----------
        h : torch.Tensor, shape (N, 32, M)
            Trunk activations at positions p0, p0 + stride, ...; ``stride`` divides the dilation.
        stride : int
            Sampling step of ``h`` in original positions.
        out_step : int
            Keep every ``out_step``-th output only (the second convolution runs strided), for
            a next layer that reads the output at a coarser step.

        Returns
        -------
        torch.Tensor, shape (N, 32, ceil((M - 2 * trim / stride) / out_step))
        """
        dilation = self.dilation // stride
        y = F.conv1d(self.act1(self.bn1(h)), self.conv1.weight, self.conv1.bias, dilation=dilation)
        y = F.conv1d(self.act2(self.bn2(y)), self.conv2.weight, self.conv2.bias, dilation=dilation,
                     stride=out_step)
        cut = self.trim // stride
        return y + h[..., cut : h.shape[-1] - cut : out_step]


class SpliceAI(nn.Module):
    """SpliceAI for one context size; forward returns class probabilities.

    Parameters
    ----------
    context : int
        Total flank in nt, one of 80, 400, 2000, 10000 (SpliceAI-80nt ... SpliceAI-10k).
        The input has ``context`` more positions than the output, half on each side.

    Attributes
    ----------
    context : int
        As given.
    conv_in, skip_in : torch.nn.Conv1d
        Width-1 convolutions starting the trunk and the skip accumulator.
    units : torch.nn.ModuleList
        The residual units (4, 8, 12 or 16).
    skips : torch.nn.ModuleList
        Width-1 convolutions adding the trunk into the skip accumulator after every 4 units.
    conv_out : torch.nn.Conv1d
        Width-1 convolution to the three class logits.

    Notes
    -----
    BatchNorm uses eps 1e-3 as in Keras. Freshly built weights are random: load trained ones
    with :func:`captum_genomics.models.load_spliceai`. The model is meant for inference
    (``eval()``); in training mode BatchNorm statistics cover only the positions computed.
    In eval mode without autograd (``torch.no_grad()``) and without forward hooks, the forward
    runs on channels-last activations with each unit's second BatchNorm folded into its first
    convolution: the same numbers up to float rounding (about 1e-7), faster on CPUs.

    Examples
    --------
    >>> model = SpliceAI(context=80).eval()
    >>> model(torch.zeros(2, 4, 80 + 7)).shape
    torch.Size([2, 3, 7])
    """

    def __init__(self, context: int = 10000) -> None:
        super().__init__()
        if context not in SPLICEAI_CONTEXTS:
            raise ValueError(
                f"context must be one of {sorted(SPLICEAI_CONTEXTS)} (nt of flank), got {context!r}"
            )
        n_units = SPLICEAI_CONTEXTS[context]
        self.context = context
        self.conv_in = nn.Conv1d(4, _CHANNELS, 1)
        self.skip_in = nn.Conv1d(_CHANNELS, _CHANNELS, 1)
        self.units = nn.ModuleList(
            _ResidualUnit(w, d) for w, d in zip(_KERNEL_SIZES[:n_units], _DILATIONS[:n_units])
        )
        self.skips = nn.ModuleList(
            nn.Conv1d(_CHANNELS, _CHANNELS, 1) for _ in range(n_units // _UNITS_PER_SKIP)
        )
        self.conv_out = nn.Conv1d(_CHANNELS, 3, 1)
        self.softmax = nn.Softmax(dim=1)
        # Sampling stride of each unit's input when a single output position is computed.
        strides = []
        stride = 0
        for unit in reversed(self.units):
            stride = math.gcd(unit.dilation, stride)
            strides.append(stride)
        self._single_strides = tuple(reversed(strides))

    def extra_repr(self) -> str:
        return f"context={self.context}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities (neither, acceptor, donor) of the central positions.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L + context)
            One-hot DNA, channels A, C, G, T, on the model's device.

        Returns
        -------
        torch.Tensor, shape (N, 3, L)
            Softmax over the class axis.
        """
        return self.softmax(self.logits(x))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Pre-softmax class scores of the central positions.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L + context)
            One-hot DNA, channels A, C, G, T, on the model's device.

        Returns
        -------
        torch.Tensor, shape (N, 3, L)
            ``softmax(logits(x), dim=1) == forward(x)``.
        """
        x = check_one_hot_input(x, self.context, self.conv_in.weight)
        if x.shape[-1] == self.context + 1:
            return self._logits_single(x)
        if not torch.is_grad_enabled() and not self.training and not self._hooked():
            return self._logits_inference(x)
        return self._logits_all(x)

    def _hooked(self) -> bool:
        """Whether a forward hook could observe a submodule (then the modules must run)."""
        if nn.modules.module._global_forward_hooks or \
                nn.modules.module._global_forward_pre_hooks:
            return True
        return any(m._forward_hooks or m._forward_pre_hooks for m in self.modules())

    def _logits_inference(self, x: torch.Tensor) -> torch.Tensor:
        # _logits_all without autograd or hooks: channels-last (N, 32, 1, L) activations (faster
        # oneDNN kernels) and each unit's second BatchNorm folded into its first convolution;
        # equal to _logits_all up to float rounding.
        def conv(h, layer):
            return F.conv2d(h, channels_last_kernel(layer.weight), layer.bias)

        h = conv(x[:, :, None].contiguous(memory_format=torch.channels_last), self.conv_in)
        skip = conv(h, self.skip_in)
        for i, unit in enumerate(self.units):
            scale1, shift1, weight1, bias1, weight2, bias2 = unit.folded()
            a = torch.addcmul(shift1[:, None, None], h, scale1[:, None, None]).relu_()
            y = F.conv2d(a, weight1, bias1, dilation=(1, unit.dilation)).relu_()
            h = F.conv2d(y, weight2, bias2, dilation=(1, unit.dilation)).add_(
                h[..., unit.trim : h.shape[-1] - unit.trim])
            if (i + 1) % _UNITS_PER_SKIP == 0:
                cut = (skip.shape[-1] - h.shape[-1]) // 2
                skip = skip[..., cut : cut + h.shape[-1]]
                skip = skip + conv(h, self.skips[i // _UNITS_PER_SKIP])
        return conv(skip, self.conv_out)[:, :, 0].contiguous()

    def _logits_all(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(x)
        skip = self.skip_in(h)
        for i, unit in enumerate(self.units):
            h = unit(h)
            if (i + 1) % _UNITS_PER_SKIP == 0:
                cut = (skip.shape[-1] - h.shape[-1]) // 2
                skip = skip[..., cut : cut + h.shape[-1]] + self.skips[i // _UNITS_PER_SKIP](h)
        return self.conv_out(skip)

    def _logits_single(self, x: torch.Tensor) -> torch.Tensor:
        # Input length context + 1: each unit runs on the polyphase component holding the
        # centre, and skip contributions are taken at the centre only.
        h = self.conv_in(x)
        centre = self.context // 2
        skip = self.skip_in(h[..., centre : centre + 1])
        h = h[..., :: self._single_strides[0]]
        steps = self._single_strides[1:] + self._single_strides[-1:]
        for i, (unit, stride, next_stride) in enumerate(zip(self.units, self._single_strides,
                                                           steps)):
            h = unit(h, stride, next_stride // stride)
            if (i + 1) % _UNITS_PER_SKIP == 0:
                mid = h.shape[-1] // 2
                skip = skip + self.skips[i // _UNITS_PER_SKIP](h[..., mid : mid + 1])
        return self.conv_out(skip)

    def macs(self, length: int) -> int:
        """Multiply-accumulates of one forward per sequence (BatchNorm and ReLU excluded).

        Parameters
        ----------
        length : int
            Output length L (the input has L + context positions).

        Returns
        -------
        int
            Convolution multiply-accumulates for one sequence.
        """
        if length < 1:
            raise ValueError(f"output length must be >= 1, got {length}")
        c = _CHANNELS
        n = length + self.context
        single = length == 1
        total = 4 * c * n + c * c * (1 if single else n) + 3 * c * length
        strides = self._single_strides if single else (1,) * len(self.units)
        if single:
            n = (n - 1) // strides[0] + 1
        for i, unit in enumerate(self.units):
            stride, step = strides[i], strides[min(i + 1, len(strides) - 1)] // strides[i]
            per_conv = unit.trim // stride // 2
            first = n - 2 * per_conv  # first convolution's outputs
            n = (n - 4 * per_conv - 1) // step + 1  # second's, kept every step-th
            total += c * c * unit.kernel_size * (first + n)
            if (i + 1) % _UNITS_PER_SKIP == 0:
                total += c * c * (1 if single else n)
        return total


class SpliceAIEnsemble(nn.Module):
    """Mean of the softmax outputs of several SpliceAI models of one context.

    Parameters
    ----------
    members : sequence of SpliceAI
        The models; all must share one context.

    Attributes
    ----------
    members : torch.nn.ModuleList
    context : int
    """

    def __init__(self, members: Sequence[SpliceAI]) -> None:
        super().__init__()
        members = list(members)
        if not members:
            raise ValueError("an ensemble needs at least one SpliceAI member")
        for m in members:
            if not isinstance(m, SpliceAI):
                raise TypeError(f"ensemble members must be SpliceAI modules, got {type(m)}")
        contexts = {m.context for m in members}
        if len(contexts) != 1:
            raise ValueError(f"ensemble members must share one context, got {sorted(contexts)}")
        self.members = nn.ModuleList(members)
        self.context = members[0].context

    def extra_repr(self) -> str:
        return f"context={self.context}, members={len(self.members)}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mean of the members' class probabilities.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L + context)
            One-hot DNA, channels A, C, G, T, on the model's device.

        Returns
        -------
        torch.Tensor, shape (N, 3, L)
        """
        total = self.members[0](x)
        for member in self.members[1:]:
            total = total + member(x)
        return total / len(self.members)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Log of the mean class probabilities, so that softmax of it gives ``forward(x)``.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L + context)
            One-hot DNA, channels A, C, G, T, on the model's device.

        Returns
        -------
        torch.Tensor, shape (N, 3, L)
        """
        logp = torch.stack([torch.log_softmax(m.logits(x), dim=1) for m in self.members])
        return torch.logsumexp(logp, dim=0) - math.log(len(self.members))

    def macs(self, length: int) -> int:
        """Multiply-accumulates of one forward per sequence, summed over members.

        Parameters
        ----------
        length : int
            Output length L.

        Returns
        -------
        int
        """
        return sum(m.macs(length) for m in self.members)
