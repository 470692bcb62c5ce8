"""One-release aliases for modules, names and arguments that moved (private).

A module that moved leaves a shim at its old path whose ``__getattr__`` comes from
:func:`moved_names`; a renamed keyword argument is accepted for one release through
:func:`renamed_arguments`; a renamed function keeps its old name through :func:`renamed`.
Each use warns with a :class:`DeprecationWarning` that names the replacement.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable

#: The release that removes the aliases.
REMOVAL = "0.3.0"


def warn_deprecated(old: str, new: str, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new``."""
    warnings.warn(
        f"{old} is deprecated and will be removed in captum-genomics {REMOVAL}; use {new}",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def moved_names(old_module: str, names: dict[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` that serves names which moved elsewhere, with a warning.

    Parameters
    ----------
    old_module : str
        The shim's ``__name__``.
    names : dict of str to str
        Old attribute name -> ``"new.module:new_name"``.

    Returns
    -------
    callable
        Assign it to the shim's ``__getattr__``.
    """

    def __getattr__(name: str) -> object:
        try:
            module, _, attribute = names[name].partition(":")
        except KeyError:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}") from None
        warn_deprecated(f"{old_module}.{name}", f"{module}.{attribute}")
        return getattr(importlib.import_module(module), attribute)

    return __getattr__


def renamed(func: Callable, old: str) -> Callable:
    """``func`` under its old name ``old``, warning at each call."""

    @functools.wraps(func)
    def alias(*args, **kwargs):
        warn_deprecated(old, func.__qualname__)
        return func(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old.rsplit(".", 1)[-1]
    alias.__doc__ = f"Deprecated alias of :func:`{func.__qualname__}` (removed in {REMOVAL})."
    return alias


def renamed_arguments(**renames: str) -> Callable[[Callable], Callable]:
    """Decorator accepting old keyword names (``old=\"new\"``) for one release, with a warning.

    Passing both the old and the new name is a :class:`TypeError`.
    """

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(
                            f"{func.__qualname__} got both {old!r} and its new name {new!r}; "
                            f"pass only {new!r}"
                        )
                    warn_deprecated(f"{func.__qualname__}({old}=...)", f"{new}=...")
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate
