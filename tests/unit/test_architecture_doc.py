"""docs/ARCHITECTURE.md stays a true map: it names every module and folder of the package."""

from __future__ import annotations

import re
from pathlib import Path

import desktop_llm

PACKAGE = Path(desktop_llm.__file__).parent
DOC = PACKAGE.parent / "docs" / "ARCHITECTURE.md"


def _map() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"## The map\n+```\n(.*?)```", text, re.DOTALL)
    assert match, "ARCHITECTURE.md has no map"
    return match.group(1)


def test_every_module_is_on_the_map() -> None:
    the_map = _map()
    named = set(re.findall(r"[\w]+\.py", the_map))
    missing = sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" and p.name not in named
    )
    assert missing == []


def test_every_folder_is_on_the_map() -> None:
    the_map = _map()
    folders = {p.parent for p in PACKAGE.rglob("*.py")} - {PACKAGE}
    missing = sorted(str(f.relative_to(PACKAGE)) for f in folders if f"{f.name}/" not in the_map)
    assert missing == []


def test_every_module_on_the_map_exists() -> None:
    names = {p.name for p in PACKAGE.rglob("*.py")}
    ghosts = sorted(set(re.findall(r"\b(\w+\.py)\b", _map())) - names)
    assert ghosts == []
