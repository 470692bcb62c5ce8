"""One-hot tensors of DNA: encoding and decoding through the alphabet table, layouts, checks."""

from __future__ import annotations

import numpy as np
import torch

from captum_genomics.dna.alphabet import one_hot_table

__all__ = ["codes_to_tensor"]


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
    """
    index = codes if isinstance(codes, torch.Tensor) else torch.from_numpy(
        np.ascontiguousarray(codes))
    device = index.device if device is None else torch.device(device)
    table = torch.as_tensor(one_hot_table(n_value, np.float64)).to(dtype=dtype, device=device)
    n, length = index.shape
    flat = index.reshape(-1).to(device=device, dtype=torch.int64)
    if layout == "NLC":
        return torch.index_select(table, 0, flat).reshape(n, length, 4)
    # Gathering from the (4, 5) transposed table writes each channel as one contiguous run.
    by_channel = torch.index_select(table.T.contiguous(), 1, flat).reshape(4, n, length)
    return by_channel.permute(1, 0, 2).contiguous()
