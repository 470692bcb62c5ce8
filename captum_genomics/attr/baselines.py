"""Reference sequences (baselines) for attribution methods on one-hot DNA.

Every baseline is resolved to one tensor of shape (N, K, 4, L): K references for
each of the N inputs. Expected integrated gradients averages over the K
references, so a single baseline is simply K = 1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from captum_genomics._validate import check_int
from captum_genomics.dna.codec import check_one_hot, nearest_sequences, to_ncl
from captum_genomics.dna.shuffle import dinucleotide_shuffle

__all__ = ["BASELINE_NAMES", "BaselineSpec", "make_baselines", "nearest_sequences"]

#: The named baselines of :func:`make_baselines`.
BASELINE_NAMES = ("uniform", "zeros", "shuffle")

BaselineSpec = str | float | int | torch.Tensor | np.ndarray | Callable[[torch.Tensor], object]


def make_baselines(
    baselines: BaselineSpec,
    inputs: torch.Tensor,
    n_shuffles: int = 20,
    seed: int | np.random.Generator | None = 0,
    layout: str = "NCL",
) -> torch.Tensor:
    """Resolve a baseline specification into K references per input.

    Parameters
    ----------
    baselines : str, float, torch.Tensor, numpy.ndarray or callable
        - ``"uniform"``: every column 0.25 (the least informative point of the
          simplex; the deepG study default). K = 1.
        - ``"zeros"``: all-zero columns (Captum's default). K = 1.
        - ``"shuffle"``: ``n_shuffles`` dinucleotide-shuffled copies of each
          input, drawn uniformly (see :func:`captum_genomics.dinucleotide_shuffle`).
          K = ``n_shuffles``. An input that is not one-hot is shuffled as the
          sequence :func:`nearest_sequences` reads in it (see Notes).
        - a number: a constant baseline. K = 1.
        - a tensor in ``layout`` of shape (4, L) / (L, 4), (1, ...) or (N, ...) for
          one reference, or (N, K, ...) for K references per input.
        - a callable taking ``inputs`` (in ``layout``) and returning any tensor
          of the shapes above.
        - a 1-tuple holding any of these (Captum's form, used by ``NoiseTunnel``).
    inputs : torch.Tensor, shape (N, 4, L) or (N, L, 4)
        The inputs to explain, in ``layout``.
    n_shuffles : int, default 20
        Number of shuffled references per input for ``"shuffle"``.
    seed : int, numpy.random.Generator or None, default 0
        Randomness of ``"shuffle"``; the same seed gives the same references of a
        sequence whatever the batch it is in.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of ``inputs`` and of any tensor baseline.

    Returns
    -------
    torch.Tensor, shape (N, K, 4, L)
        References in (N, 4, L) layout, on the device and dtype of ``inputs``.

    Raises
    ------
    ValueError
        Unknown name, or a tensor whose shape fits none of the accepted forms.

    Notes
    -----
    Captum's ``NoiseTunnel`` and ``sensitivity_max`` call the explainer on noisy copies
    ``x + e`` of one-hot inputs. Their shuffled references are those of the sequence
    nearest to ``x + e``, column by column (:func:`nearest_sequences`: the most likely
    sequence under Gaussian noise). A sequence's shuffles depend only on the seed and its
    letters, so every noisy copy that decodes to its clean input gets exactly the clean
    input's references. A base column decodes to itself while the noise leaves it nearer
    to it than to any other column (within 0.43 of it: half the distance to the all-0.25
    N column), and N columns keep one encoding per sequence, that of most of them. With
    NoiseTunnel ``stdevs`` of 0.05, a base column decodes wrongly about once in 10**17.
    """
    x = check_one_hot(inputs, layout=layout)
    return resolve_baselines(baselines, x, inputs, n_shuffles, seed, layout)


def resolve_baselines(
    baselines: BaselineSpec,
    x: torch.Tensor,
    inputs: object,
    n_shuffles: int,
    seed: int | np.random.Generator | None,
    layout: str,
) -> torch.Tensor:
    """:func:`make_baselines` on inputs that were already validated.

    Parameters
    ----------
    baselines : str, float, torch.Tensor, numpy.ndarray, callable or 1-tuple
        As in :func:`make_baselines`.
    x : torch.Tensor, shape (N, 4, L)
        The inputs as :func:`captum_genomics.check_one_hot` returns them.
    inputs : torch.Tensor or numpy.ndarray, shape (N, 4, L) or (N, L, 4)
        The same inputs as the caller gave them (what a callable baseline receives).
    n_shuffles, seed, layout
        As in :func:`make_baselines`.

    Returns
    -------
    torch.Tensor, shape (N, K, 4, L)
    """
    n, _, length = x.shape
    if isinstance(baselines, tuple):
        if len(baselines) != 1:
            raise ValueError(
                f"a tuple of baselines must hold one entry for the one input, got {len(baselines)}"
            )
        (baselines,) = baselines
    if isinstance(baselines, str):
        if baselines == "uniform":
            return torch.full((n, 1, 4, length), 0.25, dtype=x.dtype, device=x.device)
        if baselines == "zeros":
            return torch.zeros((n, 1, 4, length), dtype=x.dtype, device=x.device)
        if baselines == "shuffle":
            n_shuffles = check_int(n_shuffles, "n_shuffles")
            return dinucleotide_shuffle(nearest_sequences(x), n_shuffles, seed=seed)
        raise ValueError(
            f"unknown baseline {baselines!r}; choose one of {BASELINE_NAMES}, "
            "a number, a tensor or a callable"
        )
    if isinstance(baselines, (int, float)) and not isinstance(baselines, bool):
        return torch.full((n, 1, 4, length), float(baselines), dtype=x.dtype, device=x.device)
    if callable(baselines) and not isinstance(baselines, (torch.Tensor, np.ndarray)):
        baselines = baselines(inputs)
    if isinstance(baselines, np.ndarray):
        baselines = torch.from_numpy(baselines)
    if not isinstance(baselines, torch.Tensor):
        raise TypeError(
            f"baselines must be a name, a number, a tensor or a callable, "
            f"got {type(baselines).__name__}"
        )
    return _tensor_baselines(baselines.to(device=x.device, dtype=x.dtype), x, layout)


def _tensor_baselines(b: torch.Tensor, x: torch.Tensor, layout: str) -> torch.Tensor:
    """Bring a user tensor (in ``layout``) to shape (N, K, 4, L) in NCL."""
    n, _, length = x.shape
    shape_hint = "(4, L)" if layout == "NCL" else "(L, 4)"
    if b.dim() == 0:
        return b.expand(n, 1, 4, length).clone()
    if b.dim() == 2:
        b = b.unsqueeze(0)
    if b.dim() == 3:
        b = to_ncl(b, layout)
        if b.shape[1:] != x.shape[1:] or b.shape[0] not in (1, n):
            raise ValueError(
                f"baselines of shape {tuple(b.shape)} (as NCL) do not match inputs "
                f"{tuple(x.shape)}; give {shape_hint}, (1, ...), (N, ...) or (N, K, ...)"
            )
        return b.expand(n, *b.shape[1:]).unsqueeze(1)
    if b.dim() == 4:
        k = b.shape[1]
        b = to_ncl(b.reshape(-1, *b.shape[2:]), layout).reshape(b.shape[0], k, 4, -1)
        if b.shape[0] not in (1, n) or b.shape[2:] != x.shape[1:]:
            raise ValueError(
                f"baselines of shape (N, K, ...) = {tuple(b.shape)} (as NCL) do not "
                f"match inputs {tuple(x.shape)}"
            )
        return b.expand(n, *b.shape[1:])
    raise ValueError(
        f"baselines must have 0, 2, 3 or 4 dimensions, got shape {tuple(b.shape)}"
    )
