"""Scoring GGGP's edited sequences with a Captum-style forward function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from captum_genomics._validate import check_layout
from captum_genomics.attr._targets import per_example_targets, select_targets
from captum_genomics.dna.alphabet import n_value_of
from captum_genomics.dna.codec import codes_to_tensor, from_ncl
from captum_genomics.gggp.dataset import LocalDataset
from captum_genomics.gggp.population import EditBatch

__all__ = ["ForwardScorer", "dataset_one_hot"]


def _expand_args(args, n: int) -> tuple:
    if args is None:
        return ()
    args = args if isinstance(args, tuple) else (args,)
    return tuple(
        a.expand(n, *a.shape[1:])
        if isinstance(a, torch.Tensor) and a.dim() and a.shape[0] == 1
        else a
        for a in args
    )


def _callable_name(func) -> str:
    return str(getattr(func, "name", None) or getattr(func, "__name__", type(func).__name__))


class ForwardScorer:
    """Scores edited sequences with a Captum-style ``forward_func`` (the GGGP scorer hook).

    Parameters
    ----------
    forward_func : callable
        ``forward_func(x, *additional_forward_args)`` on one-hot ``x`` in ``layout``.
    target : int, tuple or None
        Output index per sequence (Captum's ``target`` for a single input).
    additional_forward_args : any, optional
        Extra arguments; tensors with batch size 1 are expanded to the batch.
    layout : {"NCL", "NLC"}
        Layout ``forward_func`` expects.
    n_value : float or {"zeros", "uniform"}
        Value of every channel at N, padding included (0 for SpliceAI, 0.25 for deepG).
    dtype, device : torch dtype and device
        Of the one-hot batches.
    name : str, optional
        Recorded in the provenance.

    Raises
    ------
    TypeError
        When called, if ``forward_func`` returns anything but a ``torch.Tensor`` (a numpy
        array, say); the message gives the wrapper to use.
    """

    def __init__(
        self,
        forward_func: Callable,
        target=None,
        additional_forward_args: Any = None,
        layout: str = "NCL",
        n_value: float | str = 0.0,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
        name: str | None = None,
    ) -> None:
        self.forward_func = forward_func
        self.target = target
        self.additional_forward_args = additional_forward_args
        self.layout = check_layout(layout)
        self.n_value = n_value_of(n_value)
        self.dtype = dtype
        self.device = device
        self.name = name or _callable_name(forward_func)

    def __call__(self, batch: EditBatch) -> np.ndarray:
        """``(n,)`` scores of the ``(n, W)`` edited sequences of ``batch``."""
        x = codes_to_tensor(batch.sequences, self.n_value, self.dtype, self.device, self.layout)
        with torch.no_grad():
            out = self.forward_func(x, *_expand_args(self.additional_forward_args, len(batch)))
        if not isinstance(out, torch.Tensor):
            raise TypeError(
                f"forward_func {self.name!r} returned {type(out).__module__}."
                f"{type(out).__name__}, not a torch.Tensor; return the model's tensor (for a "
                "numpy model wrap it: lambda x: torch.as_tensor(f(x.numpy())))"
            )
        index = per_example_targets(self.target, len(out), out.device)
        return select_targets(out, index).detach().cpu().double().numpy()


def dataset_one_hot(dataset: LocalDataset, layout: str = "NCL") -> torch.Tensor:
    """One-hot float32 tensor of a local dataset's sequences, ``(n, 4, W)`` or ``(n, W, 4)``
    (N all zero; shorter sequences right-padded with N)."""
    return from_ncl(torch.from_numpy(dataset.one_hot()), check_layout(layout))
