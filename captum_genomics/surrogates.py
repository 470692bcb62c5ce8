"""Surrogate models fitted on a local dataset, their features and their fidelity.

Features are interpretable edit indicators: feature ``f`` is 1 when a perturbation touches the
reference window ``[start_f, end_f)`` of ``feature_width`` bases (optionally one feature per unit
kind and window).  A unit touches its footprint ``[pos, pos + max(ref_len, 1))``.  Surrogates
are Captum :class:`captum._utils.models.model.Model` objects (``fit(DataLoader)``,
``representation()``), named like Lime's ``interpretable_model``: ``"lasso"`` (Captum's
``SkLearnLasso`` with a scale-free penalty), ``"tree"`` (:class:`DecisionTreeSurrogate`), or any
Captum ``Model`` instance such as ``SkLearnLasso(alpha=1e-3)`` or ``SkLearnLinearRegression()``.
The named ones need scikit-learn.

Sign convention (Captum's perturbation convention, ``f(x) - f(x_perturbed)``): a surrogate
*effect* is the predicted score change when a feature is edited; the attribution of the
reference bases it covers is minus that effect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from captum._utils.models.model import Model
from torch.utils.data import DataLoader, TensorDataset

from captum_genomics._deprecation import renamed_arguments, warn_deprecated
from captum_genomics._validate import check_int
from captum_genomics.gggp.dataset import LocalDataset
from captum_genomics.gggp.grammar import Grammar
from captum_genomics.gggp.population import Population

__all__ = [
    "AUTO_ALPHA_RATIO",
    "INTERPRETABLE_MODELS",
    "DecisionTreeSurrogate",
    "FeatureSpec",
    "SurrogateFit",
    "auto_alpha",
    "edit_features",
    "fit_surrogate",
    "fidelity",
]


AUTO_ALPHA_RATIO = 0.01
"""``alpha="auto"``: the lasso penalty as a share of the smallest penalty that zeroes every
coefficient, so it does not depend on the scale of the model's scores."""

INTERPRETABLE_MODELS = ("lasso", "tree")
"""Names of the built-in surrogates (``interpretable_model`` also takes a Captum ``Model``)."""

_LASSO_MAX_ITER = 10_000  # coordinate-descent sweeps: sklearn's 1,000 stop short on edit features


def _require_sklearn():
    try:
        import sklearn  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("surrogate models need scikit-learn: pip install scikit-learn") from err


@dataclass(frozen=True)
class FeatureSpec:
    """Which reference windows (and kinds) the feature columns stand for.

    Attributes
    ----------
    length : int
        Reference length ``L``.
    feature_width : int
        Width of each feature's window in bases.
    kinds : tuple of str or None
        Kind names when features are split by kind, else ``None``.
    columns : numpy.ndarray
        ``(F,)`` int64 codes ``kind * n_windows + window_index`` of the kept columns.
    """

    length: int
    feature_width: int
    kinds: tuple[str, ...] | None
    columns: np.ndarray

    @property
    def window(self) -> int:
        """Deprecated name of :attr:`feature_width` (removed in 0.3.0)."""
        warn_deprecated("FeatureSpec.window", "FeatureSpec.feature_width")
        return self.feature_width

    @property
    def n_windows(self) -> int:
        """Windows covering the reference."""
        return -(-self.length // self.feature_width)

    @property
    def kind_index(self) -> np.ndarray:
        """``(F,)`` kind code of each feature (0 when pooled)."""
        return self.columns // self.n_windows

    @property
    def starts(self) -> np.ndarray:
        """``(F,)`` window starts."""
        return (self.columns % self.n_windows) * self.feature_width

    @property
    def ends(self) -> np.ndarray:
        """``(F,)`` window ends (exclusive)."""
        return np.minimum(self.starts + self.feature_width, self.length)

    @property
    def names(self) -> list[str]:
        """``(F,)`` readable names such as ``edit[120,130)`` or ``SNV[42,43)``."""
        labels = self.kinds or ("edit",)
        return [f"{labels[k]}[{s},{e})" for k, s, e in zip(self.kind_index, self.starts, self.ends)]

    def to_positions(self, values: np.ndarray) -> np.ndarray:
        """Spread per-feature values over their bases (each base gets value / width),
        summing over kinds.

        Parameters
        ----------
        values : numpy.ndarray
            ``(F,)`` values.

        Returns
        -------
        numpy.ndarray
            ``(L,)`` float64 per-base values.
        """
        widths = self.ends - self.starts
        diff = np.zeros(self.length + 1)
        np.add.at(diff, self.starts, values / widths)
        np.add.at(diff, self.ends, -values / widths)
        return np.cumsum(diff[:-1])


@renamed_arguments(window="feature_width")
def edit_features(
    population: Population,
    length: int,
    feature_width: int = 1,
    grammar: Grammar | None = None,
    spec: FeatureSpec | None = None,
) -> tuple[np.ndarray, FeatureSpec]:
    """Binary edit-indicator features of individuals.

    Parameters
    ----------
    population : Population
        ``n`` individuals (reference coordinates).
    length : int
        Reference length ``L``.
    feature_width : int
        Window width in bases; 1 gives per-position features (``window=`` is its deprecated
        name).
    grammar : Grammar, optional
        When given, features are split by unit kind (its kind names label them).
    spec : FeatureSpec, optional
        Reuse the columns of an earlier call (e.g. training features for test rows); edits
        outside them are ignored.  ``feature_width`` and ``grammar`` are then taken from
        ``spec``.

    Returns
    -------
    features : numpy.ndarray
        ``(n, F)`` float32 indicators; only windows edited at least once are kept (memory is
        ``n * F * 4`` bytes: widen ``feature_width`` for long references).
    spec : FeatureSpec
        Meaning of the ``F`` columns.
    """
    if spec is not None:
        width, by_kind = spec.feature_width, spec.kinds is not None
    else:
        width, by_kind = check_int(feature_width, "feature_width"), grammar is not None
    n_windows = -(-int(length) // width)
    rows, slots = np.nonzero(population.valid)
    start = population.pos[rows, slots]
    end = start + np.maximum(population.ref_len[rows, slots], 1)
    if rows.size and (start.min() < 0 or end.max() > length):
        raise ValueError(f"units fall outside the reference [0, {length}); check `length`")
    first = start // width
    count = (end - 1) // width - first + 1
    unit = np.repeat(np.arange(rows.size), count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    col = first[unit] + offset
    if by_kind:
        col = col + population.kind[rows, slots][unit].astype(np.int64) * n_windows
    row = rows[unit]
    if spec is None:
        kinds = tuple(grammar.kind_names) if by_kind else None
        spec = FeatureSpec(int(length), width, kinds, np.unique(col))
    where = np.searchsorted(spec.columns, col)
    known = where < spec.columns.size
    known[known] = spec.columns[where[known]] == col[known]
    features = np.zeros((len(population), spec.columns.size), np.float32)
    features[row[known], where[known]] = 1.0
    return features, spec


class DecisionTreeSurrogate(Model):
    """A shallow regression tree as a Captum ``Model``.

    Parameters
    ----------
    max_depth : int
        Tree depth (shallow trees stay readable).
    seed : int
        ``random_state`` of the tree.
    **kwargs
        Further ``sklearn.tree.DecisionTreeRegressor`` arguments.
    """

    def __init__(self, max_depth: int = 4, seed: int = 0, **kwargs) -> None:
        _require_sklearn()
        from sklearn.tree import DecisionTreeRegressor

        self.tree = DecisionTreeRegressor(max_depth=max_depth, random_state=seed, **kwargs)
        self._representation: torch.Tensor | None = None

    def fit(self, train_data: DataLoader, **kwargs) -> dict[str, float]:
        """Fit on ``(x, y)`` or ``(x, y, w)`` batches; returns the training R^2."""
        xs, ys, ws = [], [], []
        for batch in train_data:
            xs.append(batch[0].cpu().numpy())
            ys.append(batch[1].cpu().numpy().reshape(-1))
            if len(batch) == 3:
                ws.append(batch[2].cpu().numpy().reshape(-1))
        x, y = np.concatenate(xs), np.concatenate(ys)
        w = np.concatenate(ws) if ws else None
        self.tree.fit(x, y, sample_weight=w)
        on = x > 0.5
        n_on = on.sum(axis=0)
        n_off = x.shape[0] - n_on
        mean_on = np.where(n_on > 0, (on * y[:, None]).sum(axis=0) / np.maximum(n_on, 1), 0.0)
        mean_off = np.where(n_off > 0, (~on * y[:, None]).sum(axis=0) / np.maximum(n_off, 1), 0.0)
        sign = np.where((n_on > 0) & (n_off > 0), np.sign(mean_on - mean_off), 0.0)
        self._representation = torch.as_tensor(
            sign * self.tree.feature_importances_, dtype=torch.float32
        )[None, :]
        return {"train_r2": float(self.tree.score(x, y, sample_weight=w))}

    def representation(self) -> torch.Tensor:
        """``(1, F)`` impurity importances signed by the mean score change when edited."""
        if self._representation is None:
            raise RuntimeError("fit the tree before asking for its representation")
        return self._representation

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, 1)`` predictions for ``(n, F)`` features."""
        return torch.as_tensor(self.tree.predict(x.cpu().numpy()), dtype=torch.float32)[:, None]


def fidelity(predicted: np.ndarray, observed: np.ndarray) -> dict[str, float]:
    """Agreement of surrogate predictions with model scores.

    Parameters
    ----------
    predicted, observed : numpy.ndarray
        ``(n,)`` values.

    Returns
    -------
    dict
        ``r2`` (coefficient of determination; NaN when ``observed`` is constant) and
        ``spearman`` (rank correlation; NaN when either side is constant).
    """
    from scipy.stats import spearmanr

    p = np.asarray(predicted, float).reshape(-1)
    o = np.asarray(observed, float).reshape(-1)
    ss_tot = float(((o - o.mean()) ** 2).sum()) if o.size else 0.0
    r2 = 1.0 - float(((o - p) ** 2).sum()) / ss_tot if ss_tot > 0 else float("nan")
    constant = o.size < 2 or np.ptp(o) == 0 or np.ptp(p) == 0
    rho = float("nan") if constant else float(spearmanr(p, o)[0])
    return {"r2": r2, "spearman": rho}


@dataclass
class SurrogateFit:
    """A surrogate fitted on a local dataset.

    Attributes
    ----------
    model : captum Model
        The fitted surrogate.
    spec : FeatureSpec
        Feature meaning.
    effects : numpy.ndarray
        ``(F,)`` per-feature effect of editing (linear: coefficients in score units; tree: signed
        importances).
    fidelity : dict
        Held-out ``r2`` and ``spearman`` plus ``n_train`` and ``n_test``.
    alpha : float or None
        Lasso penalty used (None for other surrogates).
    """

    model: Model
    spec: FeatureSpec
    effects: np.ndarray
    fidelity: dict[str, float]
    alpha: float | None = None

    def per_position(self) -> np.ndarray:
        """``(L,)`` attribution per reference base: minus the effect of editing it."""
        return -self.spec.to_positions(self.effects)

    def per_kind(self) -> np.ndarray:
        """``(K, L)`` attribution per kind and base (``K = 1`` when features are pooled)."""
        n_kinds = len(self.spec.kinds) if self.spec.kinds else 1
        out = np.zeros((n_kinds, self.spec.length))
        for k in range(n_kinds):
            keep = self.spec.kind_index == k
            sub = FeatureSpec(
                self.spec.length, self.spec.feature_width, None, self.spec.columns[keep]
            )
            out[k] = -sub.to_positions(self.effects[keep])
        return out


def _predict(model: Model, features: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(features)).reshape(-1).cpu().numpy().astype(float)


def auto_alpha(features: np.ndarray, scores: np.ndarray) -> float:
    """Scale-free lasso penalty: ``AUTO_ALPHA_RATIO`` times the smallest penalty that
    zeroes every coefficient, ``max_j |x_j^T (y - mean(y))| / n``.

    Parameters
    ----------
    features : numpy.ndarray
        ``(n, F)`` training features.
    scores : numpy.ndarray
        ``(n,)`` training scores.

    Returns
    -------
    float
        The penalty (1.0 when the scores are constant: every coefficient is then 0).
    """
    scores = np.asarray(scores, float)
    if scores.size == 0 or np.ptp(scores) == 0:
        return 1.0
    centred = scores - scores.mean()
    largest = float(np.abs(features.T.astype(float) @ centred).max(initial=0.0)) / scores.size
    return AUTO_ALPHA_RATIO * largest if largest > 0 else 1.0


@renamed_arguments(model="interpretable_model", window="feature_width")
def fit_surrogate(
    dataset: LocalDataset,
    grammar: Grammar,
    interpretable_model: str | Model = "lasso",
    *,
    feature_width: int = 1,
    by_kind: bool = False,
    alpha: float | str = "auto",
    max_depth: int = 4,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> SurrogateFit:
    """Fit a surrogate of the scores on edit features and measure held-out fidelity.

    The unedited reference (all features 0, the original score from the provenance when
    recorded) joins the training rows.

    Parameters
    ----------
    dataset : LocalDataset
        ``n`` perturbations with scores.
    grammar : Grammar
        Grammar the phenotypes were written with.
    interpretable_model : {"lasso", "tree"} or captum Model
        As Lime's ``interpretable_model``. ``"lasso"``: Captum's ``SkLearnLasso(alpha=alpha)``;
        ``"tree"``: :class:`DecisionTreeSurrogate` of depth ``max_depth``; or an unfitted Captum
        ``Model`` (e.g. ``SkLearnLasso(alpha=1e-3)``, ``SkLearnLinearRegression()``), fitted
        here in place, whose ``representation()`` is ``(1, F)`` and that is callable on
        ``(n, F)`` tensors; ``alpha`` and ``max_depth`` then do not apply. ``model=`` is its
        deprecated name.
    feature_width : int
        Feature window width in bases (``window=`` is its deprecated name).
    by_kind : bool
        One feature per unit kind and window.
    alpha : float or "auto"
        Lasso penalty (sklearn's: the squared error is divided by ``2 n``). ``"auto"``
        (default) scales it to the data with :func:`auto_alpha`; a fixed number means
        different things for scores of different spread. On planted-motif CNNs (400
        evaluations, windows of 5 bases) "auto" recovered the motif as well as or better
        than 1e-3 or 1e-4 at every entropy level, and far better where the scores spread
        little.
    max_depth : int
        Tree depth.
    test_fraction : float
        Share of rows held out for fidelity (0 skips it; fidelity is then NaN).
    seed : int
        Seed of the split and the tree.

    Returns
    -------
    SurrogateFit
    """
    if len(dataset) < 2:
        raise ValueError(
            f"a surrogate needs at least 2 dataset rows, the local dataset has {len(dataset)}: "
            "the model's score hardly moved under the edits tried (generation 0 keeps only "
            "edits that move it by initial_min_delta); raise the evaluation budget, lower "
            "population_size so more generations run, or lower initial_min_delta"
        )
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in [0, 1), got {test_fraction}")
    model = _check_interpretable_model(interpretable_model)
    alpha = _check_alpha(alpha)
    population = dataset.population(grammar)
    features, spec = edit_features(
        population, len(dataset.reference), feature_width, grammar if by_kind else None
    )
    scores = dataset.scores
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(dataset))
    n_test = int(round(test_fraction * len(dataset)))
    test, train = order[:n_test], order[n_test:]
    x_train, y_train = features[train], scores[train]
    original = dataset.provenance.get("original_score")
    if original is not None:
        x_train = np.vstack([x_train, np.zeros((1, features.shape[1]), np.float32)])
        y_train = np.append(y_train, float(original))
    used_alpha = None
    if model == "lasso":
        _require_sklearn()
        from captum._utils.models.linear_model import SkLearnLasso

        used_alpha = auto_alpha(x_train, y_train) if alpha == "auto" else alpha
        model = SkLearnLasso(alpha=used_alpha, max_iter=_LASSO_MAX_ITER)
    elif model == "tree":
        _require_sklearn()
        model = DecisionTreeSurrogate(max_depth=max_depth, seed=seed)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(x_train), torch.as_tensor(y_train, dtype=torch.float32)),
        batch_size=max(1, x_train.shape[0]),
    )
    model.fit(loader)
    effects = model.representation().detach().reshape(-1).cpu().numpy().astype(float)
    if effects.size != spec.columns.size:
        raise ValueError(
            f"surrogate representation has {effects.size} values for {spec.columns.size} "
            "features; a surrogate must expose one value per feature"
        )
    scores_fit = (
        fidelity(_predict(model, features[test]), scores[test])
        if n_test >= 2
        else {"r2": float("nan"), "spearman": float("nan")}
    )
    scores_fit.update(n_train=int(train.size), n_test=int(n_test))
    return SurrogateFit(model, spec, effects, scores_fit, used_alpha)


def _check_interpretable_model(interpretable_model):
    """Validate a surrogate choice: a name of :data:`INTERPRETABLE_MODELS` or a Captum
    ``Model`` instance; returns it."""
    if isinstance(interpretable_model, Model) or (
        isinstance(interpretable_model, str) and interpretable_model in INTERPRETABLE_MODELS
    ):
        return interpretable_model
    raise ValueError(
        "interpretable_model must be 'lasso', 'tree' or a captum Model instance (e.g. "
        f"captum._utils.models.linear_model.SkLearnLasso(alpha=1e-3)), got {interpretable_model!r}"
    )


def _check_alpha(alpha) -> float | str:
    """Validate a lasso penalty: a positive number or ``"auto"``; returns it."""
    if isinstance(alpha, str) and alpha == "auto":
        return alpha
    if isinstance(alpha, (bool, str)) or not isinstance(alpha, (int, float, np.number)) or not (
        alpha > 0
    ):
        raise ValueError(f"alpha must be a positive number or 'auto', got {alpha!r}")
    return float(alpha)
