"""OpenAI's reply shapes: a whole reply, stream chunks, usage, the timings extension,
and a model's entry in /v1/models."""

from __future__ import annotations

from typing import Any

from desktop_llm.core.engine.protocol import GenerationStats
from desktop_llm.server.openai_shapes import GenerationCall


def finish_reason(engine_reason: str) -> str:
    """OpenAI's finish reason for the engine's ("cancelled" only reaches a client when
    the server stopped the reply at one of the request's stop strings)."""
    return "length" if engine_reason == "length" else "stop"


def usage(stats: GenerationStats) -> dict[str, int | None]:
    """Token counts; None (JSON null) where unknown: a reply forwarded from a remote
    server that sent no usage."""
    known = stats.prompt_tokens is not None and stats.completion_tokens is not None
    return {
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "total_tokens": (stats.prompt_tokens or 0) + (stats.completion_tokens or 0)
        if known
        else None,
    }


def timings(stats: GenerationStats) -> dict[str, float | int | None]:
    """The ``timings`` extension (llama-server's names, plus the time to first token)."""
    return {
        "ttft_ms": round(stats.ttft_s * 1000, 2),
        "prompt_n": stats.prompt_tokens,
        "prompt_per_second": round(stats.prompt_tps, 2),
        "predicted_n": stats.completion_tokens,
        "predicted_per_second": round(stats.gen_tps, 2),
        "total_ms": round(stats.total_s * 1000, 2),
        "cached_tokens": stats.cached_tokens,  # served from the chat's kept KV state
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
