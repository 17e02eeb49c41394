"""``desktop-llm gui --self-test``: the real program, as a subprocess, drives its own
window (offscreen) through one chat with the real model and prints one JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.paths import AppPaths

TIMEOUT_S = 240


def _run_gui(
    home: Path, *args: str, language: str = "system", lang: str | None = None
) -> subprocess.CompletedProcess[str]:
    # Short replies, so a slow machine doesn't turn the hello into a 512-token essay.
    quick = ChatSettings(max_tokens=48, n_ctx=1024).to_dict()
    settings = Settings(default_chat=quick, language=language)  # type: ignore[arg-type]
    save_settings(AppPaths.under(home).ensure().settings_file, settings)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DESKTOP_LLM_HOME": str(home)}
    if lang is not None:  # the system's language, as a desktop session sets it
        for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
            env.pop(name, None)
        env["LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "desktop_llm", "gui", "--self-test", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


@pytest.mark.model
def test_self_test_chats_once(tmp_path: Path, smollm2: Path) -> None:
    result = _run_gui(tmp_path / "home", "--model", str(smollm2))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    report = json.loads(lines[0])
    assert report["ok"] is True
    assert report["model"] == "SmolLM2-135M-Instruct"
    assert isinstance(report["text"], str) and report["text"].strip()
    stats = report["stats"]
    assert stats["completion_tokens"] >= 1 and stats["gen_tps"] > 0 and stats["ttft_s"] > 0
    assert stats["finish_reason"] in ("stop", "length")
    assert "Traceback" not in result.stderr
    # It used the temporary home, and stored the chat there.
    assert (tmp_path / "home" / "data" / "chats.sqlite3").is_file()


def test_self_test_with_missing_model(tmp_path: Path) -> None:
    result = _run_gui(tmp_path / "home", "--model", "/nonexistent.gguf")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("desktop-llm: ")
    assert "/nonexistent.gguf" in lines[0] and "not found" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.model
@pytest.mark.parametrize(
    ("language", "lang", "speaks", "send"),
    [
        ("system", "es_ES.UTF-8", "es", "Enviar"),
        ("en", "es_ES.UTF-8", "en", "Send"),
        ("es", "C.UTF-8", "es", "Enviar"),
    ],
)
def test_the_window_speaks_the_system_language_or_the_chosen_one(
    tmp_path: Path, smollm2: Path, language: str, lang: str, speaks: str, send: str
) -> None:
    """Issue 20: Spanish when the system speaks it (LANG), unless Settings > Language
    says otherwise; the chat works the same in both."""
    result = _run_gui(tmp_path / "home", "--model", str(smollm2), language=language, lang=lang)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["ok"] is True and report["text"].strip()
    assert report["language"] == speaks
    assert report["send_button"].replace("&", "") == send
