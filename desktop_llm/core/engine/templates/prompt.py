"""What every renderer shares: the rendered prompt, and a conversation split into the
system prompt and alternating turns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from desktop_llm.errors import UserError


class ChatTemplateError(UserError):
    """The model's own chat template could not render the conversation."""


@dataclass(frozen=True)
class RenderedPrompt:
    """Prompt text ready to tokenize (with special tokens parsed).

    stop: strings that end the reply when the model writes them.
    add_bos: whether the tokenizer should still add BOS; False when the text already
        starts with the BOS token's text (many GGUF templates write `{{ bos_token }}`).
    """

    text: str
    stop: tuple[str, ...]
    add_bos: bool


Turns = list[tuple[str, str]]  # (role, content), role "user" or "assistant"


def prepare(messages: Sequence[Mapping[str, str]]) -> tuple[str, Turns]:
    """Split off the system prompt and merge consecutive turns of the same role.

    All system messages join into one system prompt (templates have one slot for it).
    Empty messages are dropped; consecutive same-role messages are joined, because
    several templates (Mistral's, Gemma's) refuse turns that don't alternate.
    """
    system_parts: list[str] = []
    turns: Turns = []
    for message in messages:
        role = message.get("role", "")
        content = message.get("content") or ""
        if role not in ("system", "user", "assistant"):
            raise ValueError(f"unknown message role {role!r}")
        if not content.strip():
            continue
        if role == "system":
            system_parts.append(content)
        elif turns and turns[-1][0] == role:
            turns[-1] = (role, turns[-1][1] + "\n\n" + content)
        else:
            turns.append((role, content))
    if not system_parts and not turns:
        # llama.cpp asserts on an empty prompt; never send one.
        raise ValueError("the conversation has no messages with content")
    return "\n\n".join(system_parts), turns


def fold_system(system: str, turns: Turns) -> Turns:
    """Put the system prompt in front of the first user turn, for templates with no slot."""
    if not system:
        return list(turns)
    folded = list(turns)
    for i, (role, content) in enumerate(folded):
        if role == "user":
            folded[i] = (role, f"{system}\n\n{content}")
            return folded
    return [("user", system), *folded]


def stop_strings(*stops: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for s in stops if s))
