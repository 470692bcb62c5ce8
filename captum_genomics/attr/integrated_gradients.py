"""Integrated gradients for one-hot DNA models.

Besides Captum's fixed quadratures, :class:`GenomicIntegratedGradients` offers

- genomic references (uniform, zeros, dinucleotide shuffles averaged as expected integrated
  gradients), settable at construction so that they pass through Captum's wrappers;
- adaptive step refinement to a completeness tolerance (``completeness_tol``), reusing every
  gradient already computed;
- a windowed mode for models with a finite receptive field (``output_window``,
  ``receptive_field``), which runs the model only on the input positions that can reach the
  explained outputs;
- activation checkpointing of ``torch.nn.Sequential`` bodies (``checkpoint_segments``), which
  trades one extra forward per step for a much smaller peak memory on long inputs.

This module resolves the arguments and aggregates; the path integral itself (quadrature,
windows, checkpointing, delta) lives in :mod:`captum_genomics.attr._path`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from captum.attr import IntegratedGradients
from captum.log import log_usage
from tqdm.auto import tqdm

from captum_genomics._deprecation import renamed_arguments
from captum_genomics._validate import (
    check_choice,
    check_eval_mode,
    check_int,
    check_layout,
    check_optional_int,
)
from captum_genomics.aggregate import correct_gradients, hypothetical_scores, locus_scores
from captum_genomics.attr._path import (
    FIXED_METHODS,
    NESTED_METHODS,
    PathEngine,
    check_input_dtype,
    checkpointed,
    convergence_delta,
    embed,
    integrate,
    resolve_method,
    windowed_score,
)
from captum_genomics.attr._targets import per_example_targets, single_input
from captum_genomics.attr.baselines import BASELINE_NAMES, BaselineSpec, resolve_baselines
from captum_genomics.dna.codec import check_one_hot, from_ncl

__all__ = ["AGGREGATES", "FIXED_METHODS", "NESTED_METHODS", "GenomicIntegratedGradients"]

AGGREGATES = (None, "sum", "abs_sum", "observed", "corrected", "hypothetical")


class _ExplainerDefault:
    """Default of a per-call argument that falls back to the explainer's value."""

    def __repr__(self) -> str:
        return "<the explainer's>"


_FROM_EXPLAINER: Any = _ExplainerDefault()


class GenomicIntegratedGradients(IntegratedGradients):
    r"""Integrated gradients for models of one-hot DNA, with genomic baselines.

    A drop-in :class:`captum.attr.IntegratedGradients` whose ``attribute`` also
    understands the references genomics needs (uniform 0.25, zeros,
    dinucleotide-shuffled sequences averaged as expected integrated gradients,
    any tensor or callable), both one-hot layouts, per-locus aggregation,
    adaptive steps, windowed evaluation and activation checkpointing. Named
    baselines set at construction pass through Captum's ``NoiseTunnel`` and
    metrics.

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
    baselines : str, float, torch.Tensor or callable, default "uniform"
        The references of every ``attribute`` call that does not pass its own
        (see ``attribute``); this is how named baselines reach Captum's wrappers.
    n_shuffles : int, default 20
        References per input for ``baselines="shuffle"``, unless a call passes its own.
    seed : int, numpy.random.Generator or None, default 0
        Seed of the shuffled references, unless a call passes its own. An int gives
        every call the same references for the same sequence; a generator advances.

    Attributes
    ----------
    last_n_steps : torch.Tensor or None, shape (N, K)
        Points of the path at which the gradient was evaluated for each (input,
        reference) pair in the last ``attribute`` call (``n_steps`` for the fixed
        rules; fewer where ``completeness_tol`` was met early). ``None`` before the
        first call.

    Notes
    -----
    **Captum's wrappers.** ``NoiseTunnel`` (``"smoothgrad"``, ``"smoothgrad_sq"``,
    ``"vargrad"``) and ``captum.metrics.sensitivity_max`` check a ``baselines``
    argument themselves and accept only numbers and tensors shaped like the
    inputs. Give named baselines at construction instead; every call that leaves
    ``baselines`` out uses them, and a number or tensor passed through the wrapper
    still overrides them for that call (``0.25`` is ``"uniform"``, ``0`` is
    ``"zeros"``). ``captum.metrics.infidelity`` takes attributions computed with any
    baseline.

    **Dtypes.** Inputs are never cast: when ``forward_func`` is a module (or a bound
    method of one) whose floating parameters have another dtype than the inputs (float64
    or bfloat16 one-hot for a float32 model, say), ``attribute`` raises a ``TypeError``
    naming both dtypes before any work; cast the inputs (``x.float()``) or the model. A
    plain function (or a module without floating parameters) is run as it is: when torch
    refuses its inputs' dtype at the first model call, that ``RuntimeError`` is raised as a
    ``TypeError`` naming the inputs' dtype and the fix (the original chained as its cause).
    Attributions come back in the inputs' dtype.

    **Shuffles around noisy inputs.** These wrappers call ``attribute`` on noisy
    copies of the one-hot inputs. Shuffled references are then the shuffles of the
    sequence nearest to each noisy copy (:func:`captum_genomics.dna.codec.nearest_sequences`,
    the most likely sequence under Gaussian noise), drawn with the explainer's
    seed: a sequence's shuffles depend on the seed and its letters only, so every
    noisy copy that decodes to its clean input is explained against exactly the
    references of the clean input, and the smoothing averages over the noise alone.
    That holds for ``sensitivity_max``'s default perturbation and, but for about one
    column in 10**17, for ``NoiseTunnel`` ``stdevs`` up to 0.05 (see
    :func:`captum_genomics.make_baselines`).

    **Training mode.** A ``torch.nn.Module`` (or a bound method of one) given as
    ``forward_func`` with a dropout or BatchNorm submodule in training mode draws new dropout
    masks (and BatchNorm batch statistics) at every model call, so the path integral mixes
    different models and the same seed does not give the same attributions: ``attribute``
    then warns (``UserWarning``) and proceeds; call ``model.eval()`` first, unless the
    randomness is wanted (Monte Carlo dropout).

    Examples
    --------
    >>> ig = GenomicIntegratedGradients(model)
    >>> x = one_hot(["ACGTTGCA" * 75])
    >>> attr, delta = ig.attribute(x, baselines="shuffle", n_shuffles=10, target=1,
    ...                            return_convergence_delta=True)
    >>> per_locus = ig.attribute(x, baselines="uniform", target=1, aggregate="sum")
    >>> adaptive = ig.attribute(x, target=1, completeness_tol=1e-3, n_steps=65)
    >>> ig.last_n_steps  # points used per (input, reference) pair  # doctest: +SKIP
    >>> shuffled = GenomicIntegratedGradients(model, baselines="shuffle", n_shuffles=10)
    >>> smooth = NoiseTunnel(shuffled).attribute(x, nt_type="smoothgrad", nt_samples=8,
    ...                                          stdevs=0.05, target=1)
    """

    def __init__(
        self,
        forward_func: Callable[..., torch.Tensor],
        multiply_by_inputs: bool = True,
        layout: str = "NCL",
        baselines: BaselineSpec = "uniform",
        n_shuffles: int = 20,
        seed: int | np.random.Generator | None = 0,
    ) -> None:
        super().__init__(forward_func, multiply_by_inputs=multiply_by_inputs)
        self.layout = check_layout(layout)
        if isinstance(baselines, str):
            check_choice(baselines, "baselines", BASELINE_NAMES)
        self.baselines = baselines
        self.n_shuffles = check_int(n_shuffles, "n_shuffles")
        self.seed = seed
        self.last_n_steps: torch.Tensor | None = None

    @log_usage()
    @renamed_arguments(window="output_window")
    def attribute(  # type: ignore[override]
        self,
        inputs: torch.Tensor,
        baselines: BaselineSpec = _FROM_EXPLAINER,
        target: Any = None,
        additional_forward_args: Any = None,
        n_steps: int = 50,
        method: str | None = None,
        internal_batch_size: int | None = None,
        return_convergence_delta: bool = False,
        n_shuffles: int = _FROM_EXPLAINER,
        seed: int | np.random.Generator | None = _FROM_EXPLAINER,
        layout: str | None = None,
        aggregate: str | None = None,
        completeness_tol: float | None = None,
        output_window: int | tuple[int, int] | None = None,
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
        baselines : str, float, torch.Tensor or callable, optional
            Default: the explainer's (``"uniform"`` unless set at construction).
            ``"uniform"`` (0.25), ``"zeros"``, ``"shuffle"`` (``n_shuffles``
            uniform dinucleotide shuffles per input, expected IG), a number, a
            tensor of shape (4, L), (1, ...), (N, ...) or (N, K, ...) in
            ``layout``, or a callable returning one of those from ``inputs``.
            See :func:`captum_genomics.make_baselines`.
        target : int, tuple, list or torch.Tensor, optional
            Which output to explain, with Captum's meaning: an index (or tuple of
            indices) applied after the batch axis, or one per example. Must pick
            one scalar per example. With ``output_window``, it indexes the output once the
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
        n_shuffles : int, optional
            References per input for ``baselines="shuffle"``. Default: the
            explainer's (20 unless set at construction).
        seed : int, numpy.random.Generator or None, optional
            Seed of the shuffled references. Default: the explainer's (0 unless set
            at construction); None draws fresh references. A sequence's references, and so its
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
        output_window : int or (int, int), optional
            Explain the sum of a per-position output over output positions
            ``start <= i < stop`` (an int ``i`` means ``(i, i + 1)``), running the
            model only on the input positions those outputs can see. The model's
            output must carry its positions on the last axis for ``"NCL"`` (e.g.
            (N, C, L_out)) or on axis 1 for ``"NLC"``. Needs ``receptive_field``.
            Formerly ``window`` (still accepted, with a DeprecationWarning, until 0.3.0).
        receptive_field : int or (int, int), optional
            With ``output_window``: output position ``i`` depends only on input positions
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
        inputs, as_tuple = single_input(inputs, "GenomicIntegratedGradients")
        check_eval_mode(self.forward_func, "GenomicIntegratedGradients", stacklevel=5)
        check_choice(aggregate, "aggregate", AGGREGATES)
        n_steps = check_int(n_steps, "n_steps")
        internal_batch_size = check_optional_int(internal_batch_size, "internal_batch_size")
        checkpoint_segments = check_optional_int(checkpoint_segments, "checkpoint_segments")
        method = resolve_method(method, completeness_tol, n_steps)
        if return_convergence_delta and not self.multiplies_by_inputs:
            raise ValueError(
                "return_convergence_delta needs multiply_by_inputs=True: completeness "
                "holds for attributions multiplied by inputs - baselines"
            )

        x = check_one_hot(inputs, layout=layout)
        check_input_dtype(self.forward_func, x)
        refs = self._references(x, inputs, baselines, n_shuffles, seed, layout)
        n, k, _, length = refs.shape
        targets = per_example_targets(target, n, x.device)
        crop, score = windowed_score(self.forward_func, output_window, receptive_field,
                                     length, layout)
        bar = tqdm(total=n * k * n_steps, disable=not show_progress, desc="IG path points",
                   unit="point")
        engine = PathEngine(score, layout, n, targets, additional_forward_args, bar)
        x_in, refs_in = x[..., crop], refs[..., crop]
        with checkpointed(self.forward_func, checkpoint_segments), bar:
            grads, self.last_n_steps, ends = integrate(
                engine, x_in, refs_in, method, n_steps, completeness_tol, internal_batch_size)
        grads = embed(grads, crop, length)

        raw = _expected_ig(grads, x, refs, self.multiplies_by_inputs)
        out = _aggregated(aggregate, raw, grads, x, refs, layout)
        if as_tuple:
            out = (out,)
        if not return_convergence_delta:
            return out
        return out, convergence_delta(engine, raw, x_in, refs_in, ends, internal_batch_size)

    def _references(
        self,
        x: torch.Tensor,
        inputs: Any,
        baselines: BaselineSpec,
        n_shuffles: int,
        seed: int | np.random.Generator | None,
        layout: str,
    ) -> torch.Tensor:
        """References (N, K, 4, L) of validated inputs ``x``, the explainer's filling gaps."""
        return resolve_baselines(
            self.baselines if baselines is _FROM_EXPLAINER else baselines,
            x,
            inputs,
            self.n_shuffles if n_shuffles is _FROM_EXPLAINER else n_shuffles,
            self.seed if seed is _FROM_EXPLAINER else seed,
            layout,
        )

    def has_convergence_delta(self) -> bool:
        """Whether ``attribute`` can return a convergence delta (it can)."""
        return True


def _expected_ig(grads: torch.Tensor, x: torch.Tensor, refs: torch.Tensor,
                 multiply_by_inputs: bool) -> torch.Tensor:
    """Expected IG (N, 4, L) from path gradients (N, K, 4, L), averaged over references."""
    if not multiply_by_inputs:
        return grads.mean(dim=1)
    return ((x.unsqueeze(1) - refs) * grads).mean(dim=1)


def _aggregated(aggregate: str | None, raw: torch.Tensor, grads: torch.Tensor,
                x: torch.Tensor, refs: torch.Tensor, layout: str) -> torch.Tensor:
    """The attributions ``attribute`` returns for ``aggregate`` (see there), in ``layout``.

    Parameters
    ----------
    aggregate : str or None
        One of :data:`AGGREGATES`.
    raw : torch.Tensor, shape (N, 4, L)
        Expected IG.
    grads : torch.Tensor, shape (N, K, 4, L)
        Path-integrated gradients per reference.
    x : torch.Tensor, shape (N, 4, L)
    refs : torch.Tensor, shape (N, K, 4, L)
    layout : {"NCL", "NLC"}

    Returns
    -------
    torch.Tensor, shape like the inputs (None, "hypothetical") or (N, L)
    """
    if aggregate is None:
        return from_ncl(raw, layout)
    n, k = refs.shape[:2]
    if aggregate == "hypothetical":
        hypothetical = hypothetical_scores(grads.flatten(0, 1), refs.flatten(0, 1))
        return from_ncl(hypothetical.view(n, k, 4, -1).mean(dim=1), layout)
    if aggregate == "corrected":
        corrected = (x.unsqueeze(1) - refs) * correct_gradients(grads.flatten(0, 1)).view_as(grads)
        return corrected.mean(dim=1).sum(dim=1)
    return locus_scores(raw, aggregate=aggregate, inputs=x)
