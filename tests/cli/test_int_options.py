"""Integer options refuse negative and zero sizes with an argparse error, not a traceback."""

from __future__ import annotations

import argparse

import pytest

from captum_genomics.cli import SUBCOMMANDS, build_parser, main
from captum_genomics.cli._common import non_negative_int, positive_int


@pytest.mark.parametrize("argv, message", [
    (["demo", "--sequences", "-5"], "argument --sequences: -5 is not a positive integer"),
    (["demo", "--epochs", "0"], "argument --epochs: 0 is not a positive integer"),
    (["demo", "--seed", "-1"], "argument --seed: -1 is not a non-negative integer"),
    (["demo", "--spliceai-members", "1", "-2"], "-2 is not a positive integer"),
    (["ig", "--steps", "-1"], "argument --steps: -1 is not a positive integer"),
    (["ig", "--steps", "0"], "argument --steps: 0 is not a positive integer"),
    (["ig", "--batch-size", "x"], "argument --batch-size: 'x' is not an integer"),
    (["gggp", "--evaluations", "-3"], "argument --evaluations: -3 is not a positive integer"),
    (["gggp", "--evaluations", "0"], "argument --evaluations: 0 is not a positive integer"),
    (["gggp", "--max-distance", "-10"], "-10 is not a non-negative integer"),
])
def test_negative_sizes_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_every_integer_option_uses_the_shared_types(command):
    sub = _subparsers(build_parser())[command]
    typed = [a for a in sub._actions if a.type is not None]
    assert not [a.option_strings for a in typed if a.type is int]
    assert any(a.type in (positive_int, non_negative_int) for a in typed)


def test_shared_types_accept_their_range():
    assert positive_int("1") == 1 and non_negative_int("0") == 0
    with pytest.raises(argparse.ArgumentTypeError, match="at least 1"):
        positive_int("0")
