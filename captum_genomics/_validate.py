"""Argument checks shared by the modules (private)."""

from __future__ import annotations

import operator
import sys
import warnings
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


def training_modules(model) -> list[str]:
    """Names of the submodules of a ``torch.nn.Module`` that are in training mode and act
    differently in it.

    Those are dropout (every ``Dropout`` kind, ``RReLU``, and RNNs or attention with
    ``dropout > 0``) and the norms that keep running statistics (BatchNorm, InstanceNorm with
    ``track_running_stats``). A module without any (a plain wrapper, a convolution) gives the
    same scores in either mode and is not listed.

    Parameters
    ----------
    model : callable
        A module, a bound method of one (``model.forward``, ``model.predict``), or any other
        callable (which has no modules: the answer is empty).

    Returns
    -------
    list of str
        Qualified names with their class, e.g. ``"body.2 (Dropout)"``, in
        :meth:`torch.nn.Module.named_modules` order.
    """
    torch = sys.modules.get("torch")  # a model can only be a module once torch is imported
    owner = getattr(model, "__self__", model)
    if torch is None or not isinstance(owner, torch.nn.Module):
        return []
    nn = torch.nn
    return [
        f"{name or 'the model'} ({type(module).__name__})"
        for name, module in owner.named_modules()
        if module.training
        and (
            isinstance(module, (nn.modules.dropout._DropoutNd, nn.RReLU))
            or (isinstance(module, nn.modules.batchnorm._NormBase) and module.track_running_stats)
            or (isinstance(module, (nn.RNNBase, nn.MultiheadAttention)) and module.dropout > 0)
        )
    ]


def check_eval_mode(
    model, user: str, refuse_because: str | None = None, stacklevel: int = 3
) -> None:
    """Warn (or refuse) when ``model`` has a submodule in training mode that acts differently
    in it (see :func:`training_modules`).

    In training mode dropout draws new masks and BatchNorm normalizes by the batch, so the
    same inputs and seed give different results: a ``UserWarning`` names the fix,
    ``model.eval()`` (Monte Carlo dropout users may want training mode, hence a warning).

    Parameters
    ----------
    model : callable
        As :func:`training_modules` reads it.
    user : str
        What uses the model, for the message (e.g. ``"GenomicIntegratedGradients"``).
    refuse_because : str, optional
        Raise instead of warning, giving this reason.
    stacklevel : int, default 3
        Of the warning, counted from this function (3: the caller of its caller).

    Raises
    ------
    ValueError
        With ``refuse_because``, if a submodule is in training mode.
    """
    training = training_modules(model)
    if not training:
        return
    shown = ", ".join(training[:3])
    if len(training) > 3:
        shown += f" and {len(training) - 3} more"
    message = f"{user}: the model is in training mode ({shown}); call model.eval() first"
    if refuse_because is not None:
        raise ValueError(f"{message} ({refuse_because})")
    warnings.warn(
        f"{message}: in training mode dropout and BatchNorm change the scores from call to "
        "call, so results are not reproducible, even with the same seed",
        UserWarning,
        stacklevel=stacklevel,
    )
