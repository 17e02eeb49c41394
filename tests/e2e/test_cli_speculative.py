"""``chat --draft-model`` / ``--speculative`` as a user runs them: the same reply, and
clear one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_llm.core.models.library import STARTER_NAME
from tests.e2e.test_cli import GREEDY, run

PROMPT = "Write a short story about a cat who learns to fly."


def test_a_draft_model_gives_the_reply_prompt_lookup_gives(isolated_home: Path) -> None:
    """Both turn flash attention off (automatic otherwise), and both give the tokens of
    plain decoding on such a load (tests/e2e/test_draft_model.py, test_prompt_lookup.py):
    so the same text. Plain decoding with flash attention on may differ in a near-tie."""
    lookup = run(
        isolated_home, "chat", STARTER_NAME, PROMPT, *GREEDY, "--json", "--speculative",
        "prompt-lookup",
    )  # fmt: skip
    assert lookup.returncode == 0, lookup.stderr
    drafted = run(
        isolated_home, "chat", STARTER_NAME, PROMPT, *GREEDY, "--json", "--draft-model", "1"
    )
    assert drafted.returncode == 0, drafted.stderr
    assert json.loads(drafted.stdout)["text"] == json.loads(lookup.stdout)["text"]
    assert json.loads(drafted.stdout)["text"]
    # How the drafts fared, in the stats. This short reply repeats nothing of the prompt,
    # so prompt lookup finds nothing to draft; the draft model drafts for every step.
    lookup_stats = json.loads(lookup.stdout)["stats"]
    assert lookup_stats["drafted_tokens"] == lookup_stats["accepted_tokens"] == 0
    draft_stats = json.loads(drafted.stdout)["stats"]
    assert 0 < draft_stats["accepted_tokens"] <= draft_stats["drafted_tokens"]
    streamed = run(
        isolated_home, "chat", STARTER_NAME, PROMPT, *GREEDY, "--draft-model", "1"
    )  # fmt: skip
    assert streamed.returncode == 0, streamed.stderr
    kept = f"{draft_stats['accepted_tokens']} of {draft_stats['drafted_tokens']} drafted kept"
    assert kept in streamed.stderr


def test_an_unknown_or_missing_draft_model_is_one_clear_line(isolated_home: Path) -> None:
    unknown = run(isolated_home, "chat", STARTER_NAME, PROMPT, "--draft-model", "nosuch")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines() == [
        f"desktop-llm: no model named 'nosuch' (installed: {STARTER_NAME})"
    ]
    missing = run(isolated_home, "chat", STARTER_NAME, PROMPT, "--speculative", "draft-model")
    assert missing.returncode == 2
    assert "needs one" in missing.stderr and "Traceback" not in missing.stderr
