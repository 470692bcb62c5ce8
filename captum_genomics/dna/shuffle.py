"""Exact uniform k-let shuffles of one-hot DNA (Altschul-Erickson / ushuffle setting).

A k-let shuffle of a sequence keeps the count of every k-let (every substring of length k)
and the first and last k - 1 letters. :func:`kmer_shuffle` draws each shuffle uniformly
from *all* sequences that share these, with the algorithm of Kandel et al. (1996), as
generalised to k-lets by ushuffle (Jiang et al. 2008, BMC Bioinformatics 9:192):

1. Build the multigraph whose vertices are the (k-1)-mers of the sequence and whose edges
   are its k-let instances (an edge leaves the (k-1)-mer prefix of the k-let and enters its
   suffix). The sequence is an Eulerian trail from the first to the last (k-1)-mer.
2. Draw a uniform random last-exit arborescence rooted at the last (k-1)-mer with Wilson's
   loop-erased random walk; every step picks one of the current vertex's outgoing edge
   instances uniformly.
3. Make each vertex's tree edge its last exit and put its other exits in uniformly random
   order.
4. Walk from the first (k-1)-mer, leaving every vertex by its next unused exit.

All (sequence, shuffle) pairs are drawn together: steps 2 and 4 loop over walk steps, each
a few numpy operations across all pairs, never over pairs or positions. Step 3 is done
lazily during the walk (at each visit a Fisher-Yates draw among the vertex's remaining
non-tree exits), which gives the same uniform exit orders.

Shortcuts that leave the distribution unchanged: a vertex whose non-loop exits all lead to
one vertex ("forced") has that edge in every arborescence, so Wilson's walks start only
from the other vertices and cross forced chains in one jump; and a step that comes straight
back to the current vertex (a self-loop, or an exit whose forced chain leads back) closes a
loop that loop erasure removes at once, so each step is drawn uniformly among the other
exit instances. Uniform choices use double-precision uniforms, ``floor(u * m)``, so each is
uniform up to a relative error of ``m * 2**-53``.

Randomness is counter-based: walk r of a sequence reads its uniforms from a SplitMix64
stream keyed by the seed, a hash of the sequence's letters and r. A sequence's shuffles
therefore depend on the seed and on the sequence alone, not on the rest of the batch, its
position in it or how many shuffles are drawn (the first m of n are the same for any n).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from captum_genomics._validate import check_int
from captum_genomics.dna._kmer_walks import (
    KmerGraph,
    shuffle_letters,
    single_arrangement,
    walk_keys,
)
from captum_genomics.dna.alphabet import CODE_N, CODE_UNKNOWN, one_hot_to_codes

__all__ = ["ShuffleWarning", "dinucleotide_shuffle", "kmer_shuffle"]

SeedLike = int | np.integer | np.random.Generator | None


class ShuffleWarning(UserWarning):
    """Some sequences have a single arrangement with their k-let counts and end letters.

    Every shuffle of such a sequence is the sequence itself (for example ``"ACGT" * 10`` or
    ``"A" * 30`` with k = 2, or any sequence shorter than k), so the shuffles returned for it
    are copies of the input. The message names the sequence indices.
    """


def dinucleotide_shuffle(x, n: int, seed: SeedLike = 0):
    """Uniform dinucleotide-preserving shuffles; ``kmer_shuffle(x, 2, n, seed)``.

    Parameters
    ----------
    x : torch.Tensor or numpy.ndarray, shape (N, 4, L)
        One-hot sequences, channels A, C, G, T. N columns are all 0 or all 0.25.
    n : int
        Shuffles per sequence, at least 1.
    seed : int, numpy.random.Generator or None, default 0
        Randomness; the same int gives the same shuffles.

    Returns
    -------
    torch.Tensor or numpy.ndarray, shape (N, n, 4, L)
        Same type, dtype and device as ``x``. See :func:`kmer_shuffle`.
    """
    return kmer_shuffle(x, 2, n, seed=seed)


def kmer_shuffle(x, k: int, n: int, seed: SeedLike = 0):
    """Draw k-let-preserving shuffles uniformly, ``n`` per sequence.

    Each shuffle of a sequence is drawn independently and uniformly from all sequences with
    the same k-let counts and the same first and last k - 1 letters (k = 1: a uniform
    permutation of the letters; k = 2: dinucleotide shuffle).

    Parameters
    ----------
    x : torch.Tensor or numpy.ndarray, shape (N, 4, L)
        One-hot sequences, channels A, C, G, T, on any device, any real or bool dtype.
        A column that is all 0 or all 0.25 is an N; N is shuffled as a fifth letter, so the
        counts of k-lets containing N are kept too, and its output columns use the input's
        encoding. One sequence must encode all its N the same way.
    k : int
        k-let length, at least 1.
    n : int
        Shuffles per sequence, at least 1.
    seed : int, numpy.random.Generator or None, default 0
        Randomness. The shuffles of a sequence depend only on the seed and the sequence:
        the same int (or a generator in the same state) gives the same shuffles of it in
        any batch and at any position, and ``out[i, :m]`` is the same for every n >= m.
        Equal sequences in one batch therefore get equal shuffles. A generator is
        advanced by one draw; None draws fresh entropy.

    Returns
    -------
    torch.Tensor or numpy.ndarray, shape (N, n, 4, L)
        Same type, dtype and device as ``x``; ``out[i, j]`` is the j-th shuffle of ``x[i]``.
        Sequences whose only arrangement is themselves (L < k included) get ``n`` copies of
        the input and a :class:`ShuffleWarning` naming them.

    Raises
    ------
    TypeError
        If ``x`` is neither a torch tensor nor a numpy array, is complex, or if ``k``,
        ``n`` or ``seed`` has the wrong type.
    ValueError
        If ``x`` is not (N, 4, L) with L >= 1, a column is neither one-hot nor N (the
        message names it), a sequence mixes the two N encodings, or ``k`` or ``n`` < 1.

    Notes
    -----
    The graph is built and walked with numpy on the CPU (a CUDA input is copied there
    once); the output is assembled on the input's device.

    Examples
    --------
    >>> x = torch.eye(4)[torch.tensor([[0, 1, 2, 3, 0, 1, 2, 2, 3, 1, 0, 3, 2, 0]])]
    >>> kmer_shuffle(x.transpose(1, 2), 2, n=5, seed=0).shape
    torch.Size([1, 5, 4, 14])
    """
    k = check_int(k, "k")
    n = check_int(n, "n")
    letters, quarter_n = _decode(x)
    keys = walk_keys(letters, n, _seed_key(seed))
    n_seq, length = letters.shape
    shuffled = np.empty((n_seq, n, length), dtype=np.uint8)
    graph = None
    if length < k:
        fixed = np.ones(n_seq, dtype=bool)
    elif k == 1:
        fixed = (letters == letters[:, :1]).all(axis=1)
    elif n_seq:
        graph = KmerGraph(letters, k)
        fixed = single_arrangement(graph)
    else:
        fixed = np.zeros(0, dtype=bool)
    free = np.flatnonzero(~fixed)
    if 0 < free.size == n_seq:
        shuffle_letters(letters, k, keys, shuffled, graph)
    elif free.size:
        part = np.empty((free.size, n, length), dtype=np.uint8)
        shuffle_letters(letters[free], k, keys[free], part)
        shuffled[free] = part
    shuffled[fixed] = letters[fixed, None, :]
    if fixed.any():
        warnings.warn(
            f"sequences {np.flatnonzero(fixed).tolist()} have a single arrangement with "
            f"their {k}-let counts and first and last {k - 1} letters; their {n} shuffles "
            "are copies of the input",
            ShuffleWarning,
            stacklevel=2,
        )
    return _assemble(x, shuffled, quarter_n)


def _seed_key(seed: SeedLike) -> np.uint64:
    """One 64-bit key: a generator's next draw (``default_rng(seed)``'s for an int or None)."""
    if isinstance(seed, np.random.Generator):
        return seed.integers(0, 2**64, dtype=np.uint64)
    if seed is None or (
        isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_))
    ):
        return np.random.default_rng(seed).integers(0, 2**64, dtype=np.uint64)
    raise TypeError(
        f"seed must be an int, a numpy.random.Generator or None, got {type(seed).__name__}"
    )


def _decode(x) -> tuple[np.ndarray, np.ndarray]:
    """Letter codes of a one-hot batch.

    Parameters
    ----------
    x : torch.Tensor or numpy.ndarray, shape (N, 4, L)

    Returns
    -------
    letters : numpy.ndarray, shape (N, L), uint8
        0-3 for A, C, G, T and 4 for N.
    quarter_n : numpy.ndarray, shape (N,), bool
        Whether the sequence encodes N as 0.25 columns (else as all-zero columns).
    """
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError("x must be real, got a complex tensor")
        host = x.detach().cpu()
        if host.dtype == torch.bfloat16:
            host = host.float()
        arr = host.numpy()
    elif isinstance(x, np.ndarray):
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_) or np.iscomplexobj(x):
            raise TypeError(f"x must have a real or bool dtype, got {x.dtype}")
        arr = x
    else:
        raise TypeError(
            f"x must be a torch.Tensor or numpy.ndarray of shape (N, 4, L), got {type(x).__name__}"
        )
    if arr.ndim != 3:
        raise ValueError(f"x must be 3-D with shape (N, 4, L), got shape {tuple(arr.shape)}")
    if arr.shape[1] != 4:
        if arr.shape[2] == 4:
            raise ValueError(
                f"x has shape {tuple(arr.shape)}, which looks like (N, L, 4); transpose it to "
                "(N, 4, L) or use layout (captum_genomics.dna.codec.to_ncl(x, 'NLC'))"
            )
        raise ValueError(f"x must have 4 channels on axis 1, (N, 4, L); got {tuple(arr.shape)}")
    if arr.shape[2] == 0:
        raise ValueError("x has empty sequences (L == 0); there is nothing to shuffle")
    letters, quarter = one_hot_to_codes(arr)
    bad = letters == CODE_UNKNOWN
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"x[{i}, :, {j}] = {arr[i, :, j].tolist()} is not a one-hot column (one 1, three "
            f"0) nor an N column (all 0 or all 0.25); {int(bad.sum())} such columns in all. "
            "Encode sequences with captum_genomics.dna.codec.one_hot"
        )
    zero_n = (letters == CODE_N) & ~quarter
    mixed = zero_n.any(axis=1) & quarter.any(axis=1)
    if mixed.any():
        raise ValueError(
            f"sequences {np.flatnonzero(mixed).tolist()} mix all-zero and all-0.25 N columns; "
            "encode N one way within a sequence"
        )
    return letters, quarter.any(axis=1)


def _assemble(x, shuffled: np.ndarray, quarter_n: np.ndarray):
    """One-hot encode shuffled letter codes like ``x``.

    Parameters
    ----------
    x : torch.Tensor or numpy.ndarray, shape (N, 4, L)
        The input; gives type, dtype and device.
    shuffled : numpy.ndarray, shape (N, n, L), uint8
        Letter codes 0-4.
    quarter_n : numpy.ndarray, shape (N,), bool
        Sequences whose N columns are 0.25 (else all-zero).

    Returns
    -------
    torch.Tensor or numpy.ndarray, shape (N, n, 4, L)
    """
    quarter = None
    if quarter_n.any():
        quarter = (shuffled == CODE_N) & quarter_n[:, None, None]
    shape = (*shuffled.shape[:2], 4, shuffled.shape[2])
    if isinstance(x, torch.Tensor):
        out = torch.empty(shape, dtype=x.dtype, device=x.device)
        try:
            host = out.numpy()
        except (RuntimeError, TypeError):  # CUDA tensor, or a dtype numpy lacks
            codes = torch.from_numpy(shuffled).to(x.device).unsqueeze(2)
            channels = torch.arange(4, dtype=torch.uint8, device=x.device).view(4, 1)
            out.copy_(codes == channels)
            if quarter is not None:
                out.masked_fill_(torch.from_numpy(quarter).to(x.device).unsqueeze(2), 0.25)
            return out
    else:
        out = host = np.empty(shape, dtype=x.dtype)
    # One channel at a time writes straight into the output dtype (no bool temporary).
    for c in range(4):
        np.equal(shuffled, c, out=host[:, :, c], casting="unsafe")
        if quarter is not None:
            np.copyto(host[:, :, c], 0.25, where=quarter)
    return out
