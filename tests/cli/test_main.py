"""The command line: --version, --help of every subcommand, ``python -m captum_genomics``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from captum_genomics import __version__
from captum_genomics.cli import SUBCOMMANDS, main

ROOT = Path(__file__).resolve().parents[2]


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"captum-genomics {__version__}"


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"usage: captum-genomics {command}")
    assert SUBCOMMANDS[command].HELP in printed


def test_python_m_captum_genomics_help():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "captum_genomics", "--help"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: captum-genomics")
    assert "demo" in result.stdout and "ig" in result.stdout


def test_missing_subcommand_is_an_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "required" in capsys.readouterr().err
