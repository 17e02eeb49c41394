"""``tool_choice``: "auto", "none", "required", or ``{"type": "function", "function":
{"name": ...}}``, the last two enforced with a llama.cpp grammar.

A forced call becomes a JSON schema the reply must follow (the worker turns it into a
grammar, as for ``response_format``): ``{"name": <one of the tools>, "arguments":
<that tool's parameters>}``. :mod:`tool_calls` reads that object as a call whatever the
model's own style (the Llama 3.x reader takes ``arguments`` too), so even a model that
would rather chat, or a tiny random one, answers with a call of the right shape. This
is what llama-cpp-python's server does for a named function; llama-server does the
same with its own grammars.
"""

from __future__ import annotations

import json
from typing import Any

from desktop_llm.server.api_errors import ApiError
from desktop_llm.server.schema_check import check_schema


def tool_names(tools: list[dict[str, Any]]) -> list[str]:
    return [str(tool["function"]["name"]) for tool in tools]


def _call_schema(tool: dict[str, Any], index: int) -> dict[str, Any]:
    function = tool["function"]
    parameters = function.get("parameters") or {"type": "object"}
    check_schema(parameters, f"tools[{index}].function.parameters")
    return {
        "type": "object",
        "properties": {"name": {"const": function["name"]}, "arguments": parameters},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


def forced_call_schema(tools: list[dict[str, Any]] | None, choice: Any) -> str | None:
    """The JSON schema (as JSON text) a reply must follow for ``choice``, or None when
    the model may answer in text ("auto", "none", no choice)."""
    if choice in (None, "auto", "none"):
        return None
    if choice == "required":
        if not tools:
            raise ApiError(
                400, "'tool_choice' is 'required' but 'tools' is empty", param="tool_choice"
            )
        calls = [_call_schema(tool, i) for i, tool in enumerate(tools)]
        schema = calls[0] if len(calls) == 1 else {"anyOf": calls}
        return json.dumps(schema, ensure_ascii=False)
    function = choice.get("function") if isinstance(choice, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if (
        not isinstance(choice, dict)
        or choice.get("type") != "function"
        or not isinstance(name, str)
    ):
        raise ApiError(
            400,
            "'tool_choice' must be 'none', 'auto', 'required' or "
            '{"type": "function", "function": {"name": ...}}',
            param="tool_choice",
        )
    for i, tool in enumerate(tools or []):
        if tool["function"]["name"] == name:
            return json.dumps(_call_schema(tool, i), ensure_ascii=False)
    offered = ", ".join(tool_names(tools or [])) or "none"
    raise ApiError(
        400,
        f"'tool_choice' names the function '{name}', which is not in 'tools' "
        f"(tools given: {offered})",
        param="tool_choice",
    )
