from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from captum._utils.models.linear_model import SkLearnLasso, SkLearnLinearRegression
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Lasso

from captum_genomics.gggp.dataset import LocalDataset
from captum_genomics.gggp.grammar import Grammar, decode_sequence
from captum_genomics.gggp.operators import random_population
from captum_genomics.gggp.population import apply_population, format_phenotypes, parse_phenotypes
from captum_genomics.surrogates import (
    AUTO_ALPHA_RATIO,
    DecisionTreeSurrogate,
    FeatureSpec,
    auto_alpha,
    edit_features,
    fidelity,
    fit_surrogate,
)

GRAMMAR = Grammar()


def test_edit_features_hand_example():
    pop = parse_phenotypes(["SNV[1,A]|Deletion[4,7]", "Insertion[9,GG]", "SNV[4,T]"], GRAMMAR)
    x, spec = edit_features(pop, 10)
    assert spec.names == ["edit[1,2)", "edit[4,5)", "edit[5,6)", "edit[6,7)", "edit[9,10)"]
    np.testing.assert_array_equal(x, [[1, 1, 1, 1, 0], [0, 0, 0, 0, 1], [0, 1, 0, 0, 0]])
    xw, spec_w = edit_features(pop, 10, feature_width=4)
    assert spec_w.names == ["edit[0,4)", "edit[4,8)", "edit[8,10)"]
    np.testing.assert_array_equal(xw, [[1, 1, 0], [0, 0, 1], [0, 1, 0]])
    xk, spec_k = edit_features(pop, 10, grammar=GRAMMAR)
    assert spec_k.names == [
        "SNV[1,2)",
        "SNV[4,5)",
        "Deletion[4,5)",
        "Deletion[5,6)",
        "Deletion[6,7)",
        "Insertion[9,10)",
    ]
    np.testing.assert_array_equal(xk.sum(axis=0), [1, 1, 1, 1, 1, 1])
    other = parse_phenotypes(["SNV[0,C]|SNV[4,A]"], GRAMMAR)
    reused, same = edit_features(other, 10, spec=spec)
    assert same is spec
    np.testing.assert_array_equal(reused, [[0, 1, 0, 0, 0]])


@given(st.integers(0, 2**32 - 1), st.integers(1, 7))
@settings(deadline=None, max_examples=25)
def test_features_mark_exactly_the_footprints(seed, window):
    rng = np.random.default_rng(seed)
    space = GRAMMAR.bind(rng.integers(0, 4, 90).astype(np.uint8))
    pop = random_population(space, 20, rng)
    x, spec = edit_features(pop, 90, feature_width=window)
    for i in range(len(pop)):
        touched = np.zeros(90, bool)
        for k, p, r in zip(pop.kind[i], pop.pos[i], pop.ref_len[i]):
            if k >= 0:
                touched[p : p + max(r, 1)] = True
        covered = np.zeros(90, bool)
        for s, e in zip(spec.starts[x[i] > 0], spec.ends[x[i] > 0]):
            covered[s:e] = True
        window_hit = np.add.reduceat(touched, np.arange(0, 90, window)) > 0
        expected = np.repeat(window_hit, window)[:90]
        np.testing.assert_array_equal(covered, expected)


def test_to_positions_spreads_window_values():
    spec = FeatureSpec(10, 4, None, np.array([0, 2]))
    np.testing.assert_allclose(
        spec.to_positions(np.array([4.0, 1.0])), [1, 1, 1, 1, 0, 0, 0, 0, 0.5, 0.5]
    )


def test_fidelity_values():
    o = np.array([0.1, 0.4, 0.2, 0.9])
    assert fidelity(o, o) == {"r2": 1.0, "spearman": 1.0}
    f = fidelity(np.full(4, o.mean()), o)
    assert f["r2"] == pytest.approx(0.0) and np.isnan(f["spearman"])
    assert fidelity(-o, o)["spearman"] == pytest.approx(-1.0)


def _planted_dataset(seed=0, n=600):
    rng = np.random.default_rng(seed)
    ref = rng.integers(0, 4, 60).astype(np.uint8)
    space = GRAMMAR.bind(ref)
    pop = random_population(space, n, rng)
    x, spec = edit_features(pop, 60)
    hit20 = x[:, spec.columns == 20].reshape(-1)
    hit40 = x[:, spec.columns == 40].reshape(-1)
    scores = 0.8 - 0.5 * hit20 + 0.2 * hit40 + rng.normal(0, 0.01, n)
    batch = apply_population(space, pop)
    return LocalDataset(
        decode_sequence(ref),
        format_phenotypes(pop, GRAMMAR),
        batch.strings(),
        scores,
        np.zeros(n, int),
        np.zeros(n),
        {"original_score": 0.8},
    )


def test_lasso_recovers_planted_effects():
    data = _planted_dataset()
    fit = fit_surrogate(data, GRAMMAR, "lasso", alpha=1e-3, seed=0)
    per_base = fit.per_position()
    assert per_base[20] == pytest.approx(0.5, abs=0.05)
    assert per_base[40] == pytest.approx(-0.2, abs=0.05)
    others = np.delete(per_base, [20, 40])
    assert np.abs(others).max() < 0.05
    # most rows differ by noise only, so ranks agree less than values
    assert fit.fidelity["r2"] > 0.9 and fit.fidelity["spearman"] > 0.4
    assert fit.fidelity["n_test"] == 120 and fit.fidelity["n_train"] == 480
    by_kind = fit_surrogate(data, GRAMMAR, "lasso", by_kind=True)
    assert by_kind.per_kind().shape == (3, 60)
    np.testing.assert_allclose(by_kind.per_kind().sum(axis=0), by_kind.per_position())


@pytest.mark.parametrize(
    "interpretable_model",
    [lambda: SkLearnLasso(alpha=1e-3), SkLearnLinearRegression],
    ids=["SkLearnLasso", "SkLearnLinearRegression"],
)
def test_a_captum_model_recovers_planted_effects(interpretable_model):
    data = _planted_dataset()
    model = interpretable_model()
    fit = fit_surrogate(data, GRAMMAR, model, seed=0)
    assert fit.model is model and fit.alpha is None  # fitted in place, like Lime's
    per_base = fit.per_position()
    assert per_base[20] == pytest.approx(0.5, abs=0.05)
    assert per_base[40] == pytest.approx(-0.2, abs=0.05)
    assert np.abs(np.delete(per_base, [20, 40])).max() < 0.05
    assert fit.fidelity["r2"] > 0.9


def test_old_argument_names_warn_and_still_work():
    data = _planted_dataset(n=200)
    new = fit_surrogate(data, GRAMMAR, interpretable_model="lasso", feature_width=3)
    with pytest.warns(DeprecationWarning, match=r"model=.*interpretable_model="):
        with pytest.warns(DeprecationWarning, match=r"window=.*feature_width="):
            old = fit_surrogate(data, GRAMMAR, model="lasso", window=3)
    np.testing.assert_array_equal(old.effects, new.effects)
    assert new.spec.feature_width == 3
    with pytest.warns(DeprecationWarning, match="FeatureSpec.window"):
        assert new.spec.window == 3
    with pytest.raises(TypeError, match="both 'window' and its new name 'feature_width'"):
        edit_features(data.population(GRAMMAR), 60, window=2, feature_width=2)


def test_auto_alpha_is_a_share_of_the_penalty_that_zeroes_every_coefficient():
    data = _planted_dataset(2, n=200)
    x, _ = edit_features(data.population(GRAMMAR), 60)
    largest = auto_alpha(x, data.scores) / AUTO_ALPHA_RATIO
    assert not Lasso(alpha=largest * 1.001).fit(x, data.scores).coef_.any()
    assert Lasso(alpha=largest * 0.9).fit(x, data.scores).coef_.any()
    assert auto_alpha(x, np.full(len(x), 0.3)) == 1.0


def test_auto_alpha_makes_the_lasso_scale_free():
    # Lasso(c y, c alpha) = c Lasso(y, alpha): with "auto" a change of score units scales
    # the effects and nothing else; a fixed alpha would not.
    data = _planted_dataset(3, n=300)
    scaled = dataclasses.replace(data, scores=data.scores * 1000.0,
                                 provenance={"original_score": 800.0})
    base = fit_surrogate(data, GRAMMAR, "lasso", seed=0)
    big = fit_surrogate(scaled, GRAMMAR, "lasso", seed=0)
    assert big.alpha == pytest.approx(1000.0 * base.alpha)
    np.testing.assert_allclose(big.per_position(), 1000.0 * base.per_position(), atol=1e-3)
    fixed = fit_surrogate(scaled, GRAMMAR, "lasso", alpha=base.alpha, seed=0)
    assert not np.allclose(fixed.per_position(), big.per_position(), atol=1e-3)


@pytest.mark.parametrize("alpha", [0, -1e-3, "cv", True, None])
def test_bad_alpha_is_refused(alpha):
    with pytest.raises(ValueError, match="alpha must be a positive number or 'auto'"):
        fit_surrogate(_planted_dataset(n=200), GRAMMAR, "lasso", alpha=alpha)


def test_tree_ranks_the_planted_feature_first():
    data = _planted_dataset(1)
    fit = fit_surrogate(data, GRAMMAR, "tree", max_depth=2, seed=0)
    assert isinstance(fit.model, DecisionTreeSurrogate)
    per_base = fit.per_position()
    assert np.argmax(np.abs(per_base)) == 20 and per_base[20] > 0
    assert fit.fidelity["r2"] > 0.5


def test_surrogate_errors():
    data = _planted_dataset(n=5)
    with pytest.raises(ValueError, match="'lasso', 'tree' or a captum Model"):
        fit_surrogate(data, GRAMMAR, "forest")
    with pytest.raises(ValueError, match="interpretable_model must be"):
        fit_surrogate(data, GRAMMAR, Lasso())  # a scikit-learn estimator is no Captum Model
    with pytest.raises(ValueError, match="feature_width must be >= 1"):
        fit_surrogate(data, GRAMMAR, feature_width=0)
    with pytest.raises(ValueError, match="at least 2"):
        fit_surrogate(LocalDataset("ACGT", [], [], [], [], []), GRAMMAR)
    with pytest.raises(ValueError, match="test_fraction"):
        fit_surrogate(data, GRAMMAR, test_fraction=1.0)
    with pytest.raises(RuntimeError, match="fit the tree"):
        DecisionTreeSurrogate().representation()


def test_too_small_a_dataset_says_what_to_change():
    one = LocalDataset("ACGT", ["SNV[0,C]"], ["CCGT"], [0.5], [0], [0.0])
    with pytest.raises(ValueError, match="the local dataset has 1: .*population_size"):
        fit_surrogate(one, GRAMMAR)
