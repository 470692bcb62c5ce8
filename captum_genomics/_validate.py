"""Argument checks shared by the modules (private)."""

from __future__ import annotations

import operator

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
