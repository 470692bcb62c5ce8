"""Argument checks shared by the modules (private)."""

from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np


def check_int(value, name: str, minimum: int = 1) -> int:
    """An integer argument (bools refused) that is at least ``minimum``, as a Python int.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (``int``, ``numpy.integer`` or any ``__index__``).
    ValueError
        If it is below ``minimum``.
    """
    if isinstance(value, (bool, np.bool_)) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = operator.index(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


#: The one-hot layouts: ``"NCL"`` = (N, 4, L) (PyTorch convolutions), ``"NLC"`` = (N, L, 4)
#: (channels last, as Keras models such as SpliceAI and deepG read).
LAYOUTS = ("NCL", "NLC")


def check_layout(layout) -> str:
    """A one-hot layout name, one of :data:`LAYOUTS`, returned unchanged.

    Raises
    ------
    ValueError
        If ``layout`` is not ``"NCL"`` or ``"NLC"``.
    """
    if not isinstance(layout, str) or layout not in LAYOUTS:
        raise ValueError(
            f"layout must be one of {LAYOUTS} ('NCL' = (N, 4, L), 'NLC' = (N, L, 4)), "
            f"got {layout!r}"
        )
    return layout


def check_choice(value, name: str, choices: tuple):
    """An argument that must be one of ``choices``, returned unchanged.

    Raises
    ------
    ValueError
        If ``value`` is not in ``choices``; the message names the argument and the choices.
    """
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_optional_int(value, name: str, minimum: int = 1) -> int | None:
    """``None``, or an integer argument checked by :func:`check_int`."""
    return None if value is None else check_int(value, name, minimum)


def check_positive_number(value, name: str) -> float:
    """A real number above zero (bools and NaN refused), as a Python float.

    Raises
    ------
    ValueError
        If ``value`` is not a real number or not above zero.
    """
    real = (int, float, np.integer, np.floating)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, real):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_int_pair(value, name: str, single) -> tuple[int, int]:
    """An int or a pair of ints; an int is mapped to a pair by ``single``.

    Raises
    ------
    TypeError
        If ``value`` is neither (bools refused).
    """
    if _is_int(value):
        return single(int(value))
    if isinstance(value, Sequence) and len(value) == 2 and all(map(_is_int, value)):
        return int(value[0]), int(value[1])
    raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
