"""Captum's ``inputs``, ``target`` and ``additional_forward_args`` arguments, read the same
way by every explainer of this package."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def single_input(inputs: Any, explainer: str) -> tuple[Any, bool]:
    """The one-hot tensor of ``inputs`` and whether it came as Captum's 1-tuple.

    Captum's wrappers (``NoiseTunnel``, ``sensitivity_max``) may pass the inputs as a tuple
    of tensors; the explainers of this package explain one tensor and answer a 1-tuple with
    a 1-tuple.

    Parameters
    ----------
    inputs : torch.Tensor, numpy.ndarray or 1-tuple of one of them
        The ``inputs`` argument of an explainer's ``attribute``.
    explainer : str
        Name of the explainer, for the error message.

    Returns
    -------
    (inputs, as_tuple) : (torch.Tensor or numpy.ndarray, bool)

    Raises
    ------
    TypeError
        For a tuple of more or fewer than one entry.
    """
    if not isinstance(inputs, tuple):
        return inputs, False
    if len(inputs) != 1:
        raise TypeError(
            f"{explainer} explains one one-hot tensor, got a tuple of {len(inputs)}; pass "
            "other model inputs through additional_forward_args"
        )
    return inputs[0], True


def forward_args_tuple(additional_forward_args: Any) -> tuple:
    """Captum-style ``additional_forward_args`` as a tuple: ``()`` for None, a tuple as given,
    anything else as a one-element tuple."""
    if additional_forward_args is None:
        return ()
    if isinstance(additional_forward_args, tuple):
        return additional_forward_args
    return (additional_forward_args,)


def per_example_targets(target: Any, n: int, device: torch.device | str = "cpu"
                        ) -> torch.Tensor | None:
    """Captum-style ``target`` as one index row per example.

    Parameters
    ----------
    target : None, int, tuple, list or torch.Tensor
        ``None`` (the model returns one score per example), an index or a tuple of indices
        after the batch axis shared by all examples, or a list / 1-d tensor of ``n`` of them.
    n : int
        Number of examples.
    device : torch.device or str, default "cpu"
        Device of the result.

    Returns
    -------
    torch.Tensor, shape (n, d), int64, or None
        Row ``i`` indexes example ``i``'s output after its batch axis.
    """
    if target is None:
        return None
    if isinstance(target, torch.Tensor):
        if target.numel() == 1:
            return torch.full((n, 1), int(target.item()), dtype=torch.long, device=device)
        if target.dim() == 1 and len(target) == n:
            return target.to(device=device, dtype=torch.long).view(n, 1)
        raise ValueError(
            f"a tensor target must hold one index or one per example ({n}), "
            f"got shape {tuple(target.shape)}"
        )
    if isinstance(target, (int, np.integer)):
        return torch.full((n, 1), int(target), dtype=torch.long, device=device)
    if isinstance(target, tuple):
        return torch.tensor([target] * n, dtype=torch.long, device=device).view(n, -1)
    if isinstance(target, list):
        if len(target) != n:
            raise ValueError(f"a list target needs one entry per example ({n}), got {len(target)}")
        rows = [tuple(t) if isinstance(t, (tuple, list)) else (t,) for t in target]
        if len({len(r) for r in rows}) != 1:
            raise ValueError("every entry of a list target must have the same length")
        return torch.tensor(rows, dtype=torch.long, device=device)
    raise TypeError(f"target must be an int, tuple, list or tensor, got {type(target).__name__}")


def select_targets(output: torch.Tensor, index: torch.Tensor | None) -> torch.Tensor:
    """One score per example from a model output.

    Parameters
    ----------
    output : torch.Tensor, shape (B, ...)
        Model output.
    index : torch.Tensor, shape (B, d), or None
        Rows of :func:`per_example_targets` for the B examples; None when the model already
        returns one score per example.

    Returns
    -------
    torch.Tensor, shape (B,)

    Raises
    ------
    ValueError
        When more than one value per example is left: the fix is a ``target=``.
    """
    if index is not None:
        shape = tuple(output.shape[1:])
        if index.shape[1] > len(shape):
            raise ValueError(
                f"target has {index.shape[1]} indices per example but the model output has "
                f"shape {tuple(output.shape)}: give at most {len(shape)}"
            )
        limits = torch.tensor(shape[: index.shape[1]], device=index.device)
        bad = (index >= limits) | (index < -limits)
        if bad.any():
            row = int(bad.any(dim=1).nonzero()[0])
            raise ValueError(
                f"target {tuple(index[row].tolist())} is out of range for a model output of "
                f"shape {tuple(output.shape)} (batch first)"
            )
        output = output[(torch.arange(len(output), device=output.device),)
                        + tuple(index.to(output.device).T)]
    flat = output.reshape(output.shape[0], -1)
    if flat.shape[1] != 1:
        raise ValueError(
            f"the selected model output has {flat.shape[1]} values per example; pass a "
            "target= that selects one (e.g. target=1 for (N, C) outputs, target=(1, 500) "
            "for (N, 3, L))"
        )
    return flat.reshape(-1)
