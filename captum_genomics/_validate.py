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
