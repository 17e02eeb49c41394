"""Turning a conversation into prompt text with the chosen template."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from desktop_llm.core.engine.templates.builtin import BUILTINS
from desktop_llm.core.engine.templates.choice import GGUF, TemplateChoice
from desktop_llm.core.engine.templates.prompt import RenderedPrompt, prepare
from desktop_llm.core.engine.templates.sandbox import render_jinja


def render_prompt(
    choice: TemplateChoice,
    messages: Sequence[Mapping[str, str]],
    *,
    bos_token: str = "",
    eos_token: str = "",
) -> RenderedPrompt:
    """Turn a conversation into prompt text that ends where the assistant's reply begins.

    messages: {"role": "system" | "user" | "assistant", "content": str}, oldest first.
    Raises ValueError for a conversation with nothing in it (llama.cpp asserts on an
    empty prompt), ChatTemplateError (a UserError) when the model's own template fails.
    """
    system, turns = prepare(messages)
    if choice.name == GGUF:
        if not choice.jinja:
            raise ValueError("a 'gguf' template choice needs the template text")
        return render_jinja(choice.jinja, system, turns, bos_token, eos_token)
    renderer = BUILTINS.get(choice.name)
    if renderer is None:
        raise ValueError(f"unknown chat template {choice.name!r}")
    rendered = renderer(system, turns, eos_token, bos_token)
    if bos_token and rendered.text.startswith(bos_token):
        # SmolLM2's BOS is "<|im_start|>": ChatML text already begins with it.
        return dataclasses.replace(rendered, add_bos=False)
    return rendered
