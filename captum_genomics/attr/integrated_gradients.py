"""Integrated gradients for one-hot DNA models.

Besides Captum's fixed quadratures, :class:`GenomicIntegratedGradients` offers

- adaptive step refinement to a completeness tolerance (``completeness_tol``), reusing every
  gradient already computed;
- a windowed mode for models with a finite receptive field (``window``, ``receptive_field``),
  which runs the model only on the input positions that can reach the explained outputs;
- activation checkpointing of ``torch.nn.Sequential`` bodies (``checkpoint_segments``), which
  trades one extra forward per step for a much smaller peak memory on long inputs.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from captum.attr import IntegratedGradients
from captum.attr._utils.approximation_methods import approximation_parameters
from captum.log import log_usage
from torch import nn
from torch.utils.checkpoint import checkpoint_sequential
from tqdm.auto import tqdm

from captum_genomics._validate import check_layout
from captum_genomics.aggregate import correct_gradients, hypothetical_scores, locus_scores
from captum_genomics.attr._targets import per_example_targets, select_targets
from captum_genomics.baselines import BaselineSpec, make_baselines
from captum_genomics.dna.codec import check_one_hot, from_ncl

AGGREGATES = (None, "sum", "abs_sum", "observed", "corrected", "hypothetical")
#: Quadratures of ``method`` without ``completeness_tol`` (Captum's).
FIXED_METHODS = (
    "gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid",
)
#: Quadratures of ``method`` with ``completeness_tol`` (nested: refining reuses every point).
NESTED_METHODS = ("adaptive_simpson", "riemann_trapezoid")
#: Points of the first grid of the nested rules, fewer if ``n_steps`` is smaller.
_FIRST_GRID = 9
#: Share of the summed local errors that the panels split in one refinement round carry.
_SPLIT_SHARE = 0.5
#: Narrowest interval that is still split (2**-20 of the path).
_MIN_WIDTH = 2.0 ** -20


class GenomicIntegratedGradients(IntegratedGradients):
    r"""Integrated gradients for models of one-hot DNA, with genomic baselines.

    A drop-in :class:`captum.attr.IntegratedGradients` whose ``attribute`` also
    understands the references genomics needs (uniform 0.25, zeros,
    dinucleotide-shuffled sequences averaged as expected integrated gradients,
    any tensor or callable), both one-hot layouts, per-locus aggregation,
    adaptive steps, windowed evaluation and activation checkpointing.

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

    Attributes
    ----------
    last_n_steps : torch.Tensor or None, shape (N, K)
        Points of the path at which the gradient was evaluated for each (input,
        reference) pair in the last ``attribute`` call (``n_steps`` for the fixed
        rules; fewer where ``completeness_tol`` was met early). ``None`` before the
        first call.

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
    >>> adaptive = ig.attribute(x, target=1, completeness_tol=1e-3, n_steps=65)
    >>> ig.last_n_steps  # points used per (input, reference) pair  # doctest: +SKIP
    """

    def __init__(
        self,
        forward_func: Callable[..., torch.Tensor],
        multiply_by_inputs: bool = True,
        layout: str = "NCL",
    ) -> None:
        super().__init__(forward_func, multiply_by_inputs=multiply_by_inputs)
        self.layout = check_layout(layout)
        self.last_n_steps: torch.Tensor | None = None

    @log_usage()
    def attribute(  # type: ignore[override]
        self,
        inputs: torch.Tensor,
        baselines: BaselineSpec = "uniform",
        target: Any = None,
        additional_forward_args: Any = None,
        n_steps: int = 50,
        method: str | None = None,
        internal_batch_size: int | None = None,
        return_convergence_delta: bool = False,
        n_shuffles: int = 20,
        seed: int | np.random.Generator | None = 0,
        layout: str | None = None,
        aggregate: str | None = None,
        completeness_tol: float | None = None,
        window: int | tuple[int, int] | None = None,
        receptive_field: int | tuple[int, int] | None = None,
        checkpoint_segments: int | None = None,
        show_progress: bool = False,
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
            one scalar per example. With ``window``, it indexes the output once the
            position axis has been summed over the window.
        additional_forward_args : any, optional
            Extra arguments for ``forward_func`` after the inputs; tensors whose
            first dimension is N are indexed per example, other values are
            passed unchanged.
        n_steps : int, default 50
            Number of points of the path integral; with ``completeness_tol``, the
            most points evaluated per (input, reference) pair.
        method : str, optional
            Quadrature. Without ``completeness_tol`` one of Captum's:
            ``"gausslegendre"`` (the default), ``"riemann_left"``,
            ``"riemann_right"``, ``"riemann_middle"``, ``"riemann_trapezoid"``.
            With ``completeness_tol`` a nested rule: ``"adaptive_simpson"`` (the
            default) or ``"riemann_trapezoid"`` (see Notes).
        internal_batch_size : int, optional
            Largest number of sequences sent to the model at once (inputs ×
            references × steps); bounds memory. ``None`` sends everything in one
            batch, as Captum does (one refinement round at a time with
            ``completeness_tol``).
        return_convergence_delta : bool, default False
            Also return, per example, ``sum(attributions) - (F(x) - mean_k F(b_k))``
            (Captum's sign convention), computed on the raw attributions.
        n_shuffles : int, default 20
            References per input for ``baselines="shuffle"``.
        seed : int, numpy.random.Generator or None, default 0
            Seed of the shuffled references. A sequence's references, and so its
            attributions, depend on the seed and the sequence only, not on the batch.
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
        completeness_tol : float, optional
            Refine the path integral of every (input, reference) pair until its
            completeness error ``|sum(phi_k) - (F(x) - F(b_k))|`` is at most this,
            or until ``n_steps`` points; warns if some pair stops short of it.
        window : int or (int, int), optional
            Explain the sum of a per-position output over output positions
            ``start <= i < stop`` (an int ``i`` means ``(i, i + 1)``), running the
            model only on the input positions those outputs can see. The model's
            output must carry its positions on the last axis for ``"NCL"`` (e.g.
            (N, C, L_out)) or on axis 1 for ``"NLC"``. Needs ``receptive_field``.
        receptive_field : int or (int, int), optional
            With ``window``: output position ``i`` depends only on input positions
            ``i + lo .. i + hi`` (inclusive); an int ``r`` means ``(-r, r)`` (a
            'same'-padded convolutional model). SpliceAI with context ``c``:
            ``(0, c)``. The model must be translation-equivariant (convolutional)
            so that cropping its input shifts its output.
        checkpoint_segments : int, optional
            Run every outermost ``torch.nn.Sequential`` inside ``forward_func`` (a
            module, or a bound method of one) as that many checkpointed segments
            while gradients are computed (:func:`torch.utils.checkpoint.checkpoint_sequential`):
            activations are recomputed in the backward pass instead of stored, for about
            one more forward per step. It lowers the peak of deep bodies whose activations
            spread over many layers, not of a network whose first layers hold most of it
            (they are recomputed whole); combine it with a small ``internal_batch_size``.
        show_progress : bool, default False
            Show a progress bar of the path points whose gradients are computed (with
            ``completeness_tol`` its total is the most points allowed, ``N * K * n_steps``).

        Returns
        -------
        attributions : torch.Tensor
            Shape as described under ``aggregate``.
        delta : torch.Tensor, shape (N,)
            Only with ``return_convergence_delta=True``.

        Notes
        -----
        **Adaptive steps.** With ``completeness_tol`` the path is cut into panels
        that start evenly spaced (9 points) and are halved where needed, so every
        gradient already computed is reused. Each evaluation also yields the model
        output, so the exact integral of the completeness integrand
        ``grad F . (x - b)`` over every panel, ``F(b + a_hi d) - F(b + a_lo d)``, is
        known at no cost: its gap to the panel's rule is the panel's local
        completeness error, and the pair's completeness error is their sum.
        ``"adaptive_simpson"`` uses Simpson's rule on panels of three points and
        halves, in each round, the panels with the largest local errors that
        together carry half of their summed magnitude (two new points each).
        ``"riemann_trapezoid"`` halves every interval of an evenly spaced trapezoid
        rule (3, 5, 9, 17, ... points), which suits smooth integrands that vanish
        at both ends; Captum's fixed ``"riemann_trapezoid"`` with n steps weighs
        the same points by 1/n instead of 1/(n - 1), so its integral is (n - 1)/n
        of this one. The gradient of every point is kept until the end (points ×
        input size per pair). Completeness is necessary, not sufficient, for
        accurate per-base attributions; for ReLU networks the integrand jumps where
        units switch, so the error falls slowly and erratically with more points.

        **Windowed mode.** Inputs and references are cropped to input positions
        ``max(0, start + lo) .. min(L, stop - 1 + hi + 1)`` (references are made on
        the whole input first, so shuffles are those of the whole-input computation);
        attributions outside the crop are exactly zero, as in the whole-input
        computation, and inside they equal it when ``receptive_field`` is right: the
        model's padding at the crop's edges then only reaches outputs outside the
        window.
        """
        layout = self.layout if layout is None else check_layout(layout)
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
        method = _resolve_method(method, completeness_tol, n_steps)
        if checkpoint_segments is not None and (
            not isinstance(checkpoint_segments, int) or checkpoint_segments < 1
        ):
            raise ValueError(
                "checkpoint_segments must be a positive integer or None, got "
                f"{checkpoint_segments!r}"
            )

        x = check_one_hot(inputs, layout=layout)
        refs = make_baselines(baselines, inputs, n_shuffles=n_shuffles, seed=seed, layout=layout)
        n, k = refs.shape[:2]
        length = x.shape[-1]
        targets = per_example_targets(target, n, x.device)
        forward, crop = self.forward_func, slice(None)
        if window is not None:
            crop, forward = _windowed(self.forward_func, window, receptive_field, length, layout)
        elif receptive_field is not None:
            raise ValueError(
                "receptive_field only applies together with window=(start, stop); "
                "pass the output positions to explain"
            )
        bar = tqdm(total=n * k * n_steps, disable=not show_progress, desc="IG path points",
                   unit="point")
        engine = _PathEngine(forward, layout, n, targets, additional_forward_args, bar)
        x_in, refs_in = x[..., crop], refs[..., crop]

        f_x = f_b = None
        with _checkpointed(self.forward_func, checkpoint_segments), bar:
            if completeness_tol is None:
                step_sizes_func, alphas_func = approximation_parameters(method)
                step_sizes, alphas = step_sizes_func(n_steps), alphas_func(n_steps)
                grads = engine.path_gradients(x_in, refs_in, alphas, step_sizes,
                                              internal_batch_size)
                self.last_n_steps = torch.full((n, k), n_steps, dtype=torch.long)
            else:
                grads, self.last_n_steps, f_x, f_b = engine.adaptive_path_gradients(
                    x_in, refs_in, completeness_tol, n_steps,
                    method == "riemann_trapezoid", internal_batch_size,
                )
                bar.total = bar.n  # the tolerance was met before the most points allowed
        if window is not None:
            grads = _embed(grads, crop, length)

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
        if f_x is None:
            examples = torch.arange(n, device=x.device)
            f_x = engine.scores(x_in, examples, internal_batch_size).view(n, 1)
            f_b = engine.scores(refs_in.flatten(0, 1), examples.repeat_interleave(k),
                                internal_batch_size).view(n, k)
        delta = raw.flatten(1).sum(dim=1) - (f_x - f_b).mean(dim=1)
        return out, delta

    def has_convergence_delta(self) -> bool:
        """Whether ``attribute`` can return a convergence delta (it can)."""
        return True


def _resolve_method(method: str | None, tol: float | None, n_steps: int) -> str:
    """The quadrature to use, checked against ``completeness_tol``."""
    if tol is None:
        method = "gausslegendre" if method is None else method
        if method in NESTED_METHODS and method not in FIXED_METHODS:
            raise ValueError(
                f"method={method!r} refines the steps adaptively and needs completeness_tol "
                "(e.g. completeness_tol=1e-3)"
            )
        if method not in FIXED_METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {FIXED_METHODS}")
        return method
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol > 0:
        raise ValueError(f"completeness_tol must be a positive number or None, got {tol!r}")
    method = "adaptive_simpson" if method is None else method
    if method not in NESTED_METHODS:
        raise ValueError(
            f"completeness_tol needs a nested quadrature that reuses its points, one of "
            f"{NESTED_METHODS}; got method={method!r} (leave method out for adaptive_simpson)"
        )
    if n_steps < 3:
        raise ValueError(
            f"completeness_tol needs n_steps >= 3 (both ends and the middle of the path), "
            f"got {n_steps}"
        )
    return method


class _PathEngine:
    """Batched forward and gradient evaluation on (input, reference) pairs; ``progress``
    counts the points whose gradients are computed."""

    def __init__(
        self,
        forward_func: Callable[..., torch.Tensor],
        layout: str,
        n_examples: int,
        targets: torch.Tensor | None,
        additional_forward_args: Any,
        progress: tqdm,
    ) -> None:
        self.forward_func = forward_func
        self.layout = layout
        self.n_examples = n_examples
        self.targets = targets
        self.progress = progress
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
        output = select_targets(output, None if self.targets is None else self.targets[examples])
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

    def gradients(
        self, points: torch.Tensor, examples: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Gradients (B, 4, L) of the scores of (B, 4, L) points, and the scores (B,)."""
        points = points.detach().requires_grad_(True)
        with torch.enable_grad():
            out = self._run(points, examples)
            (g,) = torch.autograd.grad(out.sum(), points)
        self.progress.update(len(points))
        return g, out.detach()

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
                g, _ = self.gradients(points.reshape(-1, 4, length), example.repeat(len(a)))
                grads[pair] += (g.view(len(a), len(pair), 4, length)
                                * w.view(-1, 1, 1, 1)).sum(dim=0)
        return grads.view(n, k, 4, length)

    def _evaluate(
        self,
        start: torch.Tensor,
        diff: torch.Tensor,
        k: int,
        pairs: np.ndarray,
        alphas: np.ndarray,
        batch_size: int | None,
    ) -> Iterator[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Yield (first row, gradients, scores, dot with diff) for rows (pair, alpha)."""
        chunk = len(pairs) if batch_size is None else batch_size
        device = start.device
        for r0 in range(0, len(pairs), chunk):
            pair = torch.as_tensor(pairs[r0:r0 + chunk], device=device)
            a = torch.as_tensor(alphas[r0:r0 + chunk], dtype=start.dtype, device=device)
            d = diff[pair]
            g, f = self.gradients(start[pair] + a.view(-1, 1, 1) * d, pair // k)
            yield r0, g, f, (g * d).flatten(1).sum(dim=1)

    def adaptive_path_gradients(
        self,
        x: torch.Tensor,
        refs: torch.Tensor,
        tol: float,
        max_points: int,
        uniform: bool,
        batch_size: int | None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Nested path integrals, refined until each pair's completeness error <= tol.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L)
        refs : torch.Tensor, shape (N, K, 4, L)
        tol : float
            Completeness tolerance per (input, reference) pair.
        max_points : int
            Most points per pair.
        uniform : bool
            Uniform trapezoid doubling instead of adaptive Simpson panels.
        batch_size : int or None
            Most rows per model call.

        Returns
        -------
        grads : torch.Tensor, shape (N, K, 4, L)
        n_points : torch.Tensor, shape (N, K)
            Points evaluated per pair.
        f_x, f_b : torch.Tensor, shape (N, K)
            Model scores at the two ends of each path (input and reference).
        """
        n, k, _, length = refs.shape
        n_pairs = n * k
        start = refs.reshape(n_pairs, 4, length)
        diff = (x.unsqueeze(1) - refs).reshape(n_pairs, 4, length)
        first = 1 + 2 ** int(np.log2(min(_FIRST_GRID, max_points) - 1))
        grids = [_Grid(simpson=not uniform) for _ in range(n_pairs)]
        stored: list[tuple[np.ndarray, torch.Tensor]] = []  # (row ids, gradients)
        n_rows = 0
        pairs = np.repeat(np.arange(n_pairs), first)
        alphas = np.tile(np.linspace(0.0, 1.0, first), n_pairs)
        while len(pairs):
            ids = np.arange(n_rows, n_rows + len(pairs))
            n_rows += len(pairs)
            h = np.empty(len(pairs))
            f = np.empty(len(pairs))
            for r0, g, f_chunk, h_chunk in self._evaluate(start, diff, k, pairs, alphas,
                                                           batch_size):
                stored.append((ids[r0:r0 + len(g)], g))
                h[r0:r0 + len(g)] = h_chunk.double().cpu().numpy()
                f[r0:r0 + len(g)] = f_chunk.double().cpu().numpy()
            # rows are grouped by pair, in increasing pair order
            for rows in np.split(np.arange(len(pairs)), np.flatnonzero(np.diff(pairs)) + 1):
                grids[pairs[rows[0]]].add(alphas[rows], h[rows], f[rows], ids[rows])
            new_pairs, new_alphas = [], []
            for p, grid in enumerate(grids):
                if grid.done:
                    continue
                mids = grid.refine(tol, max_points)
                new_pairs.append(np.full(len(mids), p))
                new_alphas.append(mids)
            pairs = np.concatenate(new_pairs) if new_pairs else np.empty(0, dtype=np.int64)
            alphas = np.concatenate(new_alphas) if new_alphas else np.empty(0)

        unmet = [abs(grid.error()) for grid in grids if abs(grid.error()) > tol]
        if unmet:
            warnings.warn(
                f"completeness_tol={tol:g} not reached for {len(unmet)} of {n_pairs} "
                f"(input, reference) pairs within n_steps={max_points} points (largest "
                f"error {max(unmet):.3g}); raise n_steps or completeness_tol",
                stacklevel=4,
            )
        weights = np.zeros(n_rows)
        owner = np.zeros(n_rows, dtype=np.int64)
        for p, grid in enumerate(grids):
            weights[grid.rows] = grid.weights()
            owner[grid.rows] = p
        grads = torch.zeros_like(start)
        for ids, g in stored:
            w = torch.as_tensor(weights[ids], dtype=g.dtype, device=g.device)
            grads.index_add_(0, torch.as_tensor(owner[ids], device=g.device),
                             g * w.view(-1, 1, 1))
        as_tensor = functools.partial(torch.tensor, dtype=x.dtype, device=x.device)
        n_points = torch.tensor([len(grid.alpha) for grid in grids]).view(n, k)
        f_x = as_tensor([grid.f[-1] for grid in grids]).view(n, k)
        f_b = as_tensor([grid.f[0] for grid in grids]).view(n, k)
        return grads.view(n, k, 4, length), n_points, f_x, f_b


class _Grid:
    """Evaluated points of one pair's path: position, completeness integrand, score, row.

    Parameters
    ----------
    simpson : bool
        Panels are Simpson triples (points 2i, 2i + 1, 2i + 2 of the sorted grid, the middle
        one at the panel's centre), refined where their local error is largest; otherwise
        trapezoid intervals between consecutive points, all refined at once.
    """

    def __init__(self, simpson: bool) -> None:
        self.simpson = simpson
        self.alpha = np.empty(0)
        self.h = np.empty(0)  # gradient . (x - b): integrand of completeness
        self.f = np.empty(0)  # model score
        self.rows = np.empty(0, dtype=np.int64)
        self.done = False

    def add(self, alpha: np.ndarray, h: np.ndarray, f: np.ndarray, rows: np.ndarray) -> None:
        """Insert evaluated points, shapes (M,), keeping the grid sorted."""
        order = np.argsort(np.concatenate([self.alpha, alpha]), kind="stable")
        self.alpha = np.concatenate([self.alpha, alpha])[order]
        self.h = np.concatenate([self.h, h])[order]
        self.f = np.concatenate([self.f, f])[order]
        self.rows = np.concatenate([self.rows, rows])[order]

    def panels(self) -> tuple[np.ndarray, np.ndarray]:
        """Rule minus exact integral of the completeness integrand, and width, per panel."""
        a, h, f = self.alpha, self.h, self.f
        if self.simpson:
            width = a[2::2] - a[:-2:2]
            rule = width * (h[:-2:2] + 4 * h[1::2] + h[2::2]) / 6
            return rule - (f[2::2] - f[:-2:2]), width
        width = np.diff(a)
        return width * (h[1:] + h[:-1]) / 2 - np.diff(f), width

    def error(self) -> float:
        """Completeness error of the current rule."""
        return float(self.panels()[0].sum())

    def weights(self) -> np.ndarray:
        """Quadrature weights of the points, shape (M,)."""
        if self.simpson:
            width = self.alpha[2::2] - self.alpha[:-2:2]
            w = np.zeros(len(self.alpha))
            w[:-2:2] += width / 6
            w[2::2] += width / 6
            w[1::2] = 4 * width / 6
            return w
        padded = np.concatenate([self.alpha[:1], self.alpha, self.alpha[-1:]])
        return (padded[2:] - padded[:-2]) / 2

    def refine(self, tol: float, max_points: int) -> np.ndarray:
        """Points to evaluate next (empty, and ``done`` set, when finished)."""
        errors, width = self.panels()
        splittable = width > _MIN_WIDTH
        budget = (max_points - len(self.alpha)) // (2 if self.simpson else 1)
        if abs(errors.sum()) <= tol or budget < 1 or not splittable.any():
            self.done = True
            return np.empty(0)
        if not self.simpson:
            if len(errors) > budget or not splittable.all():
                self.done = True
                return np.empty(0)
            return (self.alpha[1:] + self.alpha[:-1]) / 2
        order = np.argsort(-np.abs(errors), kind="stable")
        order = order[splittable[order]]
        carried = np.cumsum(np.abs(errors[order]))
        count = int(np.searchsorted(carried, _SPLIT_SHARE * carried[-1])) + 1
        chosen = order[:min(count, budget)]
        left, mid, right = (self.alpha[2 * chosen + i] for i in range(3))
        return np.concatenate([(left + mid) / 2, (mid + right) / 2])


class _WindowedScore:
    """A model's per-position output summed over output positions [lo, hi) of a crop.

    Parameters
    ----------
    forward_func : callable
        The model; its output holds positions on ``axis``.
    lo, hi : int
        Output positions to sum, in the coordinates of the cropped input.
    axis : int
        Position axis of the model output.
    crop_length : int
        Length of the cropped input (for error messages).
    """

    def __init__(self, forward_func: Callable[..., torch.Tensor], lo: int, hi: int,
                 axis: int, crop_length: int) -> None:
        self.forward_func = forward_func
        self.lo, self.hi, self.axis, self.crop_length = lo, hi, axis, crop_length

    def __call__(self, inputs: torch.Tensor, *args: Any) -> torch.Tensor:
        """Windowed score: the output with its position axis summed over the window."""
        out = self.forward_func(inputs, *args)
        if not isinstance(out, torch.Tensor) or out.dim() < 2:
            raise ValueError(
                "window needs a model with per-position outputs, e.g. (N, C, L_out); got "
                + (f"shape {tuple(out.shape)}" if isinstance(out, torch.Tensor) else repr(out))
            )
        axis = self.axis if self.axis >= 0 else out.dim() + self.axis
        if out.shape[axis] < self.hi:
            raise ValueError(
                f"the model returned {out.shape[axis]} output positions for a cropped input "
                f"of length {self.crop_length}, too few for window position {self.hi - 1} "
                "of the crop; check receptive_field (output i must depend only on inputs "
                "i + lo .. i + hi) and window"
            )
        return out.narrow(axis, self.lo, self.hi - self.lo).sum(dim=axis)


def _int_pair(value: Any, name: str, single: Callable[[int], tuple[int, int]]) -> tuple[int, int]:
    """An int or a pair of ints, the int mapped by ``single``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return single(int(value))
    if (isinstance(value, Sequence) and len(value) == 2
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                    for v in value)):
        return int(value[0]), int(value[1])
    raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")


def _windowed(
    forward_func: Callable[..., torch.Tensor],
    window: Any,
    receptive_field: Any,
    length: int,
    layout: str,
) -> tuple[slice, _WindowedScore]:
    """The input crop of ``window`` and the score to explain on it."""
    if receptive_field is None:
        raise ValueError(
            "window needs receptive_field: (lo, hi) such that output position i depends "
            "only on input positions i + lo .. i + hi (SpliceAI: (0, model.context); a "
            "'same'-padded CNN of receptive radius r: r)"
        )
    start, stop = _int_pair(window, "window", lambda i: (i, i + 1))
    lo, hi = _int_pair(receptive_field, "receptive_field", lambda r: (-r, r))
    if not 0 <= start < stop:
        raise ValueError(f"window must satisfy 0 <= start < stop, got ({start}, {stop})")
    if lo > hi:
        raise ValueError(f"receptive_field (lo, hi) needs lo <= hi, got ({lo}, {hi})")
    first, last = max(0, start + lo), min(length, stop + hi)
    if first >= last or stop - 1 + lo >= length:
        raise ValueError(
            f"window ({start}, {stop}) with receptive_field ({lo}, {hi}) reads no input "
            f"position of 0..{length - 1}"
        )
    axis = -1 if layout == "NCL" else 1
    score = _WindowedScore(forward_func, start - first, stop - first, axis, last - first)
    return slice(first, last), score


def _embed(grads: torch.Tensor, crop: slice, length: int) -> torch.Tensor:
    """Place (..., L_crop) gradients of an input crop into zeros of length ``length``."""
    full = grads.new_zeros(*grads.shape[:-1], length)
    full[..., crop] = grads
    return full


def _outer_sequentials(root: nn.Module) -> list[nn.Sequential]:
    """The ``nn.Sequential`` modules of ``root`` (itself included) not inside another one."""
    found: list[tuple[str, nn.Sequential]] = []
    for name, module in root.named_modules():
        if not isinstance(module, nn.Sequential) or len(module) < 2:
            continue
        if any(name.startswith(f"{outer}.") or outer == "" for outer, _ in found):
            continue
        found.append((name, module))
    return [module for _, module in found]


@contextlib.contextmanager
def _checkpointed(forward_func: Any, segments: int | None) -> Iterator[None]:
    """Temporarily run the outermost Sequentials of ``forward_func`` as checkpointed segments."""
    if segments is None:
        yield
        return
    root = forward_func if isinstance(forward_func, nn.Module) else getattr(
        forward_func, "__self__", None)
    bodies = _outer_sequentials(root) if isinstance(root, nn.Module) else []
    if not bodies:
        raise ValueError(
            "checkpoint_segments needs forward_func to be a torch.nn.Module (or a bound "
            "method of one) that contains a torch.nn.Sequential of two or more layers; "
            "wrap the model's layers in one, or leave checkpoint_segments=None"
        )
    for body in bodies:
        body.forward = functools.partial(_sequential_in_segments, body, segments)
    try:
        yield
    finally:
        for body in bodies:
            del body.forward


def _sequential_in_segments(body: nn.Sequential, segments: int, inputs: torch.Tensor):
    """``body(inputs)`` as ``segments`` checkpointed pieces (plain when no grad is needed)."""
    if not torch.is_grad_enabled() or not inputs.requires_grad:
        for layer in body:
            inputs = layer(inputs)
        return inputs
    return checkpoint_sequential(body, min(segments, len(body)), inputs, use_reentrant=False)
