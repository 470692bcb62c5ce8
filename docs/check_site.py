"""Check a built site: every tutorial page and explainer page shows its figures.

    python docs/check_site.py docs/_build/html

Exits 1 naming each page without an ``<img>`` whose file exists (a tutorial whose figures
were not displayed, or an example cell that drew nothing).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pages_without_figures(site: Path) -> list[str]:
    """Pages of ``site`` (the HTML folder) that should hold figures and do not."""
    expected = [Path("tutorials") / f"{script.stem}.html"
                for script in sorted((ROOT / "tutorials").glob("[0-9]*.py"))]
    expected += [Path("explainers") / f"{page.stem}.html"
                 for page in sorted((ROOT / "docs" / "explainers").glob("*.md"))]
    missing = []
    for page in expected:
        path = site / page
        if not path.is_file():
            missing.append(f"{page}: not built")
            continue
        sources = re.findall(r'<img[^>]*\bsrc="([^"]+)"', path.read_text(encoding="utf-8"))
        images = [src for src in sources if (path.parent / src).is_file()]
        if not images:
            missing.append(f"{page}: no figure ({len(sources)} <img> tags, none found on disk)")
    return missing


if __name__ == "__main__":
    site = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "_build" / "html")
    problems = pages_without_figures(site)
    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    print(f"every tutorial and explainer page of {site} shows its figures")
