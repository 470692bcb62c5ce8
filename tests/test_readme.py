"""The README's commands and quick start stay true."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import torch

from tests.support import needs_spliceai

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_ci_runs_the_readme_test_command():
    ci_lines = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    ci_command = next(line for line in ci_lines if line.startswith("python3 -m venv"))
    commands = re.findall(r"^python3 -m venv .*$", README, flags=re.MULTILINE)
    assert len(commands) == 2, "the README opens with two set-up commands"
    assert commands[1] == ci_command
    assert "pip install --no-deps spliceai==1.3.1" in commands[0]  # the demo's real part
    assert commands[0].endswith("captum-genomics demo --output-dir demo_output")


def test_readme_builds_the_docs_as_ci_does():
    ci_docs = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    readme_docs = re.search(r"^pip install -e \"\.\[docs\]\" && .*$", README, flags=re.MULTILINE)
    assert readme_docs, "README gives the command that builds the documentation"
    assert ci_docs.startswith(readme_docs.group(0) + " && ")


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


def test_readme_command_lines_parse():
    """Every ``captum-genomics`` command the README shows is accepted by the parser."""
    from captum_genomics.cli import build_parser

    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL)
    lines = "\n".join(blocks).replace("\\\n", " ").splitlines()
    commands = [shlex.split(line.split("&&")[-1]) for line in lines
                if "captum-genomics " in line and not line.lstrip().startswith("#")]
    assert len(commands) >= 4
    for argv in commands:
        assert argv[0] == "captum-genomics"
        args = build_parser().parse_args(argv[1:])
        assert callable(args.run)
