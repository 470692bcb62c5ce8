"""The path integral of integrated gradients: quadrature, output windows, checkpointing, delta.

:class:`PathEngine` evaluates a model's gradients at points ``b + alpha (x - b)`` of the
straight paths from references ``b`` to inputs ``x`` (all in (N, 4, L) layout) and integrates
them with Captum's fixed rules (:meth:`PathEngine.path_gradients`) or with nested rules refined
until each path's completeness error meets a tolerance
(:meth:`PathEngine.adaptive_path_gradients`). :func:`integrate` picks one of the two,
:func:`windowed_score` crops a long input to what a window of outputs can see,
:func:`checkpointed` trades recomputation for memory, and :func:`convergence_delta` reports
the completeness error of the result.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from captum.attr._utils.approximation_methods import approximation_parameters
from torch import nn
from torch.utils.checkpoint import checkpoint_sequential
from tqdm.auto import tqdm

from captum_genomics._validate import check_int_pair, check_positive_number
from captum_genomics.attr._targets import forward_args_tuple, select_targets
from captum_genomics.dna.codec import from_ncl

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
#: torch's messages for operands of different dtypes ("Input type (double) and bias type
#: (float) should be the same", "expected m1 and m2 to have the same dtype", "expected
#: scalar type Float but found Double").
_DTYPE_MISMATCH = re.compile(r"dtype|scalar type|type \(.*\) and .* should be the same")



def resolve_method(method: str | None, tol: float | None, n_steps: int) -> str:
    """The quadrature of ``method``, checked against ``completeness_tol`` and ``n_steps``.

    Parameters
    ----------
    method : str or None
        The quadrature asked for; None picks ``"gausslegendre"`` without ``tol`` and
        ``"adaptive_simpson"`` with it.
    tol : float or None
        ``completeness_tol``: None for Captum's fixed rules, else a nested rule is needed.
    n_steps : int
        Points of the path (with ``tol``, the most points per pair).

    Returns
    -------
    str
        One of :data:`FIXED_METHODS` without ``tol``, of :data:`NESTED_METHODS` with it.
    """
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
    check_positive_number(tol, "completeness_tol")
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


def integrate(
    engine: PathEngine,
    x: torch.Tensor,
    refs: torch.Tensor,
    method: str,
    n_steps: int,
    tol: float | None,
    batch_size: int | None,
) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
    """Path-integrated gradients with a fixed rule (``tol`` None) or a nested adaptive one.

    Parameters
    ----------
    engine : PathEngine
    x : torch.Tensor, shape (N, 4, L)
        Inputs (cropped to the window's inputs, if any).
    refs : torch.Tensor, shape (N, K, 4, L)
        References, cropped like ``x``.
    method : str
        From :func:`resolve_method`.
    n_steps : int
        Points per pair (the most points with ``tol``).
    tol : float or None
        Completeness tolerance per (input, reference) pair.
    batch_size : int or None
        Most rows per model call.

    Returns
    -------
    grads : torch.Tensor, shape (N, K, 4, L)
    n_points : torch.Tensor, shape (N, K), int64
        Points evaluated per pair.
    ends : (torch.Tensor, torch.Tensor), shapes (N, K), or None
        Model scores at the input and reference end of each path, when the adaptive rule
        computed them anyway (None for the fixed rules).
    """
    n, k = refs.shape[:2]
    if tol is None:
        step_sizes_func, alphas_func = approximation_parameters(method)
        step_sizes, alphas = step_sizes_func(n_steps), alphas_func(n_steps)
        grads = engine.path_gradients(x, refs, alphas, step_sizes, batch_size)
        return grads, torch.full((n, k), n_steps, dtype=torch.long), None
    grads, n_points, f_x, f_b = engine.adaptive_path_gradients(
        x, refs, tol, n_steps, method == "riemann_trapezoid", batch_size)
    engine.progress.total = engine.progress.n  # the tolerance was met before the most points
    return grads, n_points, (f_x, f_b)


def convergence_delta(
    engine: PathEngine,
    attributions: torch.Tensor,
    x: torch.Tensor,
    refs: torch.Tensor,
    ends: tuple[torch.Tensor, torch.Tensor] | None,
    batch_size: int | None,
) -> torch.Tensor:
    """Completeness error ``sum(attributions) - (F(x) - mean_k F(b_k))`` per example.

    Parameters
    ----------
    engine : PathEngine
    attributions : torch.Tensor, shape (N, 4, L)
        Expected IG multiplied by ``inputs - baselines`` (whole input).
    x : torch.Tensor, shape (N, 4, L)
        Inputs as the engine's model sees them (cropped to the window's inputs, if any).
    refs : torch.Tensor, shape (N, K, 4, L)
        References, cropped like ``x``.
    ends : (torch.Tensor, torch.Tensor), shapes (N, K), or None
        Scores at both ends of every path from :func:`integrate`; computed here when None.
    batch_size : int or None
        Most rows per model call.

    Returns
    -------
    torch.Tensor, shape (N,)
    """
    n, k = refs.shape[:2]
    if ends is None:
        examples = torch.arange(n, device=x.device)
        f_x = engine.scores(x, examples, batch_size).view(n, 1)
        f_b = engine.scores(refs.flatten(0, 1), examples.repeat_interleave(k),
                            batch_size).view(n, k)
    else:
        f_x, f_b = ends
    return attributions.flatten(1).sum(dim=1) - (f_x - f_b).mean(dim=1)


class PathEngine:
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
        self.args = forward_args_tuple(additional_forward_args)

    def _run(self, batch_ncl: torch.Tensor, examples: torch.Tensor) -> torch.Tensor:
        args = tuple(
            a[examples.to(a.device)]
            if isinstance(a, torch.Tensor) and a.dim() > 0 and a.shape[0] == self.n_examples
            else a
            for a in self.args
        )
        try:
            output = self.forward_func(from_ncl(batch_ncl, self.layout), *args)
        except RuntimeError as err:
            if not _DTYPE_MISMATCH.search(str(err)):
                raise
            raise TypeError(
                f"forward_func failed on {batch_ncl.dtype} inputs with a dtype mismatch "
                f"({err}); cast the inputs to the dtype the model computes in (e.g. "
                "inputs.float()) or the model to the inputs' (inputs are not cast silently)"
            ) from err
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
        grids = [Grid(simpson=not uniform) for _ in range(n_pairs)]
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
                stacklevel=6,  # the caller of attribute
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


class Grid:
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


class WindowedScore:
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
                "output_window needs a model with per-position outputs, e.g. (N, C, L_out); got "
                + (f"shape {tuple(out.shape)}" if isinstance(out, torch.Tensor) else repr(out))
            )
        axis = self.axis if self.axis >= 0 else out.dim() + self.axis
        if out.shape[axis] < self.hi:
            raise ValueError(
                f"the model returned {out.shape[axis]} output positions for a cropped input "
                f"of length {self.crop_length}, too few for window position {self.hi - 1} "
                "of the crop; check receptive_field (output i must depend only on inputs "
                "i + lo .. i + hi) and output_window"
            )
        return out.narrow(axis, self.lo, self.hi - self.lo).sum(dim=axis)


def windowed_score(
    forward_func: Callable[..., torch.Tensor],
    window: Any,
    receptive_field: Any,
    length: int,
    layout: str,
) -> tuple[slice, Callable[..., torch.Tensor]]:
    """The input crop that output positions ``window`` can see, and the score to explain on it.

    Parameters
    ----------
    forward_func : callable
        The model, with per-position outputs.
    window : int, (int, int) or None
        ``output_window``: output positions ``start <= i < stop``; None explains the whole
        output of the whole input.
    receptive_field : int, (int, int) or None
        Output ``i`` depends on input positions ``i + lo .. i + hi``; an int ``r`` is
        ``(-r, r)``. Needed with ``window``, refused without it.
    length : int
        Input length L.
    layout : {"NCL", "NLC"}
        Layout of the model's inputs (and of its position axis: last for NCL, 1 for NLC).

    Returns
    -------
    crop : slice
        Input positions the model is run on (``slice(None)`` for the whole input).
    score : callable
        ``forward_func`` itself without a window, else a :class:`WindowedScore`.
    """
    if window is None:
        if receptive_field is not None:
            raise ValueError(
                "receptive_field only applies together with output_window=(start, stop); "
                "pass the output positions to explain"
            )
        return slice(None), forward_func
    if receptive_field is None:
        raise ValueError(
            "output_window needs receptive_field: (lo, hi) such that output position i "
            "depends only on input positions i + lo .. i + hi (SpliceAI: (0, model.context); "
            "a 'same'-padded CNN of receptive radius r: r)"
        )
    start, stop = check_int_pair(window, "output_window", lambda i: (i, i + 1))
    lo, hi = check_int_pair(receptive_field, "receptive_field", lambda r: (-r, r))
    if not 0 <= start < stop:
        raise ValueError(f"output_window must satisfy 0 <= start < stop, got ({start}, {stop})")
    if lo > hi:
        raise ValueError(f"receptive_field (lo, hi) needs lo <= hi, got ({lo}, {hi})")
    first, last = max(0, start + lo), min(length, stop + hi)
    if first >= last:
        raise ValueError(
            f"output_window ({start}, {stop}) with receptive_field ({lo}, {hi}) reads no input "
            f"position of 0..{length - 1}"
        )
    if stop - 1 + lo >= length:
        raise ValueError(
            f"output_window ({start}, {stop}) reaches past the input: output position "
            f"{stop - 1} reads inputs from {stop - 1 + lo} on (receptive_field ({lo}, {hi})), "
            f"but the input has length {length}; end the window at or before "
            f"{length - lo} (stop is exclusive)"
        )
    axis = -1 if layout == "NCL" else 1
    score = WindowedScore(forward_func, start - first, stop - first, axis, last - first)
    return slice(first, last), score


def embed(grads: torch.Tensor, crop: slice, length: int) -> torch.Tensor:
    """Place (..., L_crop) gradients of an input crop into zeros of length ``length``.

    ``grads`` itself comes back when ``crop`` is the whole input (``slice(None)``).
    """
    if crop == slice(None):
        return grads
    full = grads.new_zeros(*grads.shape[:-1], length)
    full[..., crop] = grads
    return full


def outer_sequentials(root: nn.Module) -> list[nn.Sequential]:
    """The ``nn.Sequential`` modules of ``root`` (itself included) not inside another one."""
    found: list[tuple[str, nn.Sequential]] = []
    for name, module in root.named_modules():
        if not isinstance(module, nn.Sequential) or len(module) < 2:
            continue
        if any(name.startswith(f"{outer}.") or outer == "" for outer, _ in found):
            continue
        found.append((name, module))
    return [module for _, module in found]


def module_of(forward_func: Any) -> nn.Module | None:
    """The module ``forward_func`` is, or whose bound method it is; None otherwise."""
    root = forward_func if isinstance(forward_func, nn.Module) else getattr(
        forward_func, "__self__", None)
    return root if isinstance(root, nn.Module) else None


def check_input_dtype(forward_func: Any, inputs: torch.Tensor) -> None:
    """Refuse floating inputs whose dtype differs from the model's floating parameters.

    Raises
    ------
    TypeError
        Naming both dtypes and the two fixes (cast the inputs, or the model). Nothing is
        checked when ``forward_func`` is not a module (or a bound method of one), or has no
        floating parameter or buffer.
    """
    module = module_of(forward_func)
    if module is None or not inputs.is_floating_point():
        return
    tensors = itertools.chain(module.parameters(), module.buffers())
    model_dtype = next((t.dtype for t in tensors if t.is_floating_point()), None)
    if model_dtype is not None and model_dtype != inputs.dtype:
        raise TypeError(
            f"inputs are {inputs.dtype} but the model's parameters are {model_dtype}; cast "
            f"one to the other first, e.g. inputs.to({model_dtype}) or "
            f"model.to({inputs.dtype}) (inputs are not cast silently)"
        )


@contextlib.contextmanager
def checkpointed(forward_func: Any, segments: int | None) -> Iterator[None]:
    """Temporarily run the outermost Sequentials of ``forward_func`` as checkpointed segments."""
    if segments is None:
        yield
        return
    root = module_of(forward_func)
    bodies = outer_sequentials(root) if root is not None else []
    if not bodies:
        raise ValueError(
            "checkpoint_segments needs forward_func to be a torch.nn.Module (or a bound "
            "method of one) that contains a torch.nn.Sequential of two or more layers; "
            "wrap the model's layers in one, or leave checkpoint_segments=None"
        )
    for body in bodies:
        body.forward = functools.partial(sequential_in_segments, body, segments)
    try:
        yield
    finally:
        for body in bodies:
            del body.forward


def sequential_in_segments(body: nn.Sequential, segments: int, inputs: torch.Tensor):
    """``body(inputs)`` as ``segments`` checkpointed pieces (plain when no grad is needed)."""
    if not torch.is_grad_enabled() or not inputs.requires_grad:
        for layer in body:
            inputs = layer(inputs)
        return inputs
    return checkpoint_sequential(body, min(segments, len(body)), inputs, use_reentrant=False)
