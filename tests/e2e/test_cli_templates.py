"""Which chat template `desktop-llm chat` uses, and `--template` (issue 16: a base model whose
name says "gemma" got Gemma's chat template and answered junk)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import ok, run
from tests.support.gguf_builder import write_tiny_llama

ARGS = ["--temp", "0", "--seed", "3", "--max-tokens", "4", "--ctx", "256", "--json"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("template-models")
    return {
        "base": write_tiny_llama(folder / "gemma-2b.gguf", name="Gemma 2b"),
        "instruct": write_tiny_llama(folder / "gemma-2b-it.gguf", name="Gemma 2b It"),
    }


def _template(home: Path, model: Path, *extra: str) -> str:
    reply = json.loads(ok(home, "chat", str(model), "Once upon a time", *ARGS, *extra).stdout)
    template = reply["template"]
    assert isinstance(template, str)
    return template


def test_a_base_model_named_like_a_chat_family_continues_text(
    tmp_path: Path, models: dict[str, Path]
) -> None:
    assert _template(tmp_path, models["base"]) == "completion"
    assert _template(tmp_path, models["instruct"]) == "gemma"


def test_template_flag_picks_one_for_this_run(tmp_path: Path, models: dict[str, Path]) -> None:
    assert _template(tmp_path, models["base"], "--template", "chatml") == "chatml"
    assert _template(tmp_path, models["instruct"], "--template", "completion") == "completion"


def test_unknown_template_is_one_line_and_exit_2(tmp_path: Path, models: dict[str, Path]) -> None:
    result = run(tmp_path, "chat", str(models["base"]), "Hi", "--template", "chatgpt")
    assert result.returncode == 2
    assert "unknown chat template 'chatgpt'" in result.stderr
    assert "chatml" in result.stderr and "Traceback" not in result.stderr
    # A template the model doesn't have is refused the same way.
    result = run(tmp_path, "chat", str(models["base"]), "Hi", "--template", "gguf")
    assert result.returncode == 2
    assert "no chat template of its own" in result.stderr
