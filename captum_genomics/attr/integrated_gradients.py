"""Integrated gradients for one-hot DNA models."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from captum.attr import IntegratedGradients
from captum.attr._utils.approximation_methods import approximation_parameters
from captum.log import log_usage

from captum_genomics.aggregate import correct_gradients, hypothetical_scores, locus_scores
from captum_genomics.baselines import BaselineSpec, make_baselines
from captum_genomics.sequence import _check_layout, check_one_hot, from_ncl

AGGREGATES = (None, "sum", "abs_sum", "observed", "corrected", "hypothetical")


class GenomicIntegratedGradients(IntegratedGradients):
    r"""Integrated gradients for models of one-hot DNA, with genomic baselines.

    A drop-in :class:`captum.attr.IntegratedGradients` whose ``attribute`` also
    understands the references genomics needs (uniform 0.25, zeros,
    dinucleotide-shuffled sequences averaged as expected integrated gradients,
    any tensor or callable), both one-hot layouts, and per-locus aggregation.

    For K references :math:`b_k` per input the attribution is expected IG,

    .. math:: \phi(x) = \frac{1}{K}\sum_k (x - b_k) \odot \int_0^1
              \nabla F(b_k + \alpha (x - b_k))\, d\alpha ,

    so completeness reads :math:`\sum \phi = F(x) - \frac{1}{K}\sum_k F(b_k)`.

    Parameters
    ----------
    forward_func : callable
        The model, or any function taking the inputs (in ``layout``) followed by
        ``additional_forward_args`` and returning one score per example or an
        output tensor from which ``target`` selects one.
    multiply_by_inputs : bool, default True
        As in Captum: ``False`` returns the path-integrated gradients (the
        "global" attribution) instead of multiplying them by ``inputs - baselines``.
    layout : {"NCL", "NLC"}, default "NCL"
        Layout of the inputs the model takes: (N, 4, L) as PyTorch, or (N, L, 4)
        as deepG / Keras. Attributions are returned in the same layout.

    Notes
    -----
    Captum's wrappers (``NoiseTunnel``, ``captum.metrics.sensitivity_max``)
    validate ``baselines`` themselves before calling ``attribute``: there, leave
    ``baselines`` out (uniform 0.25), or pass a number (``0.25``, ``0``) or an
    (N, ...) tensor shaped like the inputs. Shuffled references are meaningless
    around noisy, non-one-hot inputs; compute them once with
    :func:`captum_genomics.dinucleotide_shuffle` if you need them.

    Examples
    --------
    >>> ig = GenomicIntegratedGradients(model)
    >>> x = one_hot(["ACGTTGCA" * 75])
    >>> attr, delta = ig.attribute(x, baselines="shuffle", n_shuffles=10, target=1,
    ...                            return_convergence_delta=True)
    >>> per_locus = ig.attribute(x, baselines="uniform", target=1, aggregate="sum")
    """

    def __init__(
        self,
        forward_func: Callable[..., torch.Tensor],
        multiply_by_inputs: bool = True,
        layout: str = "NCL",
    ) -> None:
        super().__init__(forward_func, multiply_by_inputs=multiply_by_inputs)
        self.layout = _check_layout(layout)

    @log_usage()
    def attribute(  # type: ignore[override]
        self,
        inputs: torch.Tensor,
        baselines: BaselineSpec = "uniform",
        target: Any = None,
        additional_forward_args: Any = None,
        n_steps: int = 50,
        method: str = "gausslegendre",
        internal_batch_size: int | None = None,
        return_convergence_delta: bool = False,
        n_shuffles: int = 20,
        seed: int | np.random.Generator | None = 0,
        layout: str | None = None,
        aggregate: str | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attribute the model's output to each base of each input.

        Parameters
        ----------
        inputs : torch.Tensor, shape (N, 4, L) or (N, L, 4)
            One-hot sequences in ``layout`` (fractional columns, e.g. 0.25 for N,
            are accepted). A 1-tuple holding the tensor is accepted too (as Captum
            wrappers pass it), and the attributions then come back as a 1-tuple.
        baselines : str, float, torch.Tensor or callable, default "uniform"
            ``"uniform"`` (0.25), ``"zeros"``, ``"shuffle"`` (``n_shuffles``
            uniform dinucleotide shuffles per input, expected IG), a number, a
            tensor of shape (4, L), (1, ...), (N, ...) or (N, K, ...) in
            ``layout``, or a callable returning one of those from ``inputs``.
            See :func:`captum_genomics.make_baselines`.
        target : int, tuple, list or torch.Tensor, optional
            Which output to explain, with Captum's meaning: an index (or tuple of
            indices) applied after the batch axis, or one per example. Must pick
            one scalar per example.
        additional_forward_args : any, optional
            Extra arguments for ``forward_func`` after the inputs; tensors whose
            first dimension is N are indexed per example, other values are
            passed unchanged.
        n_steps : int, default 50
            Number of points of the path integral.
        method : str, default "gausslegendre"
            Captum's quadrature: ``"gausslegendre"``, ``"riemann_left"``,
            ``"riemann_right"``, ``"riemann_middle"`` or ``"riemann_trapezoid"``.
        internal_batch_size : int, optional
            Largest number of sequences sent to the model at once (inputs ×
            references × steps); bounds memory. ``None`` sends everything in one
            batch, as Captum does.
        return_convergence_delta : bool, default False
            Also return, per example, ``sum(attributions) - (F(x) - mean_k F(b_k))``
            (Captum's sign convention), computed on the raw attributions.
        n_shuffles : int, default 20
            References per input for ``baselines="shuffle"``.
        seed : int, numpy.random.Generator or None, default 0
            Seed of the shuffled references.
        layout : {"NCL", "NLC"}, optional
            Overrides the explainer's layout for this call.
        aggregate : str, optional
            ``None``: per-base attributions shaped like ``inputs``.
            ``"sum"``: per-locus total, shape (N, L); sums to the completeness
            total. ``"abs_sum"``: its absolute value. ``"observed"``: the
            attribution at the observed base, shape (N, L).
            ``"corrected"``: per-locus total of the gradient-corrected
            attribution (Majdandzic et al. 2023: the mean over the four bases is
            removed from the path gradients before multiplying by
            ``inputs - baselines``), shape (N, L); equal to ``"sum"`` for any
            baseline whose columns sum to one, and it repairs the zero baseline.
            ``"hypothetical"``: the contribution each of the four bases would
            make at each position, ``(e_c - b) · g`` averaged over references,
            shaped like ``inputs`` (the observed entries equal ``"sum"``).

        Returns
        -------
        attributions : torch.Tensor
            Shape as described under ``aggregate``.
        delta : torch.Tensor, shape (N,)
            Only with ``return_convergence_delta=True``.
        """
        layout = self.layout if layout is None else _check_layout(layout)
        as_tuple = isinstance(inputs, tuple)
        if as_tuple:
            if len(inputs) != 1:
                raise TypeError(
                    "GenomicIntegratedGradients explains one one-hot tensor; pass other "
                    "model inputs through additional_forward_args"
                )
            (inputs,) = inputs
        if aggregate not in AGGREGATES:
            raise ValueError(f"unknown aggregate {aggregate!r}; choose one of {AGGREGATES}")
        if not isinstance(n_steps, int) or n_steps < 1:
            raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")
        if internal_batch_size is not None and internal_batch_size < 1:
            raise ValueError("internal_batch_size must be a positive integer or None")

        x = check_one_hot(inputs, layout=layout)
        refs = make_baselines(baselines, inputs, n_shuffles=n_shuffles, seed=seed, layout=layout)
        n, k = refs.shape[:2]
        targets = _per_example_targets(target, n, x.device)
        engine = _PathEngine(self.forward_func, layout, n, targets, additional_forward_args)

        step_sizes_func, alphas_func = approximation_parameters(method)
        step_sizes, alphas = step_sizes_func(n_steps), alphas_func(n_steps)
        grads = engine.path_gradients(x, refs, alphas, step_sizes, internal_batch_size)
        diff = x.unsqueeze(1) - refs  # (N, K, 4, L)
        raw = (diff * grads).mean(dim=1) if self.multiplies_by_inputs else grads.mean(dim=1)

        if aggregate is None:
            out = from_ncl(raw, layout)
        elif aggregate == "hypothetical":
            out = from_ncl(hypothetical_scores(grads.flatten(0, 1), refs.flatten(0, 1))
                           .view(n, k, 4, -1).mean(dim=1), layout)
        elif aggregate == "corrected":
            corrected = diff * correct_gradients(grads.flatten(0, 1)).view_as(grads)
            out = corrected.mean(dim=1).sum(dim=1)
        else:
            out = locus_scores(raw, method=aggregate, inputs=x)

        if as_tuple:
            out = (out,)
        if not return_convergence_delta:
            return out
        if not self.multiplies_by_inputs:
            raise ValueError(
                "return_convergence_delta needs multiply_by_inputs=True: completeness "
                "holds for attributions multiplied by inputs - baselines"
            )
        f_x = engine.scores(x, torch.arange(n, device=x.device), internal_batch_size)
        f_b = engine.scores(
            refs.flatten(0, 1), torch.arange(n, device=x.device).repeat_interleave(k),
            internal_batch_size,
        ).view(n, k)
        delta = raw.flatten(1).sum(dim=1) - (f_x - f_b.mean(dim=1))
        return out, delta

    def has_convergence_delta(self) -> bool:
        """Whether ``attribute`` can return a convergence delta (it can)."""
        return True


class _PathEngine:
    """Batched forward and gradient evaluation on (input, reference) pairs."""

    def __init__(
        self,
        forward_func: Callable[..., torch.Tensor],
        layout: str,
        n_examples: int,
        targets: torch.Tensor | None,
        additional_forward_args: Any,
    ) -> None:
        self.forward_func = forward_func
        self.layout = layout
        self.n_examples = n_examples
        self.targets = targets
        if additional_forward_args is None:
            self.args: tuple = ()
        elif isinstance(additional_forward_args, tuple):
            self.args = additional_forward_args
        else:
            self.args = (additional_forward_args,)

    def _run(self, batch_ncl: torch.Tensor, examples: torch.Tensor) -> torch.Tensor:
        args = tuple(
            a[examples.to(a.device)]
            if isinstance(a, torch.Tensor) and a.dim() > 0 and a.shape[0] == self.n_examples
            else a
            for a in self.args
        )
        output = self.forward_func(from_ncl(batch_ncl, self.layout), *args)
        if not isinstance(output, torch.Tensor):
            raise TypeError(f"forward_func must return a tensor, got {type(output).__name__}")
        if self.targets is not None:
            index = self.targets[examples]
            output = output[(torch.arange(len(examples), device=output.device),)
                            + tuple(index.to(output.device).T)]
        output = output.reshape(output.shape[0], -1) if output.dim() > 1 else output
        if output.dim() > 1 and output.shape[1] != 1:
            raise ValueError(
                f"the selected model output has {output.shape[1]} values per example; "
                "pass a target that selects one (e.g. target=1 or target=(1, 500))"
            )
        output = output.reshape(-1)
        if not torch.isfinite(output).all():
            raise ValueError(
                "forward_func returned NaN or infinite scores; check the model and "
                "the inputs (e.g. all-N sequences or a model in training mode)"
            )
        return output

    def scores(self, batch_ncl: torch.Tensor, examples: torch.Tensor, batch_size: int | None):
        """Model scores, shape (B,), for (B, 4, L) sequences of the given examples."""
        chunk = len(batch_ncl) if batch_size is None else batch_size
        with torch.no_grad():
            return torch.cat([
                self._run(batch_ncl[i:i + chunk], examples[i:i + chunk])
                for i in range(0, len(batch_ncl), chunk)
            ])

    def path_gradients(
        self,
        x: torch.Tensor,
        refs: torch.Tensor,
        alphas: list[float],
        step_sizes: list[float],
        batch_size: int | None,
    ) -> torch.Tensor:
        """Path-integrated gradients, shape (N, K, 4, L), one per (input, reference)."""
        n, k, _, length = refs.shape
        n_pairs, n_steps = n * k, len(alphas)
        rows = n_pairs * n_steps if batch_size is None else batch_size
        pairs_per_chunk = max(1, min(n_pairs, rows))
        steps_per_chunk = max(1, rows // pairs_per_chunk)
        alpha_t = torch.tensor(alphas, dtype=x.dtype, device=x.device)
        weight_t = torch.tensor(step_sizes, dtype=x.dtype, device=x.device)
        flat_refs = refs.reshape(n_pairs, 4, length)
        grads = torch.zeros_like(flat_refs)
        for p0 in range(0, n_pairs, pairs_per_chunk):
            pair = torch.arange(p0, min(p0 + pairs_per_chunk, n_pairs), device=x.device)
            example = pair // k
            start, diff = flat_refs[pair], x[example] - flat_refs[pair]
            for s0 in range(0, n_steps, steps_per_chunk):
                a = alpha_t[s0:s0 + steps_per_chunk]
                w = weight_t[s0:s0 + steps_per_chunk]
                # step-major rows, as Captum orders them
                points = (start.unsqueeze(0) + a.view(-1, 1, 1, 1) * diff.unsqueeze(0))
                points = points.reshape(-1, 4, length).detach().requires_grad_(True)
                with torch.enable_grad():
                    out = self._run(points, example.repeat(len(a)))
                    (g,) = torch.autograd.grad(out.sum(), points)
                grads[pair] += (g.view(len(a), len(pair), 4, length)
                                * w.view(-1, 1, 1, 1)).sum(dim=0)
        return grads.view(n, k, 4, length)


def _per_example_targets(target: Any, n: int, device: torch.device) -> torch.Tensor | None:
    """Captum-style ``target`` as a (N, d) index tensor (None for no target)."""
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
        rows = [t if isinstance(t, tuple) else (t,) for t in target]
        if len({len(r) for r in rows}) != 1:
            raise ValueError("every entry of a list target must have the same length")
        return torch.tensor(rows, dtype=torch.long, device=device)
    raise TypeError(f"target must be an int, tuple, list or tensor, got {type(target).__name__}")

