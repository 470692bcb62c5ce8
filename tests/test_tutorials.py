"""Every tutorial runs end to end on small settings."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

TUTORIALS = sorted((Path(__file__).parent.parent / "tutorials").glob("*.py"))


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs(path, monkeypatch, capsys):
    monkeypatch.setenv("SMALL", "1")
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as stop:  # a tutorial stops early when optional weights are absent
        assert stop.code == 0, f"{path.name} exited with {stop.code}"
        pytest.skip(capsys.readouterr().out.strip().splitlines()[-1])
    assert capsys.readouterr().out.strip(), f"{path.name} printed nothing"


def test_there_are_tutorials():
    assert TUTORIALS
