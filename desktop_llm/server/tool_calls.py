"""Tool calls in a model's reply, as OpenAI's ``tool_calls``.

Two styles are read:

- Hermes / Qwen: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``, any number
  of them, with text before them kept as the message's content (a last block the model
  did not close counts when its JSON is whole).
- Llama 3.x: the whole reply is ``{"name": ..., "parameters": {...}}`` (or
  ``"arguments"``), optionally after ``<|python_tag|>``; several calls separated by
  ``;`` also count.

Anything else is plain content: a reply that only looks like a call (bad JSON, no
name) is returned as text rather than guessed at.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

_HERMES = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_PYTHON_TAG = "<|python_tag|>"


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str  # JSON text of an object, as OpenAI sends it
    id: str

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


def _new_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


def _call(data: Any, args_keys: tuple[str, ...]) -> ToolCall | None:
    if not isinstance(data, dict):
        return None
    name = data.get("name")
    if not isinstance(name, str) or not name:
        return None
    arguments: Any = {}
    for key in args_keys:
        if key in data:
            arguments = data[key]
            break
    if isinstance(arguments, str):
        # some models write the arguments as JSON text already
        try:
            arguments = json.loads(arguments, strict=False)
        except ValueError:
            return None
    if not isinstance(arguments, dict):
        return None
    return ToolCall(name, json.dumps(arguments, ensure_ascii=False), _new_id())


def _load(text: str) -> Any:
    try:
        # strict=False: llama.cpp's JSON grammars let control characters into strings
        return json.loads(text, strict=False)
    except ValueError:
        return None


def parse_tool_calls(text: str) -> tuple[str | None, list[ToolCall]]:
    """The reply's content (None when it is only tool calls) and its tool calls."""
    if "<tool_call>" in text:
        calls: list[ToolCall] = []
        for match in _HERMES.finditer(text):
            call = _call(_load(match.group(1)), ("arguments", "parameters"))
            if call is None:
                return text, []
            calls.append(call)
        content = text[: text.index("<tool_call>")].strip()
        return (content or None), calls
    body = text.strip()
    if body.startswith(_PYTHON_TAG):
        body = body[len(_PYTHON_TAG) :].strip()
    if body.startswith("{") and body.endswith("}"):
        whole = _load(body)
        if whole is not None:
            call = _call(whole, ("parameters", "arguments"))
            return (None, [call]) if call is not None else (text, [])
        calls = []
        for part in body.split(";"):
            call = _call(_load(part.strip()), ("parameters", "arguments"))
            if call is None:
                return text, []
            calls.append(call)
        return None, calls
    return text, []


def template_takes_tools(jinja: str | None) -> bool:
    """Whether a model's own chat template reads a ``tools`` variable."""
    return bool(jinja) and re.search(r"\btools\b", jinja or "") is not None
