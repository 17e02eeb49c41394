"""A stored comparison as a Markdown report (Compare > Export, ``compare --save``)."""

from __future__ import annotations

from typing import Any

from desktop_llm.core.formatting import format_size
from desktop_llm.storage import StoredComparison


def export_markdown(comparison: StoredComparison) -> str:
    """A Markdown report: prompts, each pane's replies and settings, and a stats table."""
    lines = [f"# {comparison.title}", ""]
    lines.append(
        f"Mode: {comparison.mode}"
        + (f" ({comparison.mode_reason})" if comparison.mode_reason else "")
    )
    if comparison.tag:
        lines.append(f"Tag: {comparison.tag}")
    lines.append("")
    lines.append("## Models and settings")
    lines.append("")

    def label(run: Any) -> str:
        # Arena panes were shown shuffled: letters here would not match the screen's.
        return (
            run.model_name if comparison.arena else f"{_pane_label(run.position)}: {run.model_name}"
        )

    for run in comparison.runs:
        settings = ", ".join(f"{k}={v}" for k, v in sorted(run.settings.items()))
        lines.append(f"- **{label(run)}** — {settings}")
        if run.system_prompt:
            lines.append(f"  - system prompt: {run.system_prompt}")
    prompts = (
        [m.content for m in comparison.runs[0].messages if m.role == "user"]
        if comparison.runs
        else []
    )
    replies = [[m for m in run.messages if m.role == "assistant"] for run in comparison.runs]
    for turn, prompt in enumerate(prompts):
        lines += ["", f"## Turn {turn + 1}", "", "**Prompt:**", "", _quote(prompt)]
        for run, run_replies in zip(comparison.runs, replies, strict=True):
            if turn < len(run_replies):
                reply = run_replies[turn]
                lines += ["", f"### {label(run)}", ""]
                lines.append(reply.content or f"*(no reply: {reply.error or reply.status})*")
        lines += [
            "",
            "| Model | Tokens | tok/s | TTFT (s) | Load (s) | Memory |",
            "|---|---|---|---|---|---|",
        ]
        for run, run_replies in zip(comparison.runs, replies, strict=True):
            if turn < len(run_replies):
                s = run_replies[turn].stats
                lines.append(
                    f"| {run.model_name} | {s.get('completion_tokens', '')} | "
                    f"{float(s.get('gen_tps') or 0):.1f} | {float(s.get('ttft_s') or 0):.2f} | "
                    f"{float(s.get('load_s') or 0):.2f} | "
                    f"{format_size(int(s.get('memory_bytes') or 0))} |"
                )
    return "\n".join(lines) + "\n"


def _pane_label(position: int) -> str:
    return chr(ord("A") + position)


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in text.splitlines()) or ">"
