"""`desktop-llm chat` writes each piece as it arrives also when its output is a pipe
(issue 16: `chat ... | tee log` must not look frozen until the reply ends)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from desktop_llm.core.models.library import STARTER_NAME
from tests.e2e.test_cli import ROOT, cli_env


@pytest.mark.model
def test_reply_reaches_a_pipe_before_the_reply_ends(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "home")
    env.pop("PYTHONUNBUFFERED")  # a pipe, as a shell gives it: block-buffered by default
    args = ["chat", STARTER_NAME, "Tell me a story.", "--temp", "0", "--seed", "1"]
    args += ["--max-tokens", "200", "--ignore-eos", "--ctx", "1024"]
    with subprocess.Popen(
        [sys.executable, "-m", "desktop_llm", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    ) as proc:
        assert proc.stdout is not None
        first = proc.stdout.read1(64)  # returns as soon as some bytes arrive
        still_running = proc.poll() is None
        rest, err = proc.communicate(timeout=600)
    assert first, err
    # 200 tokens take many times longer than the first one: the first bytes came while
    # the model was still writing, not all at once at the end.
    assert still_running
    assert proc.returncode == 0, err
    assert len(first + rest) > 4 * len(first)
