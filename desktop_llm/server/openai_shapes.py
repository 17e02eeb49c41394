"""OpenAI's request shapes: validating a request into what the engine takes (replies are
built in replies.py, errors in api_errors.py).

Every failure is an :class:`ApiError`, answered as ``{"error": {"message", "type",
"param", "code"}}`` with a message a person can act on. Parameters the engine cannot
honour yet are refused with a 400 naming them rather than ignored.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.engine.protocol import SamplingParams
from desktop_llm.errors import UserError
from desktop_llm.server.api_errors import ApiError, not_supported
from desktop_llm.server.schema_check import response_format
from desktop_llm.server.tool_choice import forced_call_schema

MAX_STOP_STRINGS = 4

# Parameters refused while the engine can't honour them (value: the no-op values a
# client may send anyway, e.g. penalty 0).
_NOT_SUPPORTED: dict[str, tuple[Any, ...]] = {
    "functions": (None, []),
    "function_call": (None, "none"),
    "logprobs": (None, False),
    "top_logprobs": (None, 0),
    "logit_bias": (None, {}),
    "n": (None, 1),
    "parallel_tool_calls": (None,),
    "audio": (None,),
    "modalities": (None, ["text"]),
    "prediction": (None,),
}
_COMPLETION_NOT_SUPPORTED: dict[str, tuple[Any, ...]] = {
    "logprobs": (None, 0),
    "logit_bias": (None, {}),
    "n": (None, 1),
    "best_of": (None, 1),
    "echo": (None, False),
    "suffix": (None, ""),
}


@dataclass(frozen=True)
class GenerationCall:
    """One validated request, ready for the engine."""

    model: str
    messages: list[dict[str, str]]
    sampling: SamplingParams
    n_ctx: int
    stream: bool = False
    include_usage: bool = False
    stop: tuple[str, ...] = ()
    raw_prompt: bool = False  # /v1/completions: the prompt as it is, no chat template
    # The request gives tools (tool_choice not "none"): the reply is read for tool calls.
    tools: bool = False
    # The messages carry tool results or calls: the model's template must take tools.
    tool_messages: bool = False
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:24])
    created: int = field(default_factory=lambda: int(time.time()))


# ---- validation ----------------------------------------------------------------------


def _obj(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return body


def _get(body: dict[str, Any], name: str, kinds: tuple[type, ...], what: str) -> Any:
    value = body.get(name)
    if value is None:
        return None
    # bool is an int to Python; JSON's true is not a number to OpenAI.
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise ApiError(
            400,
            f"'{name}' must be {what}, not {type(value).__name__}: {value!r:.80}",
            param=name,
        )
    return value


def _refuse_unsupported(body: dict[str, Any], table: dict[str, tuple[Any, ...]]) -> None:
    for name, harmless in table.items():
        if name in body and body[name] not in harmless:
            raise not_supported(name)


def _model(body: dict[str, Any]) -> str:
    model = _get(body, "model", (str,), "a string (a name from GET /v1/models)")
    if not model:
        raise ApiError(400, "'model' is required: a name from GET /v1/models", param="model")
    return str(model)


def _stop(body: dict[str, Any]) -> tuple[str, ...]:
    stop = body.get("stop")
    if stop is None:
        return ()
    if isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise ApiError(400, "'stop' must be a string or a list of strings", param="stop")
    if len(stop) > MAX_STOP_STRINGS:
        raise ApiError(
            400, f"'stop' takes at most {MAX_STOP_STRINGS} strings, not {len(stop)}", param="stop"
        )
    return tuple(s for s in stop if s)


def _sampling(
    body: dict[str, Any], max_tokens_names: tuple[str, ...]
) -> tuple[SamplingParams, int]:
    """The window's sampling (ChatSettings' defaults and checks) with the request's values."""
    number = (int, float)
    base = ChatSettings()
    temperature = _get(body, "temperature", number, "a number from 0 to 2")
    top_p = _get(body, "top_p", number, "a number above 0, at most 1")
    seed = _get(body, "seed", (int,), "an integer")
    ignore_eos = _get(body, "ignore_eos", (bool,), "true or false")
    max_tokens = None
    for name in max_tokens_names:
        value = _get(body, name, (int,), "a whole number of tokens")
        if value is not None:
            if value < 1:
                raise ApiError(400, f"'{name}' must be at least 1", param=name)
            max_tokens = value
    try:
        settings = ChatSettings(
            temperature=base.temperature if temperature is None else float(temperature),
            top_p=base.top_p if top_p is None else float(top_p),
            top_k=base.top_k,
            repeat_penalty=base.repeat_penalty,
            max_tokens=base.max_tokens if max_tokens is None else max_tokens,
            seed=-1 if seed is None or seed < 0 else seed,
            n_ctx=base.n_ctx,
            ignore_eos=bool(ignore_eos),
        ).validate()
    except UserError as exc:
        raise ApiError(400, exc.message) from exc
    penalties: list[float] = []
    for name in ("frequency_penalty", "presence_penalty"):
        value = _get(body, name, number, "a number from -2 to 2")
        if value is not None and not -2.0 <= value <= 2.0:
            raise ApiError(400, f"'{name}' must be from -2 to 2, not {value}", param=name)
        penalties.append(0.0 if value is None else float(value))
    sampling = dataclasses.replace(
        settings.sampling(), frequency_penalty=penalties[0], presence_penalty=penalties[1]
    )
    return sampling, settings.n_ctx


def _stream_options(body: dict[str, Any], stream: bool) -> bool:
    options = body.get("stream_options")
    if options is None:
        return False
    if not isinstance(options, dict):
        raise ApiError(400, "'stream_options' must be an object", param="stream_options")
    if not stream:
        raise ApiError(
            400, "'stream_options' is only allowed with \"stream\": true", param="stream_options"
        )
    return bool(_get(options, "include_usage", (bool,), "true or false"))


def _content(index: int, content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts: list[str] = []
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind != "text":
                if kind in ("image_url", "input_audio", "file", "image"):
                    raise not_supported(f"messages[{index}].content", f"{kind} parts")
                raise ApiError(
                    400,
                    f"messages[{index}].content: each part must be "
                    '{"type": "text", "text": "..."}',
                    param=f"messages[{index}].content",
                )
            text = part.get("text")
            if not isinstance(text, str):
                raise ApiError(
                    400,
                    f"messages[{index}].content: a text part needs a string 'text'",
                    param=f"messages[{index}].content",
                )
            texts.append(text)
        return "".join(texts)
    raise ApiError(
        400,
        f"messages[{index}].content must be a string or a list of text parts",
        param=f"messages[{index}].content",
    )


def _tool_call_list(index: int, calls: Any) -> str:
    """An assistant message's ``tool_calls``, checked, as JSON text for the template."""
    where = f"messages[{index}].tool_calls"
    if not isinstance(calls, list):
        raise ApiError(400, f"{where} must be a list", param=where)
    out: list[dict[str, Any]] = []
    for j, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        arguments = function.get("arguments", "{}") if isinstance(function, dict) else None
        if not isinstance(name, str) or not isinstance(arguments, str):
            raise ApiError(
                400,
                f'{where}[{j}] must be {{"id", "type": "function", "function": '
                '{"name": string, "arguments": JSON text}}',
                param=where,
            )
        out.append(
            {
                "id": str(call.get("id") or ""),
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
        )
    return json.dumps(out, ensure_ascii=False)


def _messages(body: dict[str, Any]) -> list[dict[str, str]]:
    raw = body.get("messages")
    if not isinstance(raw, list):
        raise ApiError(
            400,
            '\'messages\' is required: a list of {"role", "content"} objects',
            param="messages",
        )
    if not raw:
        raise ApiError(400, "'messages' is empty: send at least one message", param="messages")
    messages: list[dict[str, str]] = []
    for i, message in enumerate(raw):
        if not isinstance(message, dict):
            raise ApiError(400, f"messages[{i}] must be an object", param=f"messages[{i}]")
        role = message.get("role")
        if role == "developer":  # OpenAI's newer name for the system message
            role = "system"
        if role == "function":
            raise not_supported(f"messages[{i}]", "the old 'function' role; use 'tool'")
        if role not in ("system", "user", "assistant", "tool"):
            raise ApiError(
                400,
                f"messages[{i}].role must be 'system', 'user', 'assistant' or 'tool', not {role!r}",
                param=f"messages[{i}].role",
            )
        item = {"role": role, "content": _content(i, message.get("content"))}
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str):
                raise ApiError(
                    400,
                    f"messages[{i}]: a 'tool' message needs 'tool_call_id', the id of "
                    "the call it answers",
                    param=f"messages[{i}].tool_call_id",
                )
            item["tool_call_id"] = call_id
            if isinstance(message.get("name"), str):
                item["name"] = message["name"]
        elif message.get("tool_calls"):
            if role != "assistant":
                raise ApiError(
                    400,
                    f"messages[{i}]: only assistant messages carry 'tool_calls'",
                    param=f"messages[{i}].tool_calls",
                )
            item["tool_calls"] = _tool_call_list(i, message["tool_calls"])
        messages.append(item)
    if not any(m["content"].strip() or m.get("tool_calls") for m in messages):
        raise ApiError(400, "every message is empty: send some text", param="messages")
    return messages


def _tools(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The request's tools when the model is to see them (tool_choice not "none")."""
    tools = body.get("tools")
    choice = body.get("tool_choice")
    if isinstance(choice, str) and choice not in ("none", "auto", "required"):
        raise ApiError(
            400,
            f"'tool_choice' must be 'none', 'auto', 'required' or a named function, not {choice!r}",
            param="tool_choice",
        )
    if tools is None or tools == []:
        return None
    if not isinstance(tools, list):
        raise ApiError(400, "'tools' must be a list of function tools", param="tools")
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if (
            not isinstance(tool, dict)
            or tool.get("type") != "function"
            or not isinstance(function, dict)
            or not isinstance(function.get("name"), str)
            or not function["name"]
        ):
            raise ApiError(
                400,
                f'tools[{i}] must be {{"type": "function", "function": {{"name": ..., '
                '"description": ..., "parameters": {...}}}',
                param=f"tools[{i}]",
            )
        parameters = function.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise ApiError(
                400,
                f"tools[{i}].function.parameters must be a JSON schema object",
                param=f"tools[{i}]",
            )
    return None if choice == "none" else tools


def parse_chat(body: Any) -> GenerationCall:
    """POST /v1/chat/completions."""
    body = _obj(body)
    model = _model(body)
    _refuse_unsupported(body, _NOT_SUPPORTED)
    messages = _messages(body)
    stream = bool(_get(body, "stream", (bool,), "true or false"))
    sampling, n_ctx = _sampling(body, ("max_tokens", "max_completion_tokens"))
    json_schema = response_format(body.get("response_format"))
    tools = _tools(body)
    forced = forced_call_schema(tools, body.get("tool_choice"))
    if forced is not None:
        if json_schema is not None:
            raise ApiError(
                400,
                "'response_format' and a 'tool_choice' that forces a call both shape the "
                "reply; send one of them",
                param="tool_choice",
            )
        json_schema = forced
    sampling = dataclasses.replace(
        sampling,
        json_schema=json_schema,
        tools=json.dumps(tools, ensure_ascii=False) if tools is not None else None,
    )
    return GenerationCall(
        tools=tools is not None,
        tool_messages=any(m["role"] == "tool" or "tool_calls" in m for m in messages),
        model=model,
        messages=messages,
        sampling=sampling,
        n_ctx=n_ctx,
        stream=stream,
        include_usage=_stream_options(body, stream),
        stop=_stop(body),
    )


def parse_completion(body: Any) -> GenerationCall:
    """POST /v1/completions: the prompt is continued as it is (no chat template)."""
    body = _obj(body)
    model = _model(body)
    _refuse_unsupported(body, _COMPLETION_NOT_SUPPORTED)
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if isinstance(prompt, list):
        raise not_supported("prompt", "a list of prompts or token ids; send one string")
    if not isinstance(prompt, str):
        raise ApiError(400, "'prompt' is required: a string to continue", param="prompt")
    if not prompt.strip():
        raise ApiError(400, "'prompt' is empty: send some text to continue", param="prompt")
    stream = bool(_get(body, "stream", (bool,), "true or false"))
    sampling, n_ctx = _sampling(body, ("max_tokens",))
    return GenerationCall(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        sampling=sampling,
        n_ctx=n_ctx,
        stream=stream,
        include_usage=_stream_options(body, stream),
        stop=_stop(body),
        raw_prompt=True,
    )
