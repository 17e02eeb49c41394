"""The Starlette app: OpenAI's routes over a :class:`ModelPool`, behind the
:class:`Guard`, with one :class:`RequestRecord` per request for the log.

Generation waits on the job's events while watching for the client to go away: a
client that disconnects (before its reply starts, or mid-stream) cancels its job at
once (``Engine.cancel(request_id)``). Errors before the first token get a proper
status; an error mid-stream is sent as an SSE ``data: {"error": ...}`` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from desktop_llm import __version__
from desktop_llm.core.engine.templates import GGUF
from desktop_llm.core.models.library import ModelRef
from desktop_llm.server import api_errors, replies
from desktop_llm.server import openai_shapes as shapes
from desktop_llm.server.api_errors import ApiError
from desktop_llm.server.embeddings import (
    EmbeddingJob,
    check_embedding_model,
    embedding_reply,
    parse_embeddings,
    refuse_embedding_model_for_chat,
)
from desktop_llm.server.models import Finished, Job, ModelPool, PoolJob, QueueFull
from desktop_llm.server.openai_shapes import GenerationCall
from desktop_llm.server.records import RequestRecord
from desktop_llm.server.security import Guard, GuardConfig
from desktop_llm.server.tool_calls import parse_tool_calls, template_takes_tools

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024


class ClientGone(Exception):
    """The client disconnected before its reply was complete."""


class _RequestLog:
    """Outermost middleware: time each request, catch its status, report a record."""

    def __init__(self, app: ASGIApp, on_request: Callable[[RequestRecord], None]) -> None:
        self.app = app
        self.on_request = on_request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 0

        async def catch_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, catch_status)
        finally:
            record = RequestRecord(
                method=scope["method"],
                path=scope["path"],
                status=int(state.get("outcome", status or 499)),
                seconds=time.perf_counter() - started,
                model=state.get("model"),
                tokens=state.get("tokens"),
                tokens_per_s=state.get("tokens_per_s"),
                load_s=state.get("load_s"),
            )
            try:
                self.on_request(record)
            except Exception:
                logger.exception("the request log failed")


# ---- helpers ---------------------------------------------------------------------------


async def _read_json(request: Request) -> Any:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise _too_big()
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > MAX_BODY_BYTES:
            raise _too_big()
    try:
        return json.loads(bytes(body))
    except ValueError as exc:
        raise ApiError(
            400,
            f"the request body is not valid JSON ({exc}); send a JSON object",
            code="invalid_json",
        ) from None


def _too_big() -> ApiError:
    return ApiError(
        413,
        f"the request body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB; send less text",
        code="request_too_large",
    )


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _next_event(job: PoolJob, watch: asyncio.Task[None]) -> tuple[str, Any]:
    """The job's next event, or ClientGone (and the job cancelled) if the client left."""
    get = asyncio.ensure_future(job.events.get())
    done, _ = await asyncio.wait({get, watch}, return_when=asyncio.FIRST_COMPLETED)
    if get in done:
        return get.result()
    get.cancel()
    job.cancel()
    raise ClientGone


def _sse(data: dict[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\n\n".encode()


def _check_tools(call: GenerationCall, ref: ModelRef) -> None:
    """A 400 naming the model when the request has tools or tool messages and the
    model's chat template can't take them."""
    if call.raw_prompt or not (call.tools or call.tool_messages):
        return
    template = ref.template()
    if template.name != GGUF or not template_takes_tools(template.jinja):
        raise ApiError(
            400,
            f"the model '{ref.name}' does not support tools: its chat template "
            f"({template.describe()}) has no tools; leave out 'tools' and tool messages, "
            "or use a model whose template takes tools (Qwen 2.5, Llama 3.1+, Hermes)",
            code="tools_not_supported",
            param="tools",
        )


def _tool_calls(call: GenerationCall, text: str) -> tuple[str, list[dict[str, Any]]]:
    """The reply's content and its tool calls in OpenAI's shape (none without tools)."""
    if not call.tools:
        return text, []
    content, calls = parse_tool_calls(text)
    return (content or ""), [c.to_openai() for c in calls]


def _submit(pool: ModelPool, job: PoolJob) -> None:
    try:
        pool.submit(job)
    except QueueFull as full:
        raise ApiError(
            429,
            f"the model '{job.ref.name}' has too many requests waiting; "
            f"try again in {full.retry_after_s} s",
            type="rate_limit_error",
            code="rate_limit_exceeded",
            headers={"Retry-After": str(full.retry_after_s)},
        ) from None


def _note(request: Request, job: PoolJob, finished: Finished) -> None:
    request.state.load_s = job.load_s
    stats = finished.result.stats
    request.state.tokens = stats.completion_tokens
    request.state.tokens_per_s = stats.gen_tps


# ---- the app ----------------------------------------------------------------------------


def build_app(
    pool: ModelPool,
    guard: GuardConfig,
    on_request: Callable[[RequestRecord], None] = lambda _record: None,
) -> Starlette:
    """The server's ASGI app over ``pool``, guarded by ``guard``."""

    async def health(request: Request) -> Response:
        loaded = await run_in_threadpool(pool.loaded)
        return JSONResponse({"status": "ok", "version": __version__, "loaded": loaded})

    async def list_models(request: Request) -> Response:
        names = await run_in_threadpool(pool.names)
        data = [replies.model_entry(name, added) for name, added in names]
        return JSONResponse({"object": "list", "data": data})

    async def get_model(request: Request) -> Response:
        wanted = request.path_params["model"]
        names = await run_in_threadpool(pool.names)
        for name, added in names:
            if name.casefold() == wanted.casefold():
                return JSONResponse(replies.model_entry(name, added))
        await run_in_threadpool(pool.resolve, wanted)  # the 404 with the list of models
        raise ApiError(404, f"the model '{wanted}' does not exist here", code="model_not_found")

    async def embeddings(request: Request) -> Response:
        call = parse_embeddings(await _read_json(request))
        request.state.model = call.model
        ref = await run_in_threadpool(pool.resolve, call.model)
        check_embedding_model(ref)
        job = EmbeddingJob(call, ref, asyncio.get_running_loop())
        _submit(pool, job)
        watch = asyncio.ensure_future(_wait_disconnect(request.receive))
        try:
            kind, value = await _next_event(job, watch)
        except ClientGone:
            request.state.outcome = 499
            return Response(status_code=499)
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        if kind == "error":
            raise value
        request.state.tokens = value.prompt_tokens
        request.state.load_s = job.load_s
        return JSONResponse(embedding_reply(call, ref.name, value))

    async def chat_completions(request: Request) -> Response:
        return await _generate(request, shapes.parse_chat(await _read_json(request)))

    async def completions(request: Request) -> Response:
        return await _generate(request, shapes.parse_completion(await _read_json(request)))

    async def _generate(request: Request, call: GenerationCall) -> Response:
        request.state.model = call.model
        ref = await run_in_threadpool(pool.resolve, call.model)
        refuse_embedding_model_for_chat(ref)
        await run_in_threadpool(_check_tools, call, ref)
        job = Job(call, ref, asyncio.get_running_loop())
        _submit(pool, job)
        watch = asyncio.ensure_future(_wait_disconnect(request.receive))
        try:
            if not call.stream:
                pieces: list[str] = []
                while True:
                    kind, value = await _next_event(job, watch)
                    if kind == "chunk":
                        pieces.append(value)
                    elif kind == "error":
                        raise value
                    else:
                        _note(request, job, value)
                        content, tool_calls = _tool_calls(call, value.text)
                        return JSONResponse(
                            replies.full_reply(
                                call,
                                content,
                                value.result.stats,
                                replies.finish_reason(value.reason),
                                tool_calls,
                            )
                        )
            first = await _next_event(job, watch)
            if first[0] == "error":
                raise first[1]
        except ClientGone:
            request.state.outcome = 499
            return Response(status_code=499)
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        return StreamingResponse(
            _stream(request, call, job, first),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _stream(
        request: Request, call: GenerationCall, job: Job, first: tuple[str, Any]
    ) -> AsyncIterator[bytes]:
        # Starlette cancels this generator when the client disconnects: finally cancels
        # the job, so the engine stops within a token or two.
        finished = False
        try:
            if not call.raw_prompt:
                yield _sse(replies.stream_chunk(call, "", first=True))
            event = first
            while True:
                kind, value = event
                if kind == "chunk":
                    # With tools the text is held back: it may turn out to be tool calls.
                    if not call.tools:
                        yield _sse(replies.stream_chunk(call, value))
                elif kind == "error":
                    request.state.outcome = value.status
                    finished = True
                    yield _sse(value.body())
                    return
                else:
                    _note(request, job, value)
                    finished = True
                    stats = value.result.stats
                    reason = replies.finish_reason(value.reason)
                    if call.tools:
                        content, tool_calls = _tool_calls(call, value.text)
                        if content:
                            yield _sse(replies.stream_chunk(call, content))
                        if tool_calls:
                            yield _sse(replies.tool_calls_chunk(call, tool_calls))
                            reason = "tool_calls"
                    last = replies.stream_chunk(call, None, reason)
                    last["timings"] = replies.timings(stats)
                    yield _sse(last)
                    if call.include_usage:
                        yield _sse(replies.usage_chunk(call, stats))
                    yield _sse("[DONE]")
                    return
                event = await job.events.get()
        finally:
            if not finished:
                request.state.outcome = 499
                job.cancel()

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = (
            f"no route {request.method} {request.url.path}; see GET /v1/models"
            if exc.status_code in (404, 405)
            else str(exc.detail)
        )
        return JSONResponse(
            api_errors.error_body(message, "invalid_request_error", "not_found"),
            status_code=exc.status_code,
        )

    async def bug(request: Request, exc: Exception) -> Response:
        logger.exception("request failed", exc_info=exc)
        return JSONResponse(
            api_errors.error_body(f"internal error: {type(exc).__name__}", "server_error"),
            status_code=500,
        )

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", get_model, methods=["GET"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(_RequestLog, on_request=on_request),
            Middleware(Guard, config=guard),
        ],
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: bug},
    )
