"""Grammar-guided perturbation explainer: local datasets by GGGP, attributions by surrogate."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from captum._utils.models.model import Model
from captum.attr import PerturbationAttribution
from captum.attr._utils.batching import _select_example
from captum.log import log_usage

from captum_genomics import surrogates
from captum_genomics._deprecation import renamed, renamed_arguments, warn_deprecated
from captum_genomics._validate import check_choice, check_eval_mode, check_int, check_layout
from captum_genomics.attr._targets import per_example_targets, single_input
from captum_genomics.attr.forward_scorer import ForwardScorer, _callable_name, dataset_one_hot
from captum_genomics.dna.alphabet import n_value_of
from captum_genomics.dna.codec import (
    BASE_RADIUS,
    check_one_hot,
    decode,
    from_ncl,
    nearest_sequences,
)
from captum_genomics.gggp.dataset import LocalDataset
from captum_genomics.gggp.grammar import Grammar
from captum_genomics.gggp.population import EditBatch
from captum_genomics.gggp.search import SearchSettings, search

LENGTH_POLICIES = ("pad_right", "pad_left", "variable")
#: Per-locus reductions of :meth:`GGGPPerturbationExplainer.attribute` (IG's ``aggregate`` names).
AGGREGATES = (None, "sum")

__all__ = [
    "AGGREGATES",
    "LENGTH_POLICIES",
    "ForwardScorer",
    "GGGPPerturbationExplainer",
    "dataset_one_hot",
]


def _example_target(target, index: int, n: int):
    """Target of example ``index`` of ``n`` under Captum's rules (as Lime reads them)."""
    rows = per_example_targets(target, n)
    if rows is None:
        return None
    row = rows[index].tolist()
    return row[0] if len(row) == 1 else tuple(row)


_MIN_GENERATIONS = 4  # generations a per-call n_samples budget leaves room for
_MIN_POPULATION = 10


class GGGPPerturbationExplainer(PerturbationAttribution):
    r"""Attributions from a grammar-guided local dataset and an interpretable surrogate.

    For each input sequence a GGGP search (:func:`captum_genomics.gggp.search`) grows a local
    dataset of SNVs and indels whose scores spread over the score range; a surrogate (sparse
    linear, shallow tree or any Captum ``Model``) is fitted on edit-indicator features and its
    effects become per-base attributions: the attribution of a base is minus the predicted
    score change when it is edited (Captum's ``f(x) - f(x_perturbed)`` convention), placed on
    the observed base's channel.

    The edited sequences are scored in one of two ways, chosen here (give exactly one):

    - ``forward_func``: a model on one-hot batches in ``layout``. :meth:`attribute` and
      :meth:`generate` take Captum's ``target`` and ``additional_forward_args``; edited
      sequences are one-hot encoded with ``n_value`` at N (deletion padding included).
    - ``scorer``: ``scorer(EditBatch) -> (n,)`` scores (a head reading ``batch.tracked``, an
      exact incremental scorer, ...) that encodes the edited codes itself. ``target`` and
      ``additional_forward_args`` are then refused (build them into the scorer). Captum's
      base class needs a forward function: the explainer's ``forward_func`` attribute then
      holds the scorer, which takes an :class:`~captum_genomics.gggp.EditBatch`, not a tensor.

    Parameters
    ----------
    forward_func : callable, optional
        Model on one-hot batches in ``layout``.
    grammar : Grammar, optional
        Perturbation grammar (splice-site windows, region of interest, kinds, ...).
    settings : SearchSettings, optional
        Search settings and budgets (default: 10,000 evaluations, population 500).
    interpretable_model : {"lasso", "tree"} or captum Model
        The surrogate, as Lime's ``interpretable_model`` (``surrogate=`` is its deprecated
        name): a name of :data:`~captum_genomics.surrogates.INTERPRETABLE_MODELS` or an unfitted
        Captum ``Model`` such as ``SkLearnLasso(alpha=1e-3)`` (copied for each sequence, so
        every :class:`~captum_genomics.surrogates.SurrogateFit` holds its own fitted model).
    feature_width : int
        Feature window width in bases (``window=`` is its deprecated name); 1 (default) gives
        one feature per base. Wider windows pool the edits of neighbouring bases, so each
        effect rests on more edited sequences: on a planted-motif CNN (8 sequences of 600 bp)
        windows of 5 raised the motif's AUPR from 0.76 to 0.93 at 2,000 evaluations per
        sequence (0.80 to 0.91 at 10,000), at the price of 5-base resolution.
    by_kind : bool
        One feature per unit kind and window.
    alpha : float or "auto"
        Penalty of the ``"lasso"`` surrogate; "auto" (default) scales it to each dataset's
        scores (:func:`captum_genomics.surrogates.auto_alpha`).
    max_depth : int
        Depth of the ``"tree"`` surrogate.
    length_policy : {"pad_right", "pad_left", "variable"}
        How length-changing indels meet a fixed-length model.  ``"pad_right"`` (default) pads
        deletions with N and trims insertions at the right end so inputs keep length ``L``;
        ``"pad_left"`` does so at the left end; ``"variable"`` passes each batch at its own
        length (models that accept any length).  Keep the region of interest away from the end
        that is trimmed: SpliceAI with 5,000 N flanks works with either padding policy;
        fixed-window CNNs (deepG) want the end farther from the motif.
    layout : {"NCL", "NLC"}
        Layout of inputs and attributions, and of ``forward_func``'s input.
    model_name : str, optional
        Recorded in each dataset's provenance (default: the name of ``forward_func`` or
        ``scorer``).
    scorer : callable, optional
        ``scorer(EditBatch) -> (n,)`` scores, instead of ``forward_func``.
    motifs : path, sequence of Motif or None, optional
        Add motif-aware units (insert a motif, delete or mutate an occurrence) to the grammar,
        over the occurrences found in each input sequence by a FIMO scan
        (:func:`captum_genomics.motifs.motif_grammar`; needs the ``motifs`` extra,
        ``memelite``): a MEME file, :class:`~captum_genomics.motifs.Motif` objects, or
        ``"default"`` for the shipped splicing-regulatory set. ``None`` (default): no motif
        units.
    motif_strands : {"+", "both"}
        Strands scanned for occurrences: ``"+"`` (RNA-binding motifs, inputs in transcript
        orientation) or ``"both"`` (DNA-binding motifs).
    n_value : float or {"zeros", "uniform"}, optional
        Channel value of N in the one-hot sequences given to ``forward_func``, the N that pads
        deletions included. Default 0.0 (``"zeros"``: SpliceAI's all-zero N); deepG models
        want 0.25 (``"uniform"``). Inputs holding N columns of another value are refused
        (every edited sequence would encode their N differently from the input). Not used
        with a ``scorer``, which encodes sequences itself: giving both is an error.

    Attributes
    ----------
    scorer : callable or None
        The scorer given at construction (``None`` with ``forward_func``).
    n_value : float or None
        N channel value for ``forward_func`` (``None`` with a scorer).
    motifs : list of Motif or None
        The motifs of the motif-aware units (``None``: none).

    Notes
    -----
    **Inputs that are not exactly one-hot.** Captum's ``NoiseTunnel`` and
    ``captum.metrics.sensitivity_max`` call :meth:`attribute` on noisy copies ``x + e`` of the
    inputs (as a 1-tuple, which is accepted and answered with a 1-tuple). Each copy is read as
    its nearest sequence, column by column
    (:func:`~captum_genomics.dna.codec.nearest_sequences`, as the shuffled baselines of
    :class:`~captum_genomics.GenomicIntegratedGradients` read it): the local dataset is grown
    around that sequence, the model only ever sees exact edited one-hot sequences, and the
    attributions sit on the channels of the bases read. So the explanation of a noisy copy is
    exactly the explanation of the sequence it reads as: with noise too small to change any
    base, ``"smoothgrad"`` equals the plain attribution, ``"smoothgrad_sq"`` its square,
    ``"vargrad"`` is zero, and ``sensitivity_max`` is 0 (its default perturbation, at most
    0.02 per channel, never changes a base). A perturbation that does change bases (a
    ``perturb_func`` that edits the sequence, say) is explained as the sequence it makes.

    A column is read only within :data:`~captum_genomics.dna.codec.BASE_RADIUS`
    (sqrt(3) / 4, about 0.43) of A, C, G, T or an N column, the radius within which a column
    is nearer to its base than to any other base or N column; the inputs are refused with
    a ``ValueError`` when one column lies farther (a column between two bases, such as
    ``(0.5, 0.5, 0, 0)``, or an attribution map passed by mistake), and when a sequence
    that is not exactly one-hot reads as N only (a map of small values). Gaussian noise of
    ``stdevs`` 0.05 moves a column that far about twice in 10**15 columns, of ``stdevs``
    0.1 about once in 1,100: keep ``stdevs`` at 0.05 or below.

    **Training mode.** A ``torch.nn.Module`` (or a bound method of one) given as
    ``forward_func`` or ``scorer`` with a dropout or BatchNorm submodule in training mode
    draws new dropout masks (and BatchNorm batch statistics) at every call, so the same seed
    does not give the same dataset: :meth:`generate` and :meth:`attribute` then warn
    (``UserWarning``) and proceed; call ``model.eval()`` first, unless the randomness is
    wanted (Monte Carlo dropout).
    """

    @renamed_arguments(surrogate="interpretable_model", window="feature_width")
    def __init__(
        self,
        forward_func: Callable | None = None,
        grammar: Grammar | None = None,
        settings: SearchSettings | None = None,
        interpretable_model: str | Model = "lasso",
        feature_width: int = 1,
        by_kind: bool = False,
        alpha: float | str = "auto",
        max_depth: int = 4,
        length_policy: str = "pad_right",
        layout: str = "NCL",
        model_name: str | None = None,
        *,
        scorer: Callable[[EditBatch], Any] | None = None,
        n_value: float | str | None = None,
        motifs=None,
        motif_strands: str = "+",
    ) -> None:
        """Build the explainer from ``forward_func`` or ``scorer``; see the class for details."""
        if forward_func is None and scorer is None:
            raise TypeError(
                "give forward_func= (a model on one-hot tensors) or scorer= (scorer(EditBatch) "
                "-> scores)"
            )
        if forward_func is not None and scorer is not None:
            raise ValueError(
                "give forward_func= or scorer=, not both: a scorer replaces the forward "
                "function (wrap the model in the scorer, or drop the scorer)"
            )
        scoring = forward_func if scorer is None else scorer
        if not callable(scoring):
            raise TypeError(f"{'forward_func' if scorer is None else 'scorer'} must be callable")
        if scorer is not None and n_value is not None:
            raise ValueError(
                "n_value only encodes the inputs of forward_func; a scorer receives the edited "
                "codes (EditBatch.sequences) and encodes N itself: drop n_value"
            )
        super().__init__(scoring)
        if length_policy not in LENGTH_POLICIES:
            raise ValueError(
                f"length_policy must be one of {LENGTH_POLICIES}, got {length_policy!r}"
            )
        self.scorer = scorer
        self.n_value = (
            None if scorer is not None else n_value_of(0.0 if n_value is None else n_value)
        )
        self.grammar = grammar or Grammar()
        self.motif_strands = check_choice(motif_strands, "motif_strands", ("+", "both"))
        self.motifs = None
        if motifs is not None:
            from captum_genomics.motifs import load_motifs

            self.motifs = load_motifs(None if motifs == "default" else motifs)
        self.settings = settings or SearchSettings(max_evaluations=10_000)
        self.interpretable_model = surrogates._check_interpretable_model(interpretable_model)
        self.feature_width = check_int(feature_width, "feature_width")
        self.by_kind = bool(by_kind)
        self.alpha = surrogates._check_alpha(alpha)
        self.max_depth = int(max_depth)
        self.length_policy = length_policy
        self.layout = check_layout(layout)
        self.model_name = model_name or _callable_name(scoring)

    @property
    def multiplies_by_inputs(self) -> bool:
        """Attributions sit on the observed base's channel (they are multiplied by inputs)."""
        return True

    def _settings_for(
        self, length: int, n_samples: int | None, perturbations_per_eval: int | None
    ) -> SearchSettings:
        changes: dict[str, Any] = {}
        if n_samples is not None:
            changes["max_evaluations"] = check_int(n_samples, "n_samples")
            changes["population_size"] = min(
                self.settings.population_size, max(_MIN_POPULATION, n_samples // _MIN_GENERATIONS)
            )
        if perturbations_per_eval is not None:
            changes["batch_size"] = check_int(perturbations_per_eval, "perturbations_per_eval")
        if self.length_policy == "variable":
            changes["sequence_length"] = None
        else:
            changes["sequence_length"] = length
            changes["trim"] = "right" if self.length_policy == "pad_right" else "left"
        return dataclasses.replace(self.settings, **changes)

    def _check_scoring_arguments(self, target, additional_forward_args, scorer) -> None:
        """Refuse ``target`` / ``additional_forward_args`` that a scorer would never see."""
        if scorer is None and self.scorer is not None:
            for name, value in (
                ("target", target),
                ("additional_forward_args", additional_forward_args),
            ):
                if value is not None:
                    raise ValueError(
                        f"this explainer scores with its scorer, which takes no {name}: build "
                        f"the output choice into the scorer, or construct the explainer with "
                        f"forward_func= to pass {name}="
                    )

    def _scoring(self, scorer) -> Callable:
        """What scores the edited sequences of a call: its (deprecated) ``scorer`` if given,
        else the explainer's scorer or ``forward_func``."""
        return self.forward_func if scorer is None else scorer

    def _check_n_columns(self, x: torch.Tensor) -> None:
        """Refuse N columns of ``x`` (``(1, 4, L)``) that ``n_value`` would re-encode."""
        is_n = (x == 0).all(dim=1) | (x == 0.25).all(dim=1)
        other = is_n & ~(x == self.n_value).all(dim=1)
        if bool(other.any()):
            position = int(other.nonzero()[0, 1])
            value = float(x[0, 0, position])
            raise ValueError(
                f"inputs hold N columns of {value:g} (first at position {position}) but "
                f"n_value={self.n_value:g}: every edited sequence would encode N differently "
                f"from the input; pass n_value={value:g} (0.25 for deepG models, 0 for SpliceAI)"
            )

    def generate(
        self,
        inputs: torch.Tensor,
        target=None,
        additional_forward_args: Any = None,
        *,
        seed: int = 0,
        tracked=None,
        scorer: Callable[[EditBatch], Any] | None = None,
        n_samples: int | None = None,
        perturbations_per_eval: int | None = None,
        show_progress: bool = False,
    ) -> LocalDataset:
        """Grow the local dataset of one sequence.

        Parameters
        ----------
        inputs : torch.Tensor
            ``(1, 4, L)`` one-hot (``(1, L, 4)`` for ``layout="NLC"``); a noisy copy is read
            as its nearest sequence (class Notes).
        target : int, tuple or None
            Output index scored (Captum's ``target``); ``forward_func`` explainers only.
        additional_forward_args : any, optional
            Extra ``forward_func`` arguments; ``forward_func`` explainers only.
        seed : int
            Search seed.
        tracked : sequence of int, optional
            Reference positions followed through indels into ``EditBatch.tracked``; by
            default the scorer's own ``tracked`` positions (e.g. an exon scorer's acceptor and
            donor), none for a ``forward_func`` explainer.
        scorer : callable, optional
            Deprecated (removed in 0.3.0): give the scorer at construction,
            ``GGGPPerturbationExplainer(scorer=...)``. Until then it warns and replaces this
            explainer's scoring for the call (``target``, ``additional_forward_args`` and
            ``n_value`` are then unused).
        n_samples : int, optional
            Budget of model evaluations for this call (Lime's name); overrides
            ``settings.max_evaluations``. The other budgets of ``settings`` still apply, and
            ``settings.population_size`` is lowered to ``n_samples // 4`` (at least 10) when
            larger, so that at least four generations evolve within the budget.
        perturbations_per_eval : int, optional
            Most sequences per model call (Lime's name); overrides ``settings.batch_size``.
        show_progress : bool
            Show a progress bar.

        Returns
        -------
        LocalDataset
            Phenotypes, model inputs, scores, generations, fitness and provenance (seed,
            settings, grammar, model name, scorer).
        """
        if scorer is not None:
            warn_deprecated("generate(scorer=...)", "GGGPPerturbationExplainer(scorer=...)")
        self._check_scoring_arguments(target, additional_forward_args, scorer)
        check_eval_mode(self._scoring(scorer), "GGGPPerturbationExplainer")
        x = self._read_sequences(inputs)
        if x.shape[0] != 1:
            raise ValueError(
                f"generate explains one sequence, got a batch of {x.shape[0]}; pass inputs[i:i+1]"
            )
        return self._generate(
            x,
            target,
            additional_forward_args,
            scorer,
            seed,
            tracked,
            n_samples,
            perturbations_per_eval,
            show_progress,
        )

    def _read_sequences(self, inputs) -> torch.Tensor:
        """The one-hot sequences ``(N, 4, L)`` that ``inputs`` (in ``layout``) read as (see
        Notes): the inputs themselves when they are one-hot."""
        x = check_one_hot(inputs, self.layout)
        sequences = nearest_sequences(x, max_distance=BASE_RADIUS, name="inputs")
        inexact = (sequences != x).flatten(1).any(dim=1)
        n_only = (sequences.amax(dim=1) < 1).all(dim=1)
        if bool((inexact & n_only).any()):
            index = int((inexact & n_only).nonzero()[0])
            raise ValueError(
                f"inputs sequence {index} is not one-hot and reads as N at every position: "
                "nothing to explain (an attribution map rather than a sequence?)"
            )
        return sequences

    def _generate(
        self,
        x,
        target,
        additional_forward_args,
        scorer,
        seed,
        tracked,
        n_samples,
        perturbations_per_eval,
        show_progress,
    ) -> LocalDataset:
        """Local dataset of ``x``, one exact one-hot sequence ``(1, 4, L)``."""
        reference = decode(x)[0]
        if scorer is None and self.scorer is not None:
            scorer = self.scorer
        elif scorer is None:
            self._check_n_columns(x)
            scorer = ForwardScorer(
                self.forward_func,
                target,
                additional_forward_args,
                self.layout,
                self.n_value,
                x.dtype,
                x.device,
                self.model_name,
            )
        if tracked is None:
            tracked = getattr(scorer, "tracked", ())
        result = search(
            reference,
            scorer,
            grammar=self.grammar_for(reference),
            settings=self._settings_for(x.shape[2], n_samples, perturbations_per_eval),
            tracked=tracked,
            seed=seed,
            show_progress=show_progress,
        )
        dataset = LocalDataset.from_search(result)
        dataset.provenance["model"] = self.model_name
        dataset.provenance["length_policy"] = self.length_policy
        if self.motifs is not None:
            dataset.provenance["motifs"] = [m.name for m in self.motifs]
        return dataset

    def grammar_for(self, reference: str) -> Grammar:
        """The grammar searched around ``reference``: :attr:`grammar`, plus the motif units
        over the occurrences in ``reference`` when the explainer has ``motifs``.

        Parameters
        ----------
        reference : str
            ``(L,)`` the sequence explained (e.g. ``dataset.reference``).

        Returns
        -------
        Grammar
            What parses the phenotypes of that sequence's local dataset.
        """
        if self.motifs is None:
            return self.grammar
        from captum_genomics.motifs import motif_grammar

        return motif_grammar(self.grammar, reference, self.motifs, strands=self.motif_strands)

    def fit_surrogate(self, dataset: LocalDataset, seed: int = 0) -> surrogates.SurrogateFit:
        """Fit this explainer's surrogate on a local dataset (held-out fidelity included).

        Parameters
        ----------
        dataset : LocalDataset
            ``n`` scored perturbations, e.g. from :meth:`generate`.
        seed : int
            Seed of the held-out split and of the tree.

        Returns
        -------
        SurrogateFit
            The fitted ``interpretable_model`` (a copy when it is a Captum ``Model``), its
            features, effects and held-out fidelity.
        """
        model = self.interpretable_model
        return surrogates.fit_surrogate(
            dataset,
            self.grammar_for(dataset.reference),
            copy.deepcopy(model) if isinstance(model, Model) else model,
            feature_width=self.feature_width,
            by_kind=self.by_kind,
            alpha=self.alpha,
            max_depth=self.max_depth,
            seed=seed,
        )

    fit = renamed(fit_surrogate, "GGGPPerturbationExplainer.fit")

    def _unmoved_fit(self, dataset: LocalDataset, index: int) -> surrogates.SurrogateFit:
        """Warn that sequence ``index`` of the batch gets zero attributions (its local dataset
        is too small to fit a surrogate), saying why, and return the empty fit standing for it."""
        provenance = dataset.provenance
        settings = provenance.get("settings", {})
        low, high = settings.get("score_range", (math.nan, math.nan))
        original = provenance.get("original_score", math.nan)
        evaluations = provenance.get("evaluations")
        if not low <= original <= high:
            reason = (
                f"the model's score of the unedited sequence, {original:.4g}, lies outside "
                f"settings.score_range [{low:g}, {high:g}] and the archive keeps only scores "
                "inside it; set score_range to the range of the model's output (logits are "
                "not probabilities)"
            )
        elif provenance.get("stop_reason") == "time":
            reason = (
                f"the time budget (settings.max_time={settings.get('max_time')}) ran out after "
                f"{evaluations} evaluations; raise max_time"
            )
        else:
            reason = (
                f"the model's score ({original:.4g}) hardly moved under the {evaluations} "
                "evaluations tried, or moved outside settings.score_range "
                f"[{low:g}, {high:g}] (generation 0 keeps only edits that move it by "
                f"initial_min_delta={settings.get('initial_min_delta')}): a saturated model? "
                "Raise n_samples, lower initial_min_delta, or widen score_range"
            )
        warnings.warn(
            f"GGGP: sequence {index} of the batch gets zero attributions: its local dataset "
            f"holds {len(dataset)} row(s), too few to fit a surrogate, because {reason}",
            UserWarning,
            stacklevel=4,  # the caller of attribute (above Captum's log_usage wrapper)
        )
        kinds = tuple(self.grammar_for(dataset.reference).kind_names) if self.by_kind else None
        return surrogates.SurrogateFit(
            model=None,
            spec=surrogates.FeatureSpec(
                len(dataset.reference), self.feature_width, kinds, np.zeros(0, np.int64)
            ),
            effects=np.zeros(0),
            fidelity={"r2": math.nan, "spearman": math.nan, "n_train": len(dataset),
                      "n_test": 0},
        )

    @log_usage()
    def attribute(
        self,
        inputs: torch.Tensor,
        target=None,
        additional_forward_args: Any = None,
        *,
        seed: int = 0,
        tracked=None,
        scorer: Callable[[EditBatch], Any] | None = None,
        n_samples: int | None = None,
        perturbations_per_eval: int | None = None,
        aggregate: str | None = None,
        return_surrogate: bool = False,
        show_progress: bool = False,
        per_locus: bool | None = None,
    ):
        """Attribute each input sequence by its own local dataset and surrogate.

        Parameters
        ----------
        inputs : torch.Tensor or 1-tuple of it
            ``(N, 4, L)`` one-hot (``(N, L, 4)`` for ``layout="NLC"``); each sequence is
            searched separately with the same ``seed``. Noisy copies are read as their
            nearest sequences (class Notes). A 1-tuple (as Captum's wrappers pass it) gives
            a 1-tuple of attributions.
        target : int, tuple, list, torch.Tensor or None
            As in Captum's Lime: an int (2-d outputs) or tuple (more dimensions) for every
            sequence, or a list / tensor of ``N`` targets, one per sequence. ``forward_func``
            explainers only.
        additional_forward_args : any, optional
            As in Lime: tensors (and lists) whose first dimension is ``N`` are split per
            sequence; other arguments go unchanged to every call. ``forward_func`` explainers
            only.
        seed, tracked, scorer, n_samples, perturbations_per_eval, show_progress
            As in :meth:`generate` (``scorer`` is deprecated there too); ``n_samples`` is the
            budget per sequence.
        aggregate : {None, "sum"}
            ``None``: attributions shaped like ``inputs``. ``"sum"``: the per-locus total,
            ``(N, L)``: the surrogate's per-base attribution, which equals the channel sum of
            the input-shaped attributions wherever the input holds a base (at an N column
            those are 0, the per-locus total keeps the effect of editing the N).
        return_surrogate : bool
            Also return the ``N`` :class:`~captum_genomics.surrogates.SurrogateFit` objects
            (with held-out fidelity).
        per_locus : bool, optional
            Deprecated (removed in 0.3.0): ``per_locus=True`` is ``aggregate="sum"``.

        Returns
        -------
        torch.Tensor or (torch.Tensor, list of SurrogateFit)
            Attributions shaped like ``inputs`` (or ``(N, L)``), same dtype and device, on
            the channels of the bases read; a 1-tuple of them for a 1-tuple ``inputs``.

        Warns
        -----
        UserWarning
            For each sequence whose local dataset holds fewer than 2 rows (e.g. a saturated
            model's score hardly moved): it gets zero attributions, and its ``SurrogateFit``
            has ``model=None``, no features and NaN fidelity. The warning names the sequence,
            the evaluations spent, why the search stopped and the fix (e.g. raise
            ``n_samples``). The other sequences of the batch are explained as usual.

        Raises
        ------
        Exception
            What the model raises, carrying ``sequence_index``, ``finished_datasets`` (``{i:
            LocalDataset}`` of the sequences before it; ``fit_surrogate`` explains them) and
            ``partial`` (the failing search's evaluations, see :func:`.search`).
        """
        if scorer is not None:
            warn_deprecated(
                "attribute(scorer=...)", "GGGPPerturbationExplainer(scorer=...)", stacklevel=4
            )
        if per_locus is not None:
            if aggregate is not None:
                raise TypeError("got both per_locus and its replacement aggregate; pass aggregate")
            warn_deprecated("attribute(per_locus=...)", 'aggregate="sum"', stacklevel=4)
            aggregate = "sum" if per_locus else None
        check_choice(aggregate, "aggregate", AGGREGATES)
        self._check_scoring_arguments(target, additional_forward_args, scorer)
        check_eval_mode(self._scoring(scorer), "GGGPPerturbationExplainer", stacklevel=4)
        inputs, as_tuple = single_input(inputs, "GGGPPerturbationExplainer")
        x = self._read_sequences(inputs)
        n = x.shape[0]
        maps, fits, finished = [], [], {}
        for i in range(n):  # a failing sequence keeps the finished ones on the exception
            try:
                dataset = self._generate(
                    x[i : i + 1], _example_target(target, i, n),
                    _select_example(additional_forward_args, i, n), scorer, seed, tracked,
                    n_samples, perturbations_per_eval, show_progress)
            except Exception as err:
                err.finished_datasets, err.sequence_index = finished, i
                raise
            finished[i] = dataset
            if len(dataset) < 2:
                fit = self._unmoved_fit(dataset, i)
            else:
                fit = self.fit_surrogate(dataset, seed=seed)
            fits.append(fit)
            maps.append(torch.as_tensor(fit.per_position(), dtype=x.dtype, device=x.device))
        per_base = torch.stack(maps)
        if aggregate == "sum":
            out = per_base
        else:
            observed = (x == 1).to(x.dtype)
            out = from_ncl(observed * per_base[:, None, :], self.layout)
        if as_tuple:
            out = (out,)
        return (out, fits) if return_surrogate else out


def _section(docstring: str, title: str) -> str:
    """The numpy-style section ``title`` of ``docstring`` (heading to the next heading)."""
    lines = inspect.cleandoc(docstring).splitlines()
    start = lines.index(title)
    end = next((i - 1 for i in range(start + 2, len(lines)) if set(lines[i]) == {"-"}), len(lines))
    return "\n".join(lines[start:end]).strip()


# help(GGGPPerturbationExplainer.__init__) shows our parameters, not Captum's inherited text
GGGPPerturbationExplainer.__init__.__doc__ = (
    inspect.cleandoc(GGGPPerturbationExplainer.__init__.__doc__)
    + "\n\n"
    + _section(GGGPPerturbationExplainer.__doc__, "Parameters")
)
