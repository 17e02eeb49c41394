"""The README's "Reliability" table, from the campaigns' own results.

`make torture` runs tests/torture at full size; each campaign writes
bench/results/reliability/<campaign>.json with the figures it counted. This script turns
them into bench/results/reliability.md (and prints it): nothing in the table is written
by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
FOLDER = RESULTS / "reliability"

# Figures that count what went wrong: the promise is that each is 0.
BAD = (
    "lost",
    "wrong",
    "fail",
    "crash",
    "hang",
    "traceback",
    "locked",
    "unclear",
    "outside",
    "seen_by_user",
    "bug",
    "left_running",
)


def _words(key: str) -> str:
    return key.replace("_", " ")


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{_words(str(k))} {_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _row(data: dict[str, Any]) -> str:
    figures: dict[str, Any] = data["figures"]
    bad = {k: v for k, v in figures.items() if any(word in k.lower() for word in BAD)}
    done = {k: v for k, v in figures.items() if k not in bad}
    done_text = "; ".join(f"{_words(k)}: {_value(v)}" for k, v in done.items())
    bad_text = "; ".join(f"{_words(k)}: **{_value(v)}**" for k, v in bad.items()) or "—"
    minutes = float(data.get("seconds", 0)) / 60
    return (
        f"| {_words(data['campaign'])} | {done_text} | {bad_text} | {minutes:.1f} min "
        f"| {data.get('commit', '?')} | `{data.get('command', 'make torture')}` |"
    )


def table() -> str:
    files = sorted(FOLDER.glob("*.json"))
    if not files:
        return "No campaign results yet: run `make torture`."
    rows = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    machine = rows[0].get("machine", "")
    lines = [
        f"Machine: {machine}. Each row is one full campaign run by `make torture`.",
        "",
        "| campaign | what was done | what went wrong (must be 0) | time | commit | rerun |",
        "|---|---|---|---|---|---|",
        *(_row(r) for r in rows),
    ]
    return "\n".join(lines)


def main() -> int:
    text = table()
    (RESULTS / "reliability.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
