"""The shared integer check."""

from __future__ import annotations

import numpy as np
import pytest

from captum_genomics._validate import (
    check_choice,
    check_eval_mode,
    check_int,
    check_layout,
    training_modules,
)


def test_accepts_python_and_numpy_integers():
    assert check_int(3, "n") == 3 and type(check_int(np.int64(3), "n")) is int
    assert check_int(0, "offset", 0) == 0


@pytest.mark.parametrize("value", [2.0, "3", None, True, np.bool_(True), [1]])
def test_refuses_non_integers_with_a_type_error(value):
    with pytest.raises(TypeError, match="n must be an int, got"):
        check_int(value, "n")


def test_refuses_values_below_the_minimum():
    with pytest.raises(ValueError, match="window must be >= 1, got 0"):
        check_int(0, "window")
    with pytest.raises(ValueError, match="offset must be >= 5, got 4"):
        check_int(4, "offset", 5)


def test_layout_and_choice_checks_return_the_value_or_name_the_choices():
    assert check_layout("NLC") == "NLC" and check_choice("+", "strand", ("+", "-")) == "+"
    for bad in ("ncl", None, 3):
        with pytest.raises(ValueError, match=r"layout must be one of \('NCL', 'NLC'\)"):
            check_layout(bad)
    with pytest.raises(ValueError, match=r"strand must be one of \('\+', '-'\), got '\.'"):
        check_choice(".", "strand", ("+", "-"))


def test_training_modules_lists_modules_that_act_differently_in_training_mode():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    model = nn.Sequential(nn.Conv1d(4, 2, 3), nn.BatchNorm1d(2), nn.Dropout(), nn.LSTM(2, 2))
    expected = ["1 (BatchNorm1d)", "2 (Dropout)"]
    assert training_modules(model) == training_modules(model.forward) == expected
    model[2].eval()
    assert training_modules(model) == ["1 (BatchNorm1d)"]
    assert training_modules(nn.Sequential(nn.Conv1d(4, 2, 3), nn.ReLU())) == []
    assert training_modules(nn.BatchNorm1d(2, track_running_stats=False)) == []
    assert training_modules(nn.LSTM(2, 2, num_layers=2, dropout=0.5)) == ["the model (LSTM)"]
    assert training_modules(model.eval()) == [] and training_modules(lambda x: x) == []
    model[1].train()
    refused = r"user: .*\(1 \(BatchNorm1d\)\); call model\.eval\(\) first \(why\)"
    with pytest.raises(ValueError, match=refused):
        check_eval_mode(model, "user", refuse_because="why")
    with pytest.warns(UserWarning, match="not reproducible"):
        check_eval_mode(model, "user")
