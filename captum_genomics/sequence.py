"""DNA sequence handling: one-hot encoding, decoding, layouts, validation and FASTA regions.

One-hot tensors use the layout ``"NCL"`` = (N, 4, L) by default (PyTorch convolutions), with
channel order A, C, G, T. ``"NLC"`` = (N, L, 4) is the channels-last layout of Keras models
such as SpliceAI and deepG. :func:`check_one_hot` is the single validation point used by every
explainer in the package; it always returns the tensor as (N, 4, L).
"""

from __future__ import annotations

import atexit
import operator
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "ALPHABET",
    "LAYOUTS",
    "check_one_hot",
    "decode",
    "from_ncl",
    "one_hot",
    "one_hot_region",
    "read_region",
    "reverse_complement",
    "to_ncl",
]

ALPHABET = "ACGT"
LAYOUTS = ("NCL", "NLC")

N_POLICIES = ("zeros", "uniform")
LOWERCASE_POLICIES = ("accept", "error")
UNKNOWN_POLICIES = ("error", "n")


# Byte -> code: 0..3 = A, C, G, T; 4 = N; 5 = anything else (IUPAC ambiguity codes, gaps, ...).
_CODE_N = 4
_CODE_UNKNOWN = 5
_CODES = np.full(256, _CODE_UNKNOWN, dtype=np.uint8)
for _i, _b in enumerate(b"ACGTN"):
    _CODES[_b] = _i
    _CODES[_b + 32] = _i  # lowercase (soft-masked) letter
_IS_LOWER = np.zeros(256, dtype=bool)
_IS_LOWER[ord("a") : ord("z") + 1] = True

# Complements of the IUPAC nucleotide codes; upper and lower case, N stays N.
_IUPAC = "ACGTNRYSWKMBDHV"
_IUPAC_COMPLEMENT = "TGCANYRSWMKVHDB"
_RC_TABLE = str.maketrans(_IUPAC + _IUPAC.lower(), _IUPAC_COMPLEMENT + _IUPAC_COMPLEMENT.lower())
_RC_ALLOWED = frozenset(_IUPAC + _IUPAC.lower())


def _check_layout(layout: str) -> str:
    if not isinstance(layout, str) or layout not in LAYOUTS:
        raise ValueError(
            f"layout must be one of {LAYOUTS} ('NCL' = (N, 4, L), 'NLC' = (N, L, 4)), "
            f"got {layout!r}"
        )
    return layout


def _check_choice(value: str, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


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
    _check_layout(layout)
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
    _check_layout(layout)
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
    n_policy: str = "zeros",
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
    n_policy : {"zeros", "uniform"}, default "zeros"
        Encoding of N: an all-zero column (SpliceAI) or 0.25 in each channel (deepG).
    lowercase : {"accept", "error"}, default "accept"
        ``"accept"`` treats soft-masked (lowercase) bases as the same base; ``"error"``
        rejects any lowercase letter.
    unknown : {"error", "n"}, default "error"
        Any other character (IUPAC ambiguity codes such as R, Y, gaps, digits, ...):
        ``"error"`` raises, ``"n"`` encodes it as N following ``n_policy``.
    dtype : torch.dtype, default torch.float32
        Output dtype. ``n_policy="uniform"`` needs a floating dtype.
    device : torch.device or str, optional
        Output device; CPU when None. Only one byte per base is moved to the device.

    Returns
    -------
    torch.Tensor, shape (N, 4, L) or (N, L, 4)
        One-hot tensor with N = number of sequences (1 for a single str).

    Raises
    ------
    TypeError
        If ``sequences`` is not text, or ``dtype`` cannot hold 0.25 under ``"uniform"``.
    ValueError
        On an unknown policy or layout, empty input, sequences of different lengths, or a
        character the policies reject (the message names the character, the sequence index,
        its 0-based position and the policy that would accept it).
    """
    _check_layout(layout)
    _check_choice(n_policy, "n_policy", N_POLICIES)
    _check_choice(lowercase, "lowercase", LOWERCASE_POLICIES)
    _check_choice(unknown, "unknown", UNKNOWN_POLICIES)
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {dtype!r}")
    if n_policy == "uniform" and not dtype.is_floating_point:
        raise TypeError(f"n_policy='uniform' needs a floating dtype, got {dtype}")
    seqs = _as_sequence_list(sequences)
    n, length = len(seqs), len(seqs[0])

    # 'replace' maps each non-ASCII character to one b'?', which keeps positions aligned.
    raw = np.frombuffer("".join(seqs).encode("ascii", errors="replace"), dtype=np.uint8)
    codes = _CODES[raw]
    bad = codes == _CODE_UNKNOWN if unknown == "error" else None
    if lowercase == "error":
        is_lower = _IS_LOWER[raw]
        bad = is_lower if bad is None else bad | is_lower
    if bad is not None and bad.any():
        flat = int(bad.argmax())
        seq_i, pos = divmod(flat, length)
        char = seqs[seq_i][pos]
        fixes = []
        if codes[flat] == _CODE_UNKNOWN:
            fixes.append("unknown='n' (encode it as N)")
        if _IS_LOWER[raw[flat]] and lowercase == "error":
            fixes.append("lowercase='accept' (soft-masked bases count as the same base)")
        raise ValueError(
            f"invalid character {char!r} in sequence {seq_i} at position {pos} (0-based); "
            f"{int(bad.sum())} such character(s) in all. Pass " + " and ".join(fixes)
        )
    codes = np.minimum(codes, _CODE_N)  # unknown='n': unknown characters become N

    n_value = 0.25 if n_policy == "uniform" else 0.0
    table = torch.cat(
        [
            torch.eye(4, dtype=dtype, device=device),
            torch.full((1, 4), n_value, dtype=dtype, device=device),
        ]
    )
    index = torch.from_numpy(codes).to(table.device).int()
    if layout == "NLC":
        return torch.index_select(table, 0, index).reshape(n, length, 4)
    # Gathering from the (4, 5) transposed table writes each channel as one contiguous run.
    by_channel = torch.index_select(table.T.contiguous(), 1, index).reshape(4, n, length)
    return by_channel.permute(1, 0, 2).contiguous()


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
    _check_layout(layout)
    x = _as_tensor(x, "x")
    _check_shape(x, layout, "x")
    if x.is_complex():
        raise TypeError(f"x must be real-valued, got {x.dtype}")
    cols = to_ncl(x.detach(), layout).to(device="cpu", dtype=torch.float64).numpy()
    cols = cols.transpose(0, 2, 1)  # (N, L, 4)
    is_one, is_zero = cols == 1.0, cols == 0.0
    is_base = (is_one.sum(axis=-1) == 1) & (is_zero.sum(axis=-1) == 3)
    is_n = is_zero.all(axis=-1) | (cols == 0.25).all(axis=-1)
    invalid = ~(is_base | is_n)
    if invalid.any():
        seq_i, pos = (int(v) for v in np.argwhere(invalid)[0])
        raise ValueError(
            f"x is not one-hot: column at sequence {seq_i}, position {pos} holds "
            f"{cols[seq_i, pos].tolist()} (A, C, G, T); decodable columns are one-hot, all "
            f"zeros or all 0.25. {int(invalid.sum())} such column(s) in all"
        )
    letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
    chars = letters[np.where(is_n, 4, is_one.argmax(axis=-1))]
    return [row.tobytes().decode("ascii") for row in chars]


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
    _check_layout(layout)
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


# ---------------------------------------------------------------------------------------------
# FASTA regions

_REGION_RE = re.compile(r"^(?P<chrom>.+):(?P<start>[\d,]+)-(?P<end>[\d,]+)$")
_TEMP_INDEX_DIRS: dict[tuple[str, int, int], str] = {}


def _cleanup_temp_indexes() -> None:
    for path in _TEMP_INDEX_DIRS.values():
        shutil.rmtree(path, ignore_errors=True)
    _TEMP_INDEX_DIRS.clear()


atexit.register(_cleanup_temp_indexes)


def _index_path(fasta: Path) -> str:
    """Where pyfaidx should read or build the index of ``fasta``.

    Next to the FASTA when an up-to-date ``.fai`` is there or the directory is writable;
    otherwise in a private temporary directory kept for the life of the process.
    """
    beside = str(fasta) + ".fai"
    stat = fasta.stat()
    if os.path.exists(beside) and os.path.getmtime(beside) >= stat.st_mtime:
        return beside
    if os.access(fasta.parent, os.W_OK):
        return beside
    key = (str(fasta.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _TEMP_INDEX_DIRS:
        _TEMP_INDEX_DIRS[key] = tempfile.mkdtemp(prefix="captum_genomics_fai_")
    return os.path.join(_TEMP_INDEX_DIRS[key], fasta.name + ".fai")


def _open_fasta(fasta):
    """Return ``(pyfaidx.Fasta, owned)``; ``owned`` tells whether the caller must close it."""
    import pyfaidx

    if isinstance(fasta, pyfaidx.Fasta):
        return fasta, False
    if not isinstance(fasta, (str, os.PathLike)):
        raise TypeError(
            f"fasta must be a path or an open pyfaidx.Fasta, got {type(fasta).__name__}"
        )
    path = Path(fasta)
    if not path.is_file():
        raise ValueError(f"FASTA file not found: {path}")
    return pyfaidx.Fasta(str(path), indexname=_index_path(path), as_raw=True), True


def _parse_region(region) -> tuple[str, int, int]:
    if isinstance(region, str):
        match = _REGION_RE.match(region.strip())
        if match is None:
            raise ValueError(
                f"cannot parse region {region!r}; expected 'chrom:start-end' with 1-based "
                "inclusive coordinates, e.g. 'chr10:94000-95000' (commas allowed)"
            )
        chrom = match["chrom"]
        start = int(match["start"].replace(",", ""))
        end = int(match["end"].replace(",", ""))
        return chrom, start, end
    if isinstance(region, tuple) and len(region) == 3 and isinstance(region[0], str):
        try:
            return region[0], operator.index(region[1]), operator.index(region[2])
        except TypeError as err:
            raise TypeError(
                f"region {region!r}: start and end must be integers (1-based inclusive)"
            ) from err
    raise TypeError(
        "region must be a string 'chrom:start-end' or a tuple (chrom, start, end), 1-based "
        f"inclusive; got {region!r}"
    )


def _fetch(fa, region, strand: str, lowercase: str) -> str:
    chrom, start, end = _parse_region(region)
    _check_choice(strand, "strand", ("+", "-"))
    _check_choice(lowercase, "lowercase", LOWERCASE_POLICIES)
    if chrom not in fa.keys():
        names = list(fa.keys())
        shown = ", ".join(names[:20]) + (f", ... ({len(names)} in all)" if len(names) > 20 else "")
        raise ValueError(f"chromosome {chrom!r} is not in the FASTA; available: {shown}")
    chrom_length = len(fa[chrom])
    if start < 1:
        raise ValueError(f"region start must be >= 1 (coordinates are 1-based), got {start}")
    if start > end:
        raise ValueError(f"region start {start} is after its end {end}; swap them")
    if end > chrom_length:
        raise ValueError(
            f"region end {end} is beyond the end of {chrom!r}, which has length {chrom_length}"
        )
    seq = fa.faidx.fetch(chrom, start, end)
    seq = seq if isinstance(seq, str) else str(seq)
    if lowercase == "error":
        lower = _IS_LOWER[np.frombuffer(seq.encode("ascii", errors="replace"), dtype=np.uint8)]
        if lower.any():
            offset = int(lower.argmax())
            raise ValueError(
                f"lowercase (soft-masked) base {seq[offset]!r} at {chrom}:{start + offset} "
                f"({int(lower.sum())} in the region); pass lowercase='accept' to keep them"
            )
    return _reverse_complement_text(seq, f"{chrom}:{start}-{end}") if strand == "-" else seq


def read_region(fasta, region, strand: str = "+", lowercase: str = "accept") -> str:
    """Read one region of a FASTA file.

    Parameters
    ----------
    fasta : str, os.PathLike or pyfaidx.Fasta
        FASTA path or an open ``pyfaidx.Fasta``. For a path, the ``.fai`` index next to the
        file is used (and built if needed); when it is missing or stale and the directory is
        not writable, an index is built once per process in a temporary directory.
    region : str or tuple (str, int, int)
        ``"chr10:94000-95000"`` (commas allowed) or ``(chrom, start, end)``; 1-based,
        inclusive at both ends.
    strand : {"+", "-"}, default "+"
        ``"-"`` returns the reverse complement.
    lowercase : {"accept", "error"}, default "accept"
        ``"accept"`` returns soft-masked bases in lowercase as stored (``one_hot`` accepts
        them); ``"error"`` raises if the region holds any lowercase base.

    Returns
    -------
    str
        The ``end - start + 1`` bases, case as stored in the file.

    Raises
    ------
    ValueError
        On an unparsable region, an unknown chromosome (available ones listed), start < 1,
        start > end, an end beyond the chromosome (its length given), a bad strand, or a
        lowercase base under ``lowercase="error"``.
    TypeError
        If ``fasta`` or ``region`` has the wrong type.
    """
    fa, owned = _open_fasta(fasta)
    try:
        return _fetch(fa, region, strand, lowercase)
    finally:
        if owned:
            fa.close()


def one_hot_region(
    fasta, regions, strand="+", layout: str = "NCL", **one_hot_kwargs
) -> torch.Tensor:
    """Read FASTA regions and one-hot encode them.

    Parameters
    ----------
    fasta : str, os.PathLike or pyfaidx.Fasta
        FASTA path or open ``pyfaidx.Fasta`` (see :func:`read_region`).
    regions : str, tuple (str, int, int), or list of these
        One region or several regions of equal length, 1-based inclusive.
    strand : {"+", "-"} or list of them, default "+"
        One strand for all regions or one per region; ``"-"`` reverse-complements.
    layout : {"NCL", "NLC"}, default "NCL"
        Output layout.
    **one_hot_kwargs
        ``n_policy``, ``lowercase``, ``unknown``, ``dtype``, ``device`` of :func:`one_hot`.

    Returns
    -------
    torch.Tensor, shape (R, 4, L) or (R, L, 4)
        R = number of regions (1 for a single region), L = region length.

    Raises
    ------
    ValueError
        As :func:`read_region` and :func:`one_hot`; also when regions differ in length (the
        lengths are listed) or the number of strands does not match the number of regions.
    """
    single = isinstance(regions, str) or (
        isinstance(regions, tuple) and len(regions) == 3 and isinstance(regions[0], str)
    )
    region_list = [regions] if single else list(regions)
    if not region_list:
        raise ValueError("regions is empty; pass at least one region")
    strands = [strand] * len(region_list) if isinstance(strand, str) else list(strand)
    if len(strands) != len(region_list):
        raise ValueError(
            f"got {len(strands)} strands for {len(region_list)} regions; pass one strand or "
            "one per region"
        )
    lengths = [end - start + 1 for _, start, end in map(_parse_region, region_list)]
    if len(set(lengths)) > 1:
        listed = ", ".join(f"{r!r}: {n}" for r, n in list(zip(region_list, lengths))[:10])
        raise ValueError(
            f"regions differ in length ({listed}); use regions of one length or call "
            "one_hot_region separately"
        )
    lowercase = one_hot_kwargs.get("lowercase", "accept")
    fa, owned = _open_fasta(fasta)
    try:
        seqs = [_fetch(fa, r, s, lowercase) for r, s in zip(region_list, strands)]
    finally:
        if owned:
            fa.close()
    return one_hot(seqs, layout=layout, **one_hot_kwargs)
