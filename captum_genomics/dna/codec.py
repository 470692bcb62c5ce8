"""One-hot tensors of DNA: encoding and decoding through the alphabet table, layouts, checks.

One-hot tensors use the layout ``"NCL"`` = (N, 4, L) by default (PyTorch convolutions), with
channel order A, C, G, T. ``"NLC"`` = (N, L, 4) is the channels-last layout of Keras models
such as SpliceAI and deepG. :func:`check_one_hot` is the single validation point used by every
explainer in the package; it always returns the tensor as (N, 4, L). Text, codes and one-hot
columns are converted through the one table of :mod:`captum_genomics.dna.alphabet`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from captum_genomics._validate import LAYOUTS, check_choice, check_layout
from captum_genomics.dna.alphabet import (
    BASES,
    CODE_N,
    CODE_UNKNOWN,
    LETTERS,
    N_VALUES,
    check_codes,
    codes_to_text,
    is_lowercase,
    n_value_of,
    one_hot_table,
    one_hot_to_codes,
    text_to_codes,
)

__all__ = [
    "ALPHABET",
    "BASE_RADIUS",
    "LAYOUTS",
    "check_one_hot",
    "codes_to_tensor",
    "decode",
    "from_ncl",
    "nearest_sequences",
    "one_hot",
    "reverse_complement",
    "to_ncl",
]

#: The channel order of one-hot tensors.
ALPHABET = BASES

#: Distance of a base column to the all-0.25 N column, halved (sqrt(3) / 4): a column within
#: it of a base is nearer to that base than to any other base or N column.
BASE_RADIUS = 3**0.5 / 4

N_POLICIES = tuple(N_VALUES)
LOWERCASE_POLICIES = ("accept", "error")
UNKNOWN_POLICIES = ("error", "n")

# Complements of the IUPAC nucleotide codes; upper and lower case, N stays N.
_IUPAC = LETTERS + "RYSWKMBDHV"
_IUPAC_COMPLEMENT = "TGCANYRSWMKVHDB"
_RC_TABLE = str.maketrans(_IUPAC + _IUPAC.lower(), _IUPAC_COMPLEMENT + _IUPAC_COMPLEMENT.lower())
_RC_ALLOWED = frozenset(_IUPAC + _IUPAC.lower())


def to_ncl(x, layout: str):
    """Return a view of ``x`` in the (N, 4, L) layout.

    Parameters
    ----------
    x : torch.Tensor or numpy.ndarray, shape (N, 4, L) or (N, L, 4)
        Batch of one-hot (or attribution) tracks in ``layout``.
    layout : {"NCL", "NLC"}
        Layout of ``x``.

    Returns
    -------
    torch.Tensor or numpy.ndarray, shape (N, 4, L)
        ``x`` itself for ``"NCL"``, otherwise a permuted view (no copy).

    Raises
    ------
    ValueError
        If ``layout`` is not a known layout or ``x`` is not 3-D.
    """
    check_layout(layout)
    if x.ndim != 3:
        raise ValueError(f"expected a 3-D array in layout {layout!r}, got shape {tuple(x.shape)}")
    if layout == "NCL":
        return x
    return x.permute(0, 2, 1) if isinstance(x, torch.Tensor) else x.transpose(0, 2, 1)


def from_ncl(x, layout: str):
    """Return a view of an (N, 4, L) array in ``layout``.

    Parameters
    ----------
    x : torch.Tensor or numpy.ndarray, shape (N, 4, L)
        Batch in the package's default layout.
    layout : {"NCL", "NLC"}
        Wanted layout.

    Returns
    -------
    torch.Tensor or numpy.ndarray, shape (N, 4, L) or (N, L, 4)
        ``x`` itself for ``"NCL"``, otherwise a permuted view (no copy).

    Raises
    ------
    ValueError
        If ``layout`` is not a known layout or ``x`` is not 3-D.
    """
    # The (0, 2, 1) permutation is its own inverse.
    return to_ncl(x, layout)


def _check_shape(x: torch.Tensor, layout: str, name: str) -> None:
    """Check that ``x`` is 3-D with a size-4 channel axis where ``layout`` puts it."""
    shape = tuple(x.shape)
    expected = "(N, 4, L)" if layout == "NCL" else "(N, L, 4)"
    if x.ndim == 2 and 4 in shape:
        raise ValueError(
            f"{name} has shape {shape}, a single sequence without a batch axis; expected "
            f"{expected}. Add the batch axis with {name}.unsqueeze(0)."
        )
    if x.ndim != 3:
        raise ValueError(f"{name} must be 3-D {expected} (layout={layout!r}), got shape {shape}")
    channel_axis, length_axis = (1, 2) if layout == "NCL" else (2, 1)
    if shape[channel_axis] != 4:
        hint = ""
        if shape[length_axis] == 4:
            other, other_shape = ("NLC", "(N, L, 4)") if layout == "NCL" else ("NCL", "(N, 4, L)")
            hint = f"; it looks like {other_shape}: pass layout={other!r}"
        raise ValueError(
            f"{name} must have 4 channels (A, C, G, T) on axis {channel_axis} for "
            f"layout={layout!r} {expected}, got shape {shape}{hint}"
        )
    if shape[0] == 0 or shape[length_axis] == 0:
        raise ValueError(f"{name} is empty (shape {shape}); need N >= 1 and L >= 1")


def _as_tensor(x, name: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray):
        try:
            return torch.from_numpy(x)
        except TypeError as err:
            raise TypeError(f"{name} has numpy dtype {x.dtype}, which torch cannot hold") from err
    if isinstance(x, str) or (isinstance(x, (list, tuple)) and x and isinstance(x[0], str)):
        raise TypeError(f"{name} is text; encode it first with one_hot({name})")
    raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(x).__name__}")


def check_one_hot(x, layout: str = "NCL", name: str = "inputs") -> torch.Tensor:
    """Validate a batch of one-hot-like tracks and return it as (N, 4, L).

    This is the single validation point used by all explainers. Values need not be exactly
    one-hot: baselines, averaged inputs and interpolations are fractional.

    Parameters
    ----------
    x : torch.Tensor or numpy.ndarray, shape (N, 4, L) or (N, L, 4)
        Batch in ``layout``. NumPy arrays are converted with :func:`torch.from_numpy`
        (no copy, CPU).
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of ``x``.
    name : str, default "inputs"
        Name used in error messages.

    Returns
    -------
    torch.Tensor, shape (N, 4, L)
        ``x`` (a view for ``"NLC"``), same dtype and device.

    Raises
    ------
    TypeError
        If ``x`` is not a tensor/array or its dtype is not floating point.
    ValueError
        If ``x`` is not 3-D (a 2-D single sequence gets an ``unsqueeze(0)`` hint), has no
        size-4 channel axis for ``layout`` (with a hint when it matches the other layout),
        is empty, or holds NaN or infinite values.
    """
    check_layout(layout)
    x = _as_tensor(x, name)
    _check_shape(x, layout, name)
    if not x.is_floating_point():
        raise TypeError(f"{name} must have a floating dtype, got {x.dtype}; convert with x.float()")
    finite = torch.isfinite(x)
    if not bool(finite.all()):
        bad = (~to_ncl(finite, layout)).any(dim=1).nonzero()
        n_bad = int(bad.shape[0])
        seq, pos = (int(v) for v in bad[0])
        raise ValueError(
            f"{name} holds NaN or infinite values at {n_bad} position(s), first in sequence "
            f"{seq} at position {pos}"
        )
    return to_ncl(x, layout)


def _as_sequence_list(sequences) -> list[str]:
    if isinstance(sequences, str):
        seqs = [sequences]
    elif isinstance(sequences, (bytes, bytearray)):
        raise TypeError("sequences must be str, not bytes; decode them first, e.g. s.decode()")
    elif isinstance(sequences, Sequence) or isinstance(sequences, np.ndarray):
        seqs = list(sequences)
        for i, s in enumerate(seqs):
            if not isinstance(s, str):
                raise TypeError(f"sequences[{i}] must be str, got {type(s).__name__}")
    else:
        raise TypeError(
            f"sequences must be a str or a sequence of str, got {type(sequences).__name__}"
        )
    if not seqs:
        raise ValueError("sequences is an empty list; pass at least one sequence")
    lengths = sorted({len(s) for s in seqs})
    if len(lengths) > 1:
        shown = ", ".join(str(n) for n in lengths[:10]) + (", ..." if len(lengths) > 10 else "")
        raise ValueError(
            f"sequences have different lengths ({shown}); pad or trim them to one length "
            "(e.g. pad with 'N'), or encode them separately"
        )
    if lengths[0] == 0:
        raise ValueError("sequences are empty strings; each sequence needs at least one base")
    return seqs


def one_hot(
    sequences,
    layout: str = "NCL",
    n_policy: str | float = "zeros",
    lowercase: str = "accept",
    unknown: str = "error",
    dtype: torch.dtype = torch.float32,
    device=None,
) -> torch.Tensor:
    """One-hot encode DNA sequences.

    Parameters
    ----------
    sequences : str or sequence of str, each of length L
        DNA text over A, C, G, T, N. Several sequences must share one length.
    layout : {"NCL", "NLC"}, default "NCL"
        Output layout: (N, 4, L) or (N, L, 4). Channel order is A, C, G, T.
    n_policy : {"zeros", "uniform"} or float, default "zeros"
        Encoding of N: an all-zero column (SpliceAI), 0.25 in each channel (deepG), or the
        given value in each channel.
    lowercase : {"accept", "error"}, default "accept"
        ``"accept"`` treats soft-masked (lowercase) bases as the same base; ``"error"``
        rejects any lowercase letter.
    unknown : {"error", "n"}, default "error"
        Any other character (IUPAC ambiguity codes such as R, Y, gaps, digits, ...):
        ``"error"`` raises, ``"n"`` encodes it as N following ``n_policy``.
    dtype : torch.dtype, default torch.float32
        Output dtype. An N value other than 0 (``n_policy="uniform"``) needs a floating dtype.
    device : torch.device or str, optional
        Output device; CPU when None. Only one byte per base is moved to the device.

    Returns
    -------
    torch.Tensor, shape (N, 4, L) or (N, L, 4)
        One-hot tensor with N = number of sequences (1 for a single str).

    Raises
    ------
    TypeError
        If ``sequences`` is not text, ``n_policy`` is neither a name nor a number, or
        ``dtype`` is not floating while the N value is not 0.
    ValueError
        On an unknown policy or layout, a non-finite N value, empty input, sequences of
        different lengths, or a character the policies reject (the message names the
        character, the sequence index, its 0-based position and the policy that would
        accept it).
    """
    check_layout(layout)
    n_value = n_value_of(n_policy)
    check_choice(lowercase, "lowercase", LOWERCASE_POLICIES)
    check_choice(unknown, "unknown", UNKNOWN_POLICIES)
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {dtype!r}")
    if n_value != 0 and not dtype.is_floating_point:
        raise TypeError(f"n_policy={n_policy!r} needs a floating dtype, got {dtype}")
    seqs = _as_sequence_list(sequences)
    n, length = len(seqs), len(seqs[0])

    text = "".join(seqs)
    codes = text_to_codes(text)
    bad = codes == CODE_UNKNOWN if unknown == "error" else None
    if lowercase == "error":
        is_lower = is_lowercase(text)
        bad = is_lower if bad is None else bad | is_lower
    if bad is not None and bad.any():
        flat = int(bad.argmax())
        seq_i, pos = divmod(flat, length)
        char = seqs[seq_i][pos]
        fixes = []
        if codes[flat] == CODE_UNKNOWN:
            fixes.append("unknown='n' (encode it as N)")
        if lowercase == "error" and is_lower[flat]:
            fixes.append("lowercase='accept' (soft-masked bases count as the same base)")
        raise ValueError(
            f"invalid character {char!r} in sequence {seq_i} at position {pos} (0-based); "
            f"{int(bad.sum())} such character(s) in all. Pass " + " and ".join(fixes)
        )
    codes = np.minimum(codes, CODE_N)  # unknown='n': unknown characters become N
    return codes_to_tensor(codes.reshape(n, length), n_value, dtype, device, layout)


def decode(x, layout: str = "NCL") -> list[str]:
    """Decode one-hot tensors back to DNA text.

    Parameters
    ----------
    x : torch.Tensor or numpy.ndarray, shape (N, 4, L) or (N, L, 4)
        One-hot batch in ``layout`` (any real dtype, any device).
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of ``x``.

    Returns
    -------
    list of str, N strings of length L
        Uppercase text: a one-hot column gives its base; an all-zero column or a column of
        exactly 0.25 gives ``"N"``. ``decode(one_hot(s)) == s.upper()`` for ACGTN text.

    Raises
    ------
    TypeError
        If ``x`` is not a tensor/array.
    ValueError
        If ``x`` has the wrong shape, or a column is none of the above (for instance an
        attribution track); the message names the sequence and position.
    """
    check_layout(layout)
    x = _as_tensor(x, "x")
    _check_shape(x, layout, "x")
    if x.is_complex():
        raise TypeError(f"x must be real-valued, got {x.dtype}")
    columns = to_ncl(x.detach(), layout).to(device="cpu", dtype=torch.float64).numpy()
    codes, _ = one_hot_to_codes(columns)
    invalid = codes == CODE_UNKNOWN
    if invalid.any():
        seq_i, pos = (int(v) for v in np.argwhere(invalid)[0])
        raise ValueError(
            f"x is not one-hot: column at sequence {seq_i}, position {pos} holds "
            f"{columns[seq_i, :, pos].tolist()} (A, C, G, T); decodable columns are one-hot, "
            f"all zeros or all 0.25. {int(invalid.sum())} such column(s) in all"
        )
    return [codes_to_text(row) for row in codes]


def nearest_sequences(
    x: torch.Tensor, max_distance: float | None = None, name: str = "x"
) -> torch.Tensor:
    """The one-hot sequences nearest to ``x``, column by column.

    Each column is replaced by the nearest (Euclidean) of A, C, G, T, the all-zero N column
    and the all-0.25 N column; a sequence keeps one N encoding, that of most of its N
    columns (all-zero on a tie). One-hot inputs come back unchanged.

    Parameters
    ----------
    x : torch.Tensor, shape (N, 4, L)
        Floating point, e.g. one-hot sequences plus noise.
    max_distance : float, optional
        Refuse columns farther than this from the nearest of those six columns (``None``:
        read every column). :data:`BASE_RADIUS` is the radius within which a column is
        nearer to a base than to any other of them.

    Returns
    -------
    torch.Tensor, shape (N, 4, L)
        One-hot (with N columns), same dtype and device as ``x``.

    Raises
    ------
    ValueError
        If a column lies farther than ``max_distance`` from every sequence column; the
        message names the first such column.
    """
    # Squared distance to a column minus |x|^2, negated: 2 x_c - 1 for base c, 0 for the
    # all-zero column and sum(x) / 2 - 1/4 for the all-0.25 one; the nearest scores highest.
    scores = torch.cat([2 * x - 1, torch.zeros_like(x[:, :1]),
                        0.5 * x.sum(dim=1, keepdim=True) - 0.25], dim=1)
    best, nearest = scores.max(dim=1)  # (N, L): 0-3 bases, 4 all-zero N, 5 all-0.25 N
    if max_distance is not None:
        distance = ((x * x).sum(dim=1) - best).clamp(min=0).sqrt()
        far = distance > max_distance
        if bool(far.any()):
            seq_i, pos = (int(v) for v in far.nonzero()[0])
            raise ValueError(
                f"{name} is not a (noisy) one-hot sequence: column at sequence {seq_i}, position "
                f"{pos} holds {x[seq_i, :, pos].tolist()} (A, C, G, T), "
                f"{float(distance[seq_i, pos]):.3g} from the nearest of A, C, G, T and the "
                f"N columns (all 0 or all 0.25), farther than {max_distance:.3g}; "
                f"{int(far.sum())} such column(s) in all"
            )
    is_n = nearest >= CODE_N
    quarter = (nearest == CODE_N + 1).sum(dim=1) > (nearest == CODE_N).sum(dim=1)
    codes = torch.where(is_n, CODE_N, nearest)
    sequences = codes_to_tensor(codes, 0.0, dtype=x.dtype, device=x.device)
    return sequences.masked_fill_((is_n & quarter[:, None]).unsqueeze(1), 0.25)


def reverse_complement(x, layout: str = "NCL"):
    """Reverse-complement sequences, either as text or as one-hot tensors.

    Parameters
    ----------
    x : str, sequence of str, torch.Tensor or numpy.ndarray
        Text over the IUPAC nucleotide codes (case preserved, N stays N), or a batch of
        one-hot / attribution tracks of shape (N, 4, L) or (N, L, 4) in ``layout``.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of a tensor ``x``; ignored for text.

    Returns
    -------
    str, list of str or torch.Tensor
        Same kind as the input (a NumPy array comes back as a tensor). For a tensor both the
        channel axis (A<->T, C<->G) and the length axis are flipped; this is a copy.

    Raises
    ------
    TypeError
        If ``x`` is neither text nor a tensor/array.
    ValueError
        If text holds a character that is not an IUPAC nucleotide code, or a tensor has
        the wrong shape for ``layout``.
    """
    if isinstance(x, str):
        return _reverse_complement_text(x, "sequence")
    if isinstance(x, (list, tuple)) and all(isinstance(s, str) for s in x):
        return [_reverse_complement_text(s, f"sequence {i}") for i, s in enumerate(x)]
    check_layout(layout)
    x = _as_tensor(x, "x")
    _check_shape(x, layout, "x")
    # Channels are A, C, G, T, so reversing them complements; the two non-batch axes are
    # the channel and length axes in both layouts.
    return torch.flip(x, dims=(1, 2))


def _reverse_complement_text(s: str, what: str) -> str:
    extra = set(s) - _RC_ALLOWED
    if extra:
        char = min(extra, key=s.index)
        raise ValueError(
            f"{what} holds {char!r} at position {s.index(char)} (0-based), which is not an "
            f"IUPAC nucleotide code ({_IUPAC}, either case)"
        )
    return s.translate(_RC_TABLE)[::-1]



def codes_to_tensor(
    codes,
    n_value: float = 0.0,
    dtype: torch.dtype = torch.float32,
    device=None,
    layout: str = "NCL",
) -> torch.Tensor:
    """One-hot tensor of code arrays, shape (N, L) -> (N, 4, L) or (N, L, 4).

    Parameters
    ----------
    codes : numpy.ndarray or torch.Tensor of int, shape (N, L)
        Codes in 0..4 (:mod:`captum_genomics.dna.alphabet`).
    n_value : float, default 0.0
        Channel value of N columns (0 for SpliceAI, 0.25 for deepG).
    dtype : torch.dtype, default torch.float32
    device : torch.device or str, optional
        Output device; that of ``codes`` (CPU for numpy) when None. Only the codes move.
    layout : {"NCL", "NLC"}, default "NCL"

    Returns
    -------
    torch.Tensor, shape (N, 4, L) or (N, L, 4)

    Raises
    ------
    ValueError
        If a code lies outside 0..4, or ``layout`` is unknown.
    """
    check_layout(layout)
    index = codes if isinstance(codes, torch.Tensor) else torch.from_numpy(
        np.ascontiguousarray(codes))
    check_codes(index)
    device = index.device if device is None else torch.device(device)
    table = torch.as_tensor(one_hot_table(n_value, np.float64)).to(dtype=dtype, device=device)
    n, length = index.shape
    flat = index.reshape(-1).to(device).int()
    if layout == "NLC":
        return torch.index_select(table, 0, flat).reshape(n, length, 4)
    # Gathering from the (4, 5) transposed table writes each channel as one contiguous run.
    by_channel = torch.index_select(table.T.contiguous(), 1, flat).reshape(4, n, length)
    return by_channel.permute(1, 0, 2).contiguous()
