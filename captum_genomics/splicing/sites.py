"""Splice sites: the one coordinate frame, site kinds, exon reductions and their checks.

Coordinate frame
----------------
Every position in :mod:`captum_genomics.splicing` (heads, scorers, the incremental engine,
exon inputs) is a **0-based index into the model input**: the sequence the model reads,
flanks and N padding included.  The score at position ``i`` is the model's output for the base
at input index ``i``.  A SpliceAI-like model of context ``C`` reads ``C / 2`` bases on each side
of that base, so for an input of length ``L + C`` its output has ``L`` positions and

    input index ``i``  =  output index ``i - C / 2``.

Heads score one-hot tensors that carry their own flanks, so their positions must lie in
``C / 2 .. L + C / 2 - 1``; scorers read edited sequences as if padded with N beyond both
ends (SpliceAI's own padding), so any index of the sequence is scorable.  Either way the same
number names the same base: a head at position ``p`` of a reference and a scorer with its site
at ``p`` of the same (unedited) reference give the same probability.

Acceptors sit on the first exon base and donors on the last exon base, in transcript
orientation (reverse-complement minus-strand genes first).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

__all__ = [
    "REDUCTIONS",
    "SITE_CLASSES",
    "check_exons",
    "check_reduce",
    "model_context",
    "reduce_sites",
    "site_classes",
    "sites_read",
]

#: Output classes of SpliceAI by name.
SITE_CLASSES = {"neither": 0, "acceptor": 1, "donor": 2}

#: How an exon's acceptor and donor scores combine, and which of the two each reads.
REDUCTIONS = ("mean", "max", "min", "acceptor", "donor")
_READS = {"acceptor": (True, False), "donor": (False, True)}

Positions = int | Sequence[int] | Sequence[Sequence[int]] | np.ndarray | torch.Tensor


def site_classes(kinds: str | int | Sequence[str | int], k: int) -> list[int]:
    """Class index of each of ``k`` sites.

    Parameters
    ----------
    kinds : str, int or sequence of those, length k
        ``"acceptor"`` (1), ``"donor"`` (2) or ``"neither"`` (0); one value applies to all.
    k : int
        Number of sites.

    Returns
    -------
    list of int, length k
    """
    items = [kinds] * k if isinstance(kinds, (str, int)) else list(kinds)
    if len(items) != k:
        raise ValueError(f"got {len(items)} site kinds for {k} sites: give one, or one per site")
    out = []
    for item in items:
        if isinstance(item, str) and item in SITE_CLASSES:
            out.append(SITE_CLASSES[item])
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool) and 0 <= item < 3:
            out.append(int(item))
        else:
            raise ValueError(
                f"unknown site kind {item!r}: use 'acceptor', 'donor', 'neither' or 0, 1, 2"
            )
    return out


def check_reduce(reduce: str) -> str:
    """``reduce`` if it names one of :data:`REDUCTIONS`, else a ValueError."""
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
    return reduce


def sites_read(reduce: str) -> tuple[bool, bool]:
    """Which of (acceptor, donor) the reduction ``reduce`` reads, shape (2,)."""
    return _READS.get(check_reduce(reduce), (True, True))


def reduce_sites(acceptor, donor, reduce: str):
    """Exon scores from acceptor and donor scores, elementwise.

    Parameters
    ----------
    acceptor, donor : numpy.ndarray or torch.Tensor, same shape (...)
        Scores of each exon's acceptor and donor; the one ``reduce`` does not read (see
        :func:`sites_read`) may be None.
    reduce : {"mean", "max", "min", "acceptor", "donor"}
        Their mean, the larger, the smaller, or one of them.

    Returns
    -------
    numpy.ndarray or torch.Tensor, shape (...)
        Of the inputs' type; differentiable for tensors.
    """
    if check_reduce(reduce) in ("acceptor", "donor"):
        return acceptor if reduce == "acceptor" else donor
    if reduce == "mean":
        return (acceptor + donor) / 2
    tensors = isinstance(acceptor, torch.Tensor)
    if reduce == "max":
        return torch.maximum(acceptor, donor) if tensors else np.maximum(acceptor, donor)
    return torch.minimum(acceptor, donor) if tensors else np.minimum(acceptor, donor)


def model_context(model: nn.Module) -> int:
    """The model's context (input length minus output length), checked to be even.

    Parameters
    ----------
    model : torch.nn.Module
        A SpliceAI-like model exposing an even integer ``context``.

    Returns
    -------
    int
    """
    context = getattr(model, "context", None)
    if not isinstance(context, int) or isinstance(context, bool) or context < 0 or context % 2:
        raise TypeError(
            f"the model must be SpliceAI-like, exposing an even integer `context` (input length "
            f"minus output length), e.g. captum_genomics.models.load_spliceai(); "
            f"{type(model).__name__} has {context!r}"
        )
    return context


def as_positions(positions: Positions, name: str) -> torch.Tensor:
    """Integer positions as an int64 tensor of the same shape (floats and bools refused)."""
    t = torch.as_tensor(positions)
    if t.dtype == torch.bool or t.is_floating_point() or t.is_complex():
        raise TypeError(f"{name} must be integers (input positions), got dtype {t.dtype}")
    return t.long()


def check_input_positions(sites: torch.Tensor, context: int, length_in: int) -> None:
    """Raise unless every site has a full context in an input of ``length_in`` positions.

    Parameters
    ----------
    sites : torch.Tensor of int, any shape
        Input positions.
    context : int
        The model's context ``C``.
    length_in : int
        Input length ``L + C``.
    """
    half = context // 2
    outside = (sites < half) | (sites >= length_in - half)
    if bool(outside.any()):
        raise ValueError(
            f"site {sites[outside][0].item()} lies outside the input positions "
            f"{half}..{length_in - half - 1} that have {half} bases of context on each side "
            f"(output positions 0..{length_in - context - 1}: input position i is output "
            f"position i - {half}); pad the input with N to score positions nearer its ends"
        )


def check_exons(pairs):
    """``pairs`` if each (acceptor, donor) pair has the acceptor at or before the donor.

    Parameters
    ----------
    pairs : numpy.ndarray or torch.Tensor of int, shape (..., 2)
        (acceptor, donor) input positions.

    Returns
    -------
    numpy.ndarray or torch.Tensor, shape (..., 2)
        ``pairs`` itself.
    """
    swapped = pairs[..., 0] > pairs[..., 1]
    if bool(swapped.any()):
        raise ValueError(
            "each exon is (acceptor, donor) in transcript orientation, with the acceptor "
            "(first exon base) at or before the donor (last exon base), acceptor <= donor; got "
            f"{pairs[swapped][0].tolist()}. Swap them, or reverse-complement the input of a "
            "minus-strand gene"
        )
    return pairs
