from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum._utils.models.linear_model import SkLearnLasso

from captum_genomics.attr.gggp import (
    ForwardScorer,
    GGGPPerturbationExplainer,
    dataset_one_hot,
)
from captum_genomics.dna.codec import decode, one_hot
from captum_genomics.gggp.dataset import LocalDataset
from captum_genomics.gggp.grammar import Deletion, Grammar
from captum_genomics.gggp.population import apply_population, parse_phenotypes
from captum_genomics.gggp.search import SearchSettings

MOTIF = "ATGCATTG"
STARTS = (60, 85, 110, 130)


def _reference():
    rng = np.random.default_rng(0)
    seq = list("ACGT"[i] for i in rng.integers(0, 4, 200))
    for s in STARTS:
        seq[s : s + 8] = MOTIF
    return "".join(seq)


class MotifNet(torch.nn.Module):
    """Two outputs: sigmoid of the soft-max PWM match of MOTIF, and its complement."""

    def __init__(self):
        super().__init__()
        pwm = torch.full((1, 4, 8), -2.0)
        pwm[0, torch.tensor(["ACGT".index(c) for c in MOTIF]), torch.arange(8)] = 2.0
        self.register_buffer("pwm", pwm)

    def forward(self, x, shift=None):
        z = torch.logsumexp(torch.nn.functional.conv1d(x, self.pwm)[:, 0], dim=1) - 14.0
        if shift is not None:
            z = z + shift.reshape(-1)
        p = torch.sigmoid(z)
        return torch.stack([p, 1 - p], dim=1)


GRAMMAR = Grammar(roi=(80, 120), max_distance=60)


def _explainer(**kw):
    kw.setdefault("settings", SearchSettings(max_evaluations=1500, population_size=300))
    return GGGPPerturbationExplainer(MotifNet(), grammar=GRAMMAR, **kw)


@pytest.fixture(scope="module")
def inputs():
    return one_hot([_reference()])


@pytest.fixture(scope="module")
def attributed(inputs):
    return _explainer().attribute(inputs, target=0, return_surrogate=True)


def test_attributions_sit_on_observed_bases_and_find_the_motifs(inputs, attributed):
    attr, fits = attributed
    assert attr.shape == inputs.shape and attr.dtype == inputs.dtype
    assert (attr[inputs == 0] == 0).all()
    per_base = attr.sum(dim=1)[0].numpy()
    motif = np.zeros(200, bool)
    for s in STARTS:
        motif[s : s + 8] = True
    editable = ~GRAMMAR.bind(_reference()).forbidden
    assert per_base[motif].mean() > 5 * abs(per_base[~motif & editable].mean())
    assert per_base[motif].mean() > 0
    assert np.isfinite(fits[0].fidelity["r2"]) and fits[0].fidelity["spearman"] > 0.3
    assert (per_base[~editable] == 0).all()


def test_same_seed_same_attributions(inputs, attributed):
    again = _explainer().attribute(inputs, target=0)
    torch.testing.assert_close(again, attributed[0])
    locus = _explainer().attribute(inputs, target=0, aggregate="sum")
    assert locus.shape == (1, 200)
    torch.testing.assert_close(locus, attributed[0].sum(dim=1))
    with pytest.warns(DeprecationWarning, match='per_locus.*aggregate="sum"'):
        old = _explainer().attribute(inputs, target=0, per_locus=True)
    torch.testing.assert_close(old, locus)
    with pytest.raises(TypeError, match="per_locus and its replacement aggregate"):
        _explainer().attribute(inputs, target=0, per_locus=True, aggregate="sum")
    with pytest.raises(ValueError, match="aggregate must be one of"):
        _explainer().attribute(inputs, target=0, aggregate="mean")


def test_nlc_layout_and_tree_surrogate(inputs):
    settings = SearchSettings(max_evaluations=400, population_size=100)
    ncl, fits = _explainer(interpretable_model="tree", settings=settings).attribute(
        inputs, target=0, return_surrogate=True
    )
    model = MotifNet()
    exp = GGGPPerturbationExplainer(
        lambda x: model(x.permute(0, 2, 1)),
        grammar=GRAMMAR,
        interpretable_model="tree",
        layout="NLC",
        settings=settings,
    )
    nlc = exp.attribute(inputs.permute(0, 2, 1).contiguous(), target=0)
    # the same search and tree, only transposed
    torch.testing.assert_close(nlc, ncl.permute(0, 2, 1), rtol=0, atol=0)
    # the tree's map is minus its signed importances, on the observed base of each position
    expected = -torch.as_tensor(fits[0].effects, dtype=torch.float32)
    per_base = ncl.sum(dim=1)[0]
    torch.testing.assert_close(per_base[torch.as_tensor(fits[0].spec.starts)], expected)
    torch.testing.assert_close(ncl, inputs * per_base)
    # one feature per base: impurity importances sum to 1, a depth-4 tree splits <= 15 times
    assert per_base.abs().sum().item() == pytest.approx(1.0, rel=1e-5)
    assert 0 < int((per_base != 0).sum()) <= 15
    editable = torch.as_tensor(~GRAMMAR.bind(_reference()).forbidden)
    assert (per_base[~editable] == 0).all()


def test_generate_dataset_round_trip(inputs, tmp_path):
    exp = _explainer(
        settings=SearchSettings(max_evaluations=600, population_size=200), model_name="motifnet"
    )
    data = exp.generate(inputs, target=1, seed=4)
    assert data.provenance["model"] == "motifnet" and data.provenance["seed"] == 4
    assert data.provenance["length_policy"] == "pad_right"
    assert all(len(s) == 200 for s in data.sequences)
    x = dataset_one_hot(data)
    assert x.shape == (len(data), 4, 200)
    expected = MotifNet()(x)[:, 1].double().numpy()
    np.testing.assert_allclose(data.scores, expected, rtol=1e-5, atol=1e-6)
    path = tmp_path / "local.tsv"
    data.to_tsv(path)
    back = LocalDataset.from_tsv(path)
    assert back.sequences == data.sequences and back.provenance == data.provenance
    np.testing.assert_array_equal(back.scores, data.scores)


def test_forward_scorer_targets_args_and_n(inputs):
    g = Grammar()
    pop = parse_phenotypes(["SNV[3,N]", "Deletion[0,2]"], g)
    batch = apply_population(g.bind(decode(inputs)[0]), pop, length=200)
    seen = []

    def fwd(x, shift):
        seen.append(x)
        return MotifNet()(x, shift)

    shift = torch.tensor([1.0])
    scores = ForwardScorer(fwd, 0, (shift,), n_value=0.25)(batch)
    x = seen[0]
    assert x.shape == (2, 4, 200)
    torch.testing.assert_close(x[0, :, 3], torch.full((4,), 0.25))
    torch.testing.assert_close(x[1, :, -2:], torch.full((4, 2), 0.25))
    np.testing.assert_allclose(scores, MotifNet()(x, shift.expand(2))[:, 0].numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="target="):
        ForwardScorer(MotifNet())(batch)


def test_variable_length_policy_and_bad_input(inputs):
    widths = []

    def fwd(x):
        widths.append(x.shape[2])
        return MotifNet()(x)[:, 0]

    exp = GGGPPerturbationExplainer(
        fwd,
        grammar=GRAMMAR,
        length_policy="variable",
        settings=SearchSettings(max_generations=1, population_size=50),
    )
    exp.generate(inputs)
    assert len(set(widths)) > 1
    with pytest.raises(ValueError, match="one sequence"):
        exp.generate(torch.cat([inputs, inputs]))
    with pytest.raises(ValueError, match="length_policy"):
        GGGPPerturbationExplainer(fwd, length_policy="crop")
    assert hasattr(GGGPPerturbationExplainer.attribute, "__wrapped__")


def test_lime_style_budget_and_batch_arguments(inputs):
    sizes = []

    def fwd(x):
        sizes.append(x.shape[0])
        return MotifNet()(x)

    exp = GGGPPerturbationExplainer(fwd, grammar=GRAMMAR,
                                    settings=SearchSettings(max_evaluations=5000,
                                                            population_size=64))
    dataset = exp.generate(inputs, target=0, n_samples=150, perturbations_per_eval=16)
    assert dataset.provenance["evaluations"] <= 150 < 5000
    assert sum(sizes) == dataset.provenance["evaluations"]
    assert max(sizes) <= 16
    sizes.clear()
    attr = exp.attribute(inputs, target=0, n_samples=120, perturbations_per_eval=32)
    assert attr.shape == inputs.shape and sum(sizes) <= 120 and max(sizes) <= 32
    assert exp.settings.max_evaluations == 5000  # the call did not change the explainer
    assert dataset.provenance["settings"]["population_size"] == 150 // 4
    assert dataset.provenance["generations"] >= 4
    roomy = exp.generate(inputs, target=0, n_samples=1000)
    assert roomy.provenance["settings"]["population_size"] == 64  # never raised
    for bad, error in ((0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="n_samples must be"):
            exp.generate(inputs, target=0, n_samples=bad)
    with pytest.raises(ValueError, match="perturbations_per_eval must be >= 1, got 0"):
        exp.generate(inputs, target=0, perturbations_per_eval=0)


def test_forward_func_or_scorer_chosen_at_construction(inputs):
    scorer = ForwardScorer(MotifNet(), 0, name="motif_scorer")
    with pytest.raises(TypeError, match="give forward_func= .* or scorer="):
        GGGPPerturbationExplainer(grammar=GRAMMAR)
    with pytest.raises(ValueError, match="not both"):
        GGGPPerturbationExplainer(MotifNet(), scorer=scorer)
    with pytest.raises(ValueError, match="a scorer receives the edited codes"):
        GGGPPerturbationExplainer(scorer=scorer, n_value=0.25)
    with pytest.raises(TypeError, match="scorer must be callable"):
        GGGPPerturbationExplainer(scorer="motif")
    by_scorer = GGGPPerturbationExplainer(
        scorer=scorer,
        grammar=GRAMMAR,
        settings=SearchSettings(max_evaluations=300, population_size=100),
    )
    assert by_scorer.forward_func is scorer and by_scorer.model_name == "motif_scorer"
    assert by_scorer.n_value is None
    by_model = _explainer(settings=SearchSettings(max_evaluations=300, population_size=100))
    # a scorer that selects output 0 is the model with target=0: same search, same map
    torch.testing.assert_close(by_scorer.attribute(inputs), by_model.attribute(inputs, target=0))
    data = by_scorer.generate(inputs, seed=1)
    assert data.provenance["scorer"] == "motif_scorer"
    np.testing.assert_allclose(data.scores, MotifNet()(dataset_one_hot(data))[:, 0].numpy(),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    for call in (by_scorer.generate, by_scorer.attribute):
        with pytest.raises(ValueError, match="scorer, which takes no target"):
            call(inputs, target=0)
        with pytest.raises(ValueError, match="takes no additional_forward_args"):
            call(inputs, additional_forward_args=(torch.ones(1),))


def test_a_per_call_scorer_is_deprecated_and_behaves_as_before(inputs):
    settings = SearchSettings(max_evaluations=200, population_size=50)
    scorer = ForwardScorer(MotifNet(), 1, name="complement")
    calls = []

    def never(x):
        calls.append(x)
        return MotifNet()(x)

    exp = GGGPPerturbationExplainer(never, grammar=GRAMMAR, settings=settings)
    with pytest.warns(DeprecationWarning, match=r"generate\(scorer=.*GGGPPerturbation"):
        old = exp.generate(inputs, scorer=scorer, seed=2)
    with pytest.warns(DeprecationWarning, match=r"attribute\(scorer=.*GGGPPerturbation"):
        old_attr = exp.attribute(inputs, scorer=scorer, seed=2)
    assert not calls  # the per-call scorer replaced the forward function, as before
    new_exp = GGGPPerturbationExplainer(scorer=scorer, grammar=GRAMMAR, settings=settings)
    new = new_exp.generate(inputs, seed=2)
    assert new.phenotypes == old.phenotypes
    np.testing.assert_array_equal(new.scores, old.scores)
    torch.testing.assert_close(new_exp.attribute(inputs, seed=2), old_attr)


class RecordingNLC(torch.nn.Module):
    """An (N, L, 4) model (deepG's layout) that keeps every batch it scores."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append(x.clone())
        return MotifNet()(x.permute(0, 2, 1))


@pytest.mark.parametrize("n_value, expected", [(None, 0.0), (0.25, 0.25), ("uniform", 0.25)])
def test_indel_padding_uses_the_n_value_given(inputs, n_value, expected):
    model = RecordingNLC()
    kw = {} if n_value is None else {"n_value": n_value}
    exp = GGGPPerturbationExplainer(
        model,
        grammar=Grammar(kinds=(Deletion(),), roi=(80, 120), max_distance=60),
        layout="NLC",
        settings=SearchSettings(max_evaluations=100, population_size=50),
        **kw,
    )
    assert exp.n_value == expected
    exp.generate(inputs.permute(0, 2, 1).contiguous(), target=0)
    x = torch.cat(model.seen)  # (n, L, 4); the input holds no N, deletions pad the right end
    padded = ~((x == 0) | (x == 1)).all(dim=2) | (x.sum(dim=2) != 1)
    assert padded[:, -1].sum() > 10  # most batches hold deletions
    assert (padded[:, :-1] <= padded[:, 1:]).all()  # padding is a right-end suffix
    torch.testing.assert_close(x[padded], torch.full((int(padded.sum()), 4), expected))


def test_input_n_columns_must_match_n_value(inputs):
    x = inputs.clone()
    x[:, :, 5] = 0.25  # a deepG-style N
    settings = SearchSettings(max_evaluations=60, population_size=20, initial_min_delta=0.0)
    refused = r"N columns of 0.25 \(first at position 5\).*pass n_value=0.25"
    with pytest.raises(ValueError, match=refused):
        _explainer(settings=settings).generate(x, target=0)
    uniform = _explainer(settings=settings, n_value=0.25)
    data = uniform.generate(x, target=0)  # the reference is scored as given
    assert data.provenance["original_score"] == pytest.approx(float(MotifNet()(x)[0, 0]))
    zeros = inputs.clone()
    zeros[:, :, 5] = 0.0
    with pytest.raises(ValueError, match=r"N columns of 0 .*but n_value=0.25.*n_value=0 "):
        uniform.generate(zeros, target=0)
    with pytest.raises(ValueError, match="n_policy must be one of"):
        _explainer(n_value="quarter")


def test_captum_model_as_interpretable_model_and_old_names(inputs, attributed):
    attr, fits = attributed
    lasso = SkLearnLasso(alpha=fits[0].alpha, max_iter=10_000)
    exp = _explainer(interpretable_model=lasso)
    again, again_fits = exp.attribute(inputs, target=0, return_surrogate=True)
    # the named "lasso" is Captum's SkLearnLasso at the automatic penalty: the same map
    torch.testing.assert_close(again, attr)
    assert again_fits[0].model is not lasso and isinstance(again_fits[0].model, SkLearnLasso)
    with pytest.raises(ValueError, match="interpretable_model must be"):
        _explainer(interpretable_model="forest")
    with pytest.warns(DeprecationWarning) as caught:
        old = _explainer(surrogate="tree", window=3)
    assert {str(w.message).split(" is ")[0] for w in caught} == {
        "GGGPPerturbationExplainer.__init__(surrogate=...)",
        "GGGPPerturbationExplainer.__init__(window=...)",
    }
    assert old.interpretable_model == "tree" and old.feature_width == 3
    data = _explainer(settings=SearchSettings(max_evaluations=300, population_size=100)).generate(
        inputs, target=0
    )
    with pytest.warns(DeprecationWarning, match="fit is deprecated.*fit_surrogate"):
        by_old_name = exp.fit(data)
    np.testing.assert_array_equal(by_old_name.effects, exp.fit_surrogate(data).effects)


def test_help_of_init_shows_our_parameters_not_captums():
    import pydoc

    text = pydoc.render_doc(GGGPPerturbationExplainer.__init__, renderer=pydoc.plaintext)
    for name in ("forward_func", "interpretable_model", "feature_width", "scorer", "n_value"):
        assert f"    {name} :" in text or f"\n{name} :" in text
    assert "Parameters\n" in text and "Args:" not in text


class _SaturatedForOne(torch.nn.Module):
    """MotifNet's outputs times ``scale`` plus ``offset``, per sequence (``scale`` 0: constant)."""

    def __init__(self):
        super().__init__()
        self.net = MotifNet()

    def forward(self, x, scale, offset):
        return self.net(x) * scale.reshape(-1, 1) + offset.reshape(-1, 1)


@pytest.mark.parametrize(
    ("offset", "settings", "reason"),
    [
        # a saturated logit: constant and outside the score range [0, 1]
        (-3.0, SearchSettings(max_evaluations=1500, population_size=300), "outside settings"),
        # constant inside the range, and only generation 0 (which wants a move) is searched
        (0.5, SearchSettings(max_generations=1, population_size=300, initial_min_delta=1e-3),
         "hardly moved"),
    ],
)
def test_a_sequence_whose_score_never_moves_gets_zero_attributions_and_a_warning(
    inputs, attributed, offset, settings, reason
):
    pair = torch.cat([inputs, inputs])
    args = (torch.tensor([1.0, 0.0]), torch.tensor([0.0, offset]))
    explainer = GGGPPerturbationExplainer(_SaturatedForOne(), grammar=GRAMMAR, settings=settings)
    with pytest.warns(UserWarning, match=r"sequence 1 of the batch gets zero attributions") as rec:
        attr, fits = explainer.attribute(
            pair, target=0, additional_forward_args=args, return_surrogate=True
        )
    [warning] = [w for w in rec if "zero attributions" in str(w.message)]
    assert warning.filename == __file__  # points at the caller
    message = str(warning.message)
    assert reason in message and "holds 0 row(s)" in message
    assert (attr[1] == 0).all() and attr.shape == pair.shape
    assert fits[1].model is None and np.isnan(fits[1].fidelity["spearman"])
    assert (fits[1].per_position() == np.zeros(200)).all()
    assert fits[0].model is not None and (attr[0] != 0).any()
    if settings.max_evaluations == 1500:  # sequence 0 is explained as on its own
        torch.testing.assert_close(attr[:1], attributed[0])
    with pytest.warns(UserWarning, match="sequence 0 of the batch gets zero attributions"):
        locus, fits = GGGPPerturbationExplainer(
            _SaturatedForOne(), grammar=GRAMMAR, settings=settings, by_kind=True
        ).attribute(pair[1:], target=0, additional_forward_args=(args[0][1:], args[1][1:]),
                    aggregate="sum", return_surrogate=True)
    assert locus.shape == (1, 200) and (locus == 0).all()
    assert fits[0].per_kind().shape == (len(GRAMMAR.kind_names), 200)


class DropoutMotifNet(MotifNet):
    """MotifNet with dropout on its outputs: random in training mode."""

    def __init__(self):
        super().__init__()
        self.dropout = torch.nn.Dropout(0.5)

    def forward(self, x, shift=None):
        return self.dropout(super().forward(x, shift))


def test_a_model_in_training_mode_is_warned_about_and_eval_mode_is_not(inputs):
    model = DropoutMotifNet()
    settings = SearchSettings(max_evaluations=200, population_size=50, score_range=(0.0, 2.0))
    explainer = GGGPPerturbationExplainer(model, grammar=GRAMMAR, settings=settings)
    with pytest.warns(UserWarning, match=r"training mode .*; call model\.eval\(\)"):
        explainer.generate(inputs, target=0)
    with pytest.warns(UserWarning, match=r"model\.eval\(\)"):
        explainer.attribute(inputs, target=0)
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = explainer.generate(inputs, target=0)
    np.testing.assert_array_equal(explainer.generate(inputs, target=0).scores, first.scores)


class _FailsOnFlagged(torch.nn.Module):
    """MotifNet, but raising from the third call on a sequence flagged by ``fail``."""

    def __init__(self):
        super().__init__()
        self.net, self.flagged_calls = MotifNet(), 0

    def forward(self, x, fail):
        if bool(fail.any()):
            self.flagged_calls += 1
            if self.flagged_calls > 2:
                raise RuntimeError("the model fell over")
        return self.net(x)


def test_a_failing_sequence_keeps_the_finished_ones_on_the_exception(inputs):
    settings = SearchSettings(max_evaluations=200, population_size=50)
    explainer = GGGPPerturbationExplainer(_FailsOnFlagged(), grammar=GRAMMAR, settings=settings)
    triple = torch.cat([inputs, inputs, inputs])
    with pytest.raises(RuntimeError, match="the model fell over") as caught:
        explainer.attribute(triple, target=0, additional_forward_args=torch.tensor([0., 1., 0.]))
    err = caught.value
    assert err.sequence_index == 1 and list(err.finished_datasets) == [0]
    assert err.partial.stop_reason == "error" and err.partial.evaluations > 0
    alone = explainer.generate(inputs, target=0, additional_forward_args=torch.tensor([0.]))
    finished = err.finished_datasets[0]
    assert finished.sequences == alone.sequences
    np.testing.assert_array_equal(finished.scores, alone.scores)
    assert explainer.fit_surrogate(finished).per_position().any()


class _CountTGCATG(torch.nn.Module):
    """Number of exact TGCATG words: a model whose truth is known."""

    def __init__(self):
        super().__init__()
        codes = torch.tensor([3, 2, 1, 0, 3, 2])
        self.conv = torch.nn.Conv1d(4, 1, 6, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.nn.functional.one_hot(codes, 4).T[None].float())

    def forward(self, x):
        return torch.relu(self.conv(x) - 5).sum(dim=(1, 2))[:, None]


def test_motif_units_explain_a_planted_motif():
    from captum_genomics.motifs import Motif

    rng = np.random.default_rng(4)
    text = list("".join(rng.choice(list("ACAT"), 200)))  # no G: no stray TGCATG
    for start in (40, 120):
        text[start:start + 6] = "TGCATG"
    x = one_hot("".join(text))
    motifs = [Motif.from_consensus("RBFOX", "TGCATG"), Motif.from_consensus("QKI", "ACTAAC")]
    explainer = GGGPPerturbationExplainer(
        _CountTGCATG(), settings=SearchSettings(population_size=40, max_evaluations=600,
                                                score_range=(0.0, 10.0), n_bins=10),
        motifs=motifs, feature_width=6)
    dataset = explainer.generate(x, target=0, seed=0)
    assert dataset.provenance["motifs"] == ["RBFOX", "QKI"]
    units = {u.split("[")[0] for ph in dataset.phenotypes for u in ph.split("|")}
    assert {"MotifDeletion", "MotifMutation"} <= units
    grammar = explainer.grammar_for(dataset.reference)
    assert [k.name for k in grammar.kinds][3:] == ["MotifInsertion", "MotifDeletion",
                                                   "MotifMutation"]
    attributions = explainer.attribute(x, target=0, seed=0).sum(dim=1)[0]
    planted = torch.zeros(200, dtype=torch.bool)
    planted[40:46] = planted[120:126] = True
    near = torch.zeros(200, dtype=torch.bool)  # the 6-base feature windows over the copies
    near[36:48] = near[120:126] = True
    # every planted base carries a clearly positive attribution (breaking it lowers the
    # count); motif insertions elsewhere raise it, so far windows are negative or small
    assert attributions[planted].min() > 0.05
    assert attributions[~near].max() < 0.05
    with pytest.raises(ValueError, match="motif_strands"):
        GGGPPerturbationExplainer(_CountTGCATG(), motifs=motifs, motif_strands="-")
