"""The README's commands and quick start stay true."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from tests.support import needs_spliceai

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_ci_runs_the_readme_test_command():
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    commands = re.findall(r"^python3 -m venv .*$", README, flags=re.MULTILINE)
    assert len(commands) == 2, "the README opens with two set-up commands"
    assert commands[1] == ci_command
    assert commands[0].endswith("captum-genomics demo")


def test_quick_start_runs():
    block = re.search(r"## Quick start\n\n```python\n(.*?)```", README, flags=re.DOTALL)
    assert block, "README has a python quick start"
    code = block.group(1)
    assert len(code.strip().splitlines()) <= 12
    namespace: dict = {}
    exec(compile(code, "README quick start", "exec"), namespace)
    assert namespace["attr"].shape == (1, 4, 44)
    assert namespace["per_base"].shape == (1, 44)
    assert float(namespace["delta"].abs().max()) < 0.05


@needs_spliceai
def test_spliceai_snippet_runs_with_the_published_weights():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    snippet = next(b for b in blocks if "SpliceSiteHead" in b)
    namespace: dict = {}
    exec(compile(snippet, "README SpliceAI snippet", "exec"), namespace)
    assert namespace["site"] == 7046
    assert namespace["attr"].shape == (1, 4, 15000)
    with torch.no_grad():
        assert float(namespace["head"](namespace["x_15kb"])) > 0.9  # a real, strong acceptor
    assert float(namespace["delta"].abs().max()) < 0.05
