"""Turning a conversation into prompt text with the chosen template."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from desktop_llm.core.engine.templates.builtin import BUILTINS
from desktop_llm.core.engine.templates.choice import GGUF, TemplateChoice
from desktop_llm.core.engine.templates.prompt import ChatTemplateError, RenderedPrompt, prepare

# sandbox.py (Jinja) is imported when a model's own template is rendered: jinja2 costs
# ~25 ms of the window's start-up, and the window never renders a prompt itself.


def render_prompt(
    choice: TemplateChoice,
    messages: Sequence[Mapping[str, str]],
    *,
    bos_token: str = "",
    eos_token: str = "",
    tools: list[Any] | None = None,
) -> RenderedPrompt:
    """Turn a conversation into prompt text that ends where the assistant's reply begins.

    messages: {"role": "system" | "user" | "assistant", "content": str}, oldest first.
    Raises ValueError for a conversation with nothing in it (llama.cpp asserts on an
    empty prompt), ChatTemplateError (a UserError) when the model's own template fails.

    With ``tools`` (OpenAI's tool definitions), or with ``tool`` messages or assistant
    messages carrying ``tool_calls`` (JSON text), the conversation goes as it is to the
    model's own template, the only kind that knows how the model takes tools.
    """
    structured = tools is not None or any(
        m.get("role") == "tool" or m.get("tool_calls") for m in messages
    )
    if tools is not None and (choice.name != GGUF or not choice.jinja):
        raise ChatTemplateError.of(
            "tools need the model's own chat template; this model uses {template}",
            template=choice.describe(),
        )
    if structured and choice.name == GGUF and choice.jinja:
        from desktop_llm.core.engine.templates.sandbox import render_jinja_tools

        return render_jinja_tools(
            choice.jinja, _tool_messages(messages), tools, bos_token, eos_token
        )
    system, turns = prepare(messages)
    if choice.name == GGUF:
        if not choice.jinja:
            raise ValueError("a 'gguf' template choice needs the template text")
        from desktop_llm.core.engine.templates.sandbox import render_jinja

        return render_jinja(choice.jinja, system, turns, bos_token, eos_token)
    renderer = BUILTINS.get(choice.name)
    if renderer is None:
        raise ValueError(f"unknown chat template {choice.name!r}")
    rendered = renderer(system, turns, eos_token, bos_token)
    if bos_token and rendered.text.startswith(bos_token):
        # SmolLM2's BOS is "<|im_start|>": ChatML text already begins with it.
        return dataclasses.replace(rendered, add_bos=False)
    return rendered


def _tool_messages(messages: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
    """Messages as HF-style templates read them: ``tool_calls`` a list, each call's
    ``function.arguments`` an object when it is JSON text of one."""
    out: list[dict[str, Any]] = []
    for message in messages:
        item: dict[str, Any] = dict(message)
        calls = message.get("tool_calls")
        if calls:
            parsed = json.loads(calls)
            for call in parsed:
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                    with contextlib.suppress(ValueError):
                        function["arguments"] = json.loads(function["arguments"])
            item["tool_calls"] = parsed
        out.append(item)
    return out
