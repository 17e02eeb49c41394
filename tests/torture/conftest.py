"""Crash, fault and bad-input campaigns (issue 17).

Every campaign is a test here and runs in two sizes: a short one in `make test`, and the
full one in `make torture` (DESKTOP_LLM_TORTURE=full), which also writes the campaign's
figures to bench/results/reliability/<campaign>.json for the README's "Reliability" table.
A campaign sizes itself with ``campaign.scale(short, full)`` and reports with
``campaign.report({...})``; the figures must be counted by the campaign, never written
by hand.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

FULL = os.environ.get("DESKTOP_LLM_TORTURE", "").lower() == "full"
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "reliability"


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


@dataclass
class Campaign:
    name: str
    full: bool = FULL
    started: float = field(default_factory=time.monotonic)

    def scale(self, short: int, full: int) -> int:
        """How many rounds: ``short`` in `make test`, ``full`` in `make torture`."""
        return full if self.full else short

    def report(self, figures: dict[str, Any]) -> None:
        """Keep the campaign's figures (written only by the full run)."""
        print(f"\n[{self.name}] {json.dumps(figures)}")
        if not self.full:
            return
        RESULTS.mkdir(parents=True, exist_ok=True)
        data = {
            "campaign": self.name,
            "figures": figures,
            "seconds": round(time.monotonic() - self.started, 1),
            "commit": _commit(),
            "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}",
            "command": f"DESKTOP_LLM_TORTURE=full pytest tests/torture -k {self.name}",
        }
        (RESULTS / f"{self.name}.json").write_text(json.dumps(data, indent=2) + "\n")


@pytest.fixture
def campaign(request: pytest.FixtureRequest) -> Campaign:
    """The running campaign, named after the test function (minus ``test_``)."""
    return Campaign(request.node.originalname.removeprefix("test_"))
