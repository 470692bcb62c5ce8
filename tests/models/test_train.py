from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from captum_genomics.models.deepg import DeepGCNN
from captum_genomics.models.train import balanced_accuracy, fit, predict, train_model
from captum_genomics.synthetic import planted_motif_dataset

LENGTH = 100


def _small_model(seed: int = 0, **kwargs) -> DeepGCNN:
    torch.manual_seed(seed)
    return DeepGCNN(LENGTH, (8, 16), (9, 5), (4, 4), **kwargs)


@pytest.fixture(scope="module")
def tiny_data():
    data = planted_motif_dataset(640, LENGTH, "TATAGCGCAGCTGTC", seed=0)
    return data.inputs[:512], data.labels[:512], data.inputs[512:], data.labels[512:]


def _reference_balanced_accuracy(labels: np.ndarray, predicted: np.ndarray) -> float:
    recalls = [np.mean(predicted[labels == c] == c) for c in np.unique(labels)]
    return float(np.mean(recalls))


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, st.integers(1, 50), elements=st.integers(0, 3)), st.data())
def test_balanced_accuracy_matches_definition(labels, data):
    predicted = data.draw(arrays(np.int64, labels.shape, elements=st.integers(0, 4)))
    value = balanced_accuracy(labels, predicted)
    assert value == pytest.approx(_reference_balanced_accuracy(labels, predicted))
    scores = np.eye(5)[predicted] + 0.1
    assert balanced_accuracy(torch.from_numpy(labels), torch.from_numpy(scores)) == value
    assert balanced_accuracy(labels, labels) == 1.0


def test_balanced_accuracy_is_chance_for_a_constant_prediction_under_imbalance():
    labels = np.array([0] * 90 + [1] * 10)
    assert balanced_accuracy(labels, np.zeros(100, dtype=np.int64)) == 0.5


@pytest.mark.parametrize(
    ("labels", "predictions", "match"),
    [
        (np.array([0.0, 1.0]), np.array([0, 1]), "integer"),
        (np.array([0, 1, 1]), np.array([0, 1]), "3 entries"),
        (np.array([0, 1]), np.array([[0.2], [0.9]]), "threshold"),
        (np.array([], dtype=np.int64), np.array([], dtype=np.int64), "non-empty"),
    ],
)
def test_balanced_accuracy_errors(labels, predictions, match):
    with pytest.raises(ValueError, match=match):
        balanced_accuracy(labels, predictions)


def test_fit_learns_a_planted_motif(tiny_data):
    x, y, xv, yv = tiny_data
    # No BN: with only 8 batches per epoch Keras-momentum moving statistics lag behind.
    torch.manual_seed(0)
    model = DeepGCNN(LENGTH, (16,), (15,), (1,), head="global_max", batch_norm=False)
    history = train_model(
        model, x, y, epochs=5, lr=3e-3, seed=0, validation=(xv, yv), show_progress=False
    )
    assert len(history.loss) == len(history.val_balanced_accuracy) == 5
    assert history.loss[-1] < history.loss[0]
    assert history.val_balanced_accuracy[-1] >= 0.95
    assert balanced_accuracy(yv, predict(model, xv)) == history.val_balanced_accuracy[-1]
    assert not model.training


def test_fit_is_deterministic_by_seed(tiny_data):
    x, y, _, _ = tiny_data
    x, y = x[:192], y[:192]
    runs = []
    for seed in (5, 5, 6):
        model = _small_model(dense_units=(8,), dropout=0.3)
        history = train_model(model, x, y, epochs=2, seed=seed, show_progress=False)
        runs.append((history.loss, model.body.dense2.weight.detach().clone()))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])
    assert runs[0][0] != runs[2][0]


def test_fit_leaves_global_rng_untouched(tiny_data):
    x, y, _, _ = tiny_data
    model = _small_model(dense_units=(4,), dropout=0.5)
    state = torch.get_rng_state()
    train_model(model, x[:64], y[:64], epochs=1, seed=3, show_progress=False)
    assert torch.equal(torch.get_rng_state(), state)


def test_fit_single_output_model(tiny_data):
    x, y, _, _ = tiny_data
    model = _small_model(n_classes=1)
    history = train_model(model, x, y, epochs=3, seed=0, show_progress=False)
    assert history.loss[-1] < history.loss[0]
    assert predict(model, x[:5]).shape == (5, 1)


def test_fit_accepts_numpy_and_generator_seed(tiny_data):
    x, y, _, _ = tiny_data
    a, b = _small_model(), _small_model()
    ha = train_model(a, x[:64].numpy(), y[:64].numpy(), epochs=1,
                     seed=np.random.default_rng(1), show_progress=False)  # fmt: skip
    hb = train_model(
        b, x[:64], y[:64], epochs=1, seed=np.random.default_rng(1), show_progress=False
    )
    assert ha.loss == hb.loss


def test_predict_batches_and_restores_mode(tiny_data):
    x = tiny_data[0][:10]
    model = _small_model()
    model.train()
    one_go = predict(model, x, batch_size=64)
    batched = predict(model, x, batch_size=3)
    assert model.training
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(one_go, model(x))
    torch.testing.assert_close(batched, one_go)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr": 0.0}, "lr"),
        ({"labels": torch.full((8,), 2)}, "labels go up to 2"),
        ({"labels": torch.zeros(7, dtype=torch.long)}, "one per input"),
        ({"labels": torch.zeros(8)}, "integer"),
        ({"validation": (torch.zeros(2, 4, LENGTH),)}, "validation must be"),
    ],
)
def test_fit_errors(kwargs, match):
    args = {"inputs": torch.zeros(8, 4, LENGTH), "labels": torch.zeros(8, dtype=torch.long)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        train_model(_small_model(), show_progress=False, **args)


def test_fit_refuses_probability_outputs():
    with pytest.raises(ValueError, match="probabilities"):
        train_model(_small_model(output="probabilities"), torch.zeros(4, 4, LENGTH),
                    torch.zeros(4, dtype=torch.long), show_progress=False)  # fmt: skip


def test_fit_and_progress_are_deprecated_aliases(tiny_data):
    x, y, _, _ = tiny_data
    new = train_model(_small_model(), x[:64], y[:64], epochs=1, seed=2, show_progress=False)
    renamed_argument = r"progress=\.\.\.\) is deprecated .* use show_progress"
    with pytest.warns(DeprecationWarning, match=renamed_argument):
        with pytest.warns(DeprecationWarning, match="fit is deprecated .* use train_model"):
            old = fit(_small_model(), x[:64], y[:64], epochs=1, seed=2, progress=False)
    assert old.loss == new.loss
    assert importlib.import_module("captum_genomics.models").fit is fit
    with pytest.raises(TypeError, match="both 'progress'"):
        train_model(_small_model(), x[:8], y[:8], progress=False, show_progress=False)
