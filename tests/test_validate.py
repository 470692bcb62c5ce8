"""The shared integer check."""

from __future__ import annotations

import numpy as np
import pytest

from captum_genomics._validate import check_choice, check_int, check_layout


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
