"""OpenAI's request and response shapes: validating a request into what the engine
takes, and building replies, stream chunks and errors.

Every failure is an :class:`ApiError`, answered as ``{"error": {"message", "type",
"param", "code"}}`` with a message a person can act on. Parameters the engine cannot
honour yet are refused with a 400 naming them rather than ignored.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.engine.protocol import GenerationStats, SamplingParams
from desktop_llm.errors import UserError

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


class ApiError(Exception):
    """An answer in OpenAI's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.type, self.code, self.param)


def error_body(
    message: str, type: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def not_supported(param: str, detail: str = "") -> ApiError:
    more = f" ({detail})" if detail else ""
    return ApiError(
        400,
        f"'{param}' is not supported yet by this server{more}; leave it out",
        code="unsupported_parameter",
        param=param,
    )


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


_SCHEMA_TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")


def _check_schema(schema: Any, where: str) -> None:
    """The JSON schema keywords the grammar builder reads, checked so that a mistake is
    a 400 naming where it is (the worker turns the schema into a grammar)."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise ApiError(400, f"{where} must be a JSON schema object", param="response_format")
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for k in kinds:
        if k not in _SCHEMA_TYPES:
            raise ApiError(
                400,
                f"{where}.type is {k!r}; use one of {', '.join(_SCHEMA_TYPES)}",
                param="response_format",
            )
    properties = schema.get("properties")
    if properties is not None:
        if not isinstance(properties, dict):
            raise ApiError(400, f"{where}.properties must be an object", param="response_format")
        for name, sub in properties.items():
            _check_schema(sub, f"{where}.properties.{name}")
    required = schema.get("required")
    if required is not None and (
        not isinstance(required, list) or not all(isinstance(r, str) for r in required)
    ):
        raise ApiError(
            400, f"{where}.required must be a list of property names", param="response_format"
        )
    for key in ("items", "additionalProperties", "not"):
        if key in schema and not (key == "items" and isinstance(schema[key], list)):
            _check_schema(schema[key], f"{where}.{key}")
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        if key in schema:
            subs = schema[key]
            if not isinstance(subs, list) or not subs:
                raise ApiError(
                    400, f"{where}.{key} must be a non-empty list", param="response_format"
                )
            for j, sub in enumerate(subs):
                _check_schema(sub, f"{where}.{key}[{j}]")
    if "enum" in schema and not isinstance(schema["enum"], list):
        raise ApiError(400, f"{where}.enum must be a list", param="response_format")
    ref = schema.get("$ref")
    if ref is not None and (not isinstance(ref, str) or not ref.startswith("#")):
        raise ApiError(
            400,
            f"{where}.$ref must point inside the schema ('#/...'); remote schemas are not fetched",
            param="response_format",
        )
    for key in ("$defs", "definitions"):
        defs = schema.get(key)
        if isinstance(defs, dict):
            for name, sub in defs.items():
                _check_schema(sub, f"{where}.{key}.{name}")


def _response_format(value: Any) -> str | None:
    """The JSON schema (as JSON text) the reply must follow, or None for free text."""
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return json.dumps({"type": "object"})
    if kind == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, dict) or "schema" not in spec:
            raise ApiError(
                400,
                "response_format.json_schema must be "
                '{"name": ..., "schema": {...}, "strict": true}',
                param="response_format",
            )
        schema = spec["schema"]
        _check_schema(schema, "response_format.json_schema.schema")
        return json.dumps(schema, ensure_ascii=False)
    raise ApiError(
        400,
        f"response_format.type must be 'text', 'json_object' or 'json_schema', not {kind!r}",
        param="response_format",
    )


def _tools(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The request's tools when the model is to see them (tool_choice not "none")."""
    tools = body.get("tools")
    choice = body.get("tool_choice")
    if choice not in (None, "none", "auto"):
        if isinstance(choice, str) and choice != "required":
            raise ApiError(
                400,
                f"'tool_choice' must be 'none', 'auto', 'required' or a named function, "
                f"not {choice!r}",
                param="tool_choice",
            )
        raise not_supported("tool_choice", "'required' and a named function; send 'auto' or 'none'")
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
    json_schema = _response_format(body.get("response_format"))
    tools = _tools(body)
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


# ---- responses -----------------------------------------------------------------------


def finish_reason(engine_reason: str) -> str:
    """OpenAI's finish reason for the engine's ("cancelled" only reaches a client when
    the server stopped the reply at one of the request's stop strings)."""
    return "length" if engine_reason == "length" else "stop"


def usage(stats: GenerationStats) -> dict[str, int]:
    return {
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "total_tokens": stats.prompt_tokens + stats.completion_tokens,
    }


def timings(stats: GenerationStats) -> dict[str, float | int]:
    """The ``timings`` extension (llama-server's names, plus the time to first token)."""
    return {
        "ttft_ms": round(stats.ttft_s * 1000, 2),
        "prompt_n": stats.prompt_tokens,
        "prompt_per_second": round(stats.prompt_tps, 2),
        "predicted_n": stats.completion_tokens,
        "predicted_per_second": round(stats.gen_tps, 2),
        "total_ms": round(stats.total_s * 1000, 2),
    }


def _head(call: GenerationCall, obj: str) -> dict[str, Any]:
    prefix = "cmpl-" if call.raw_prompt else "chatcmpl-"
    return {"id": prefix + call.id, "object": obj, "created": call.created, "model": call.model}


def full_reply(
    call: GenerationCall,
    text: str,
    stats: GenerationStats,
    reason: str,
    tool_calls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if call.raw_prompt:
        choice: dict[str, Any] = {"index": 0, "text": text, "logprobs": None}
        obj = "text_completion"
    else:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if tool_calls:
            message["content"] = text or None
            message["tool_calls"] = tool_calls
            reason = "tool_calls"
        choice = {"index": 0, "message": message, "logprobs": None}
        obj = "chat.completion"
    choice["finish_reason"] = reason
    return {
        **_head(call, obj),
        "choices": [choice],
        "usage": usage(stats),
        "timings": timings(stats),
    }


def stream_chunk(
    call: GenerationCall, text: str | None, reason: str | None = None, *, first: bool = False
) -> dict[str, Any]:
    if call.raw_prompt:
        choice: dict[str, Any] = {"index": 0, "text": text or "", "logprobs": None}
        obj = "text_completion"
    else:
        delta: dict[str, Any] = {}
        if first:
            delta["role"] = "assistant"
        if text is not None:
            delta["content"] = text
        choice = {"index": 0, "delta": delta, "logprobs": None}
        obj = "chat.completion.chunk"
    choice["finish_reason"] = reason
    chunk = {**_head(call, obj), "choices": [choice]}
    if call.include_usage:
        chunk["usage"] = None
    return chunk


def tool_calls_chunk(call: GenerationCall, tool_calls: list[dict[str, Any]]) -> dict[str, Any]:
    """One stream chunk with every tool call whole (sent once the reply is complete)."""
    chunk = stream_chunk(call, None)
    chunk["choices"][0]["delta"]["tool_calls"] = [
        {"index": i, **tool_call} for i, tool_call in enumerate(tool_calls)
    ]
    return chunk


def usage_chunk(call: GenerationCall, stats: GenerationStats) -> dict[str, Any]:
    obj = "text_completion" if call.raw_prompt else "chat.completion.chunk"
    return {**_head(call, obj), "choices": [], "usage": usage(stats), "timings": timings(stats)}


def model_entry(name: str, created: float) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": int(created), "owned_by": "desktop-llm"}
