"""`presets`, `chat --preset` and a reasoning model's thinking in `chat --json`, as a
user runs them: the real program in a subprocess, real models."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from desktop_llm.core.models.library import STARTER_NAME
from tests.e2e.test_cli import ok, run
from tests.support.gguf_builder import write_tiny_llama

BUILTINS = ["Precise", "Balanced", "Creative", "Code", "Translate to Spanish"]

# A ChatML-style template that opens the thinking for the model, as DeepSeek R1's and
# Qwen3's do: everything the model writes until </think> is its thinking.
THINKING_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}"
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "cli-home"


def test_presets_lists_the_builtins(home: Path) -> None:
    rows = json.loads(ok(home, "presets", "--json").stdout)
    assert [r["name"] for r in rows] == BUILTINS
    assert all(r["builtin"] and r["system_prompt"] for r in rows)
    assert set(rows[0]) == {"id", "name", "builtin", "system_prompt", "settings", "updated_at"}
    assert rows[3]["settings"]["temperature"] == 0.2
    text = ok(home, "presets").stdout
    assert "Translate to Spanish" in text and "built-in" in text


def test_chat_with_an_unknown_preset_names_the_presets(home: Path) -> None:
    result = run(home, "chat", STARTER_NAME, "Hola", "--preset", "Pirate")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "desktop-llm: no preset named 'Pirate'; the presets are: " + ", ".join(BUILTINS)
    )
    assert result.stdout == ""


@pytest.mark.model
def test_chat_preset_gives_its_system_prompt_and_settings(home: Path) -> None:
    ok(
        home,
        "chat",
        STARTER_NAME,
        "Good morning",
        "--preset",
        "translate to spanish",
        "--save",
        "--max-tokens",
        "8",
        "--seed",
        "3",
    )
    db = sqlite3.connect(home / "data" / "chats.sqlite3")
    prompt, settings = db.execute("SELECT system_prompt, settings FROM conversations").fetchone()
    assert prompt.startswith("Translate everything the user writes into Spanish")
    stored = json.loads(settings)
    # The preset's sampling, the flag's max tokens over the preset's.
    assert (stored["temperature"], stored["top_k"], stored["max_tokens"]) == (0.3, 40, 8)
    reply = db.execute("SELECT settings FROM messages WHERE role = 'assistant'").fetchone()
    assert json.loads(reply[0])["temperature"] == 0.3


@pytest.mark.model
def test_chat_json_returns_reasoning_beside_text(home: Path, tmp_path: Path) -> None:
    model = write_tiny_llama(
        tmp_path / "tiny-thinker.gguf", chat_template=THINKING_TEMPLATE, name="tiny thinker"
    )
    args = [
        "chat",
        str(model),
        "Why is the sky blue?",
        "--temp",
        "0",
        "--seed",
        "5",
        "--max-tokens",
        "16",
        "--ignore-eos",
        "--ctx",
        "256",
    ]
    answer = json.loads(ok(home, *args, "--json").stdout)
    # Random weights never write </think>: the whole reply is thinking, none of it answer.
    assert answer["reasoning"].strip()
    assert answer["text"] == ""
    assert answer["stats"]["reasoning_tokens"] == answer["stats"]["completion_tokens"] == 16
    # Streamed: the thinking goes to stderr, stdout holds the answer only.
    streamed = ok(home, *args)
    assert streamed.stdout.strip() == ""
    assert answer["reasoning"].strip()[:10] in streamed.stderr
