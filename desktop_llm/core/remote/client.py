"""Talking to one remote server with the real ``openai`` client: building it, listing
its models, and turning every way a request can fail into one sentence naming the server.

HTTPS uses the system's certificates: the client's HTTP stack (httpx2, from ``openai``)
builds its default TLS context from the OS store (``truststore`` on Windows and macOS,
OpenSSL's system CA paths on Linux), or from ``SSL_CERT_FILE``/``SSL_CERT_DIR``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_llm.core.remote.store import RemoteServer
from desktop_llm.errors import UserError

if TYPE_CHECKING:
    import openai

# openai and httpx2 are imported when a remote server is first used: importing openai
# takes seconds on a slow machine, and the window starts without any remote.

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
_NO_KEY = "not-needed"  # the client insists on a key; servers without one ignore it


def make_client(server: RemoteServer, *, read_timeout_s: float | None = None) -> openai.OpenAI:
    """A client for ``server``: no retries (a dead server is said at once), a short
    connect timeout, and a read timeout of the server's first-token timeout."""
    import httpx2
    import openai

    read = read_timeout_s if read_timeout_s is not None else server.first_token_timeout_s
    return openai.OpenAI(
        base_url=server.url,
        api_key=server.api_key or _NO_KEY,
        max_retries=0,
        timeout=httpx2.Timeout(read, connect=CONNECT_TIMEOUT_S),
    )


def where(server: RemoteServer) -> str:
    return f"remote server {server.name} ({server.url})"


def _tls_failure(exc: BaseException, server: RemoteServer) -> UserError | None:
    import ssl  # here, as in request_errors: start-up doesn't need it (~4 ms)

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return UserError.of(
                "cannot talk securely to remote server {server} ({url}): its certificate is "
                "not trusted ({reason})",
                server=server.name,
                url=server.url,
                reason=seen.verify_message,
            )
        if isinstance(seen, ssl.SSLError):
            return UserError.of(
                "cannot talk securely to remote server {server} ({url}): the secure "
                "connection failed ({reason})",
                server=server.name,
                url=server.url,
                reason=seen.reason or "TLS error",
            )
        seen = seen.__cause__ or seen.__context__
    return None


def explain(exc: BaseException, server: RemoteServer, model_id: str | None = None) -> UserError:
    """One sentence for the user: what went wrong with ``server``, and what to do (as
    the UserError to raise: the window shows it in its language)."""
    import httpx2
    import openai

    name, url = server.name, server.url
    if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException):
        return UserError.of(
            "remote server {server} ({url}) sent nothing within {timeout:g} s "
            "(busy or stuck; the timeout is set with `desktop-llm remote add --timeout`)",
            server=name,
            url=url,
            timeout=server.first_token_timeout_s,
        )
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return UserError.of(
            "remote server {server} ({url}) refused the API key ({status}): set the right one "
            "with `desktop-llm remote add {server} URL --api-key KEY --replace`",
            server=name,
            url=url,
            status=exc.status_code,
        )
    if isinstance(exc, openai.NotFoundError):
        if model_id:
            return UserError.of(
                "remote server {server} ({url}) has no model '{model}' (404); "
                "`desktop-llm remote models {server}` lists it",
                server=name,
                url=url,
                model=model_id,
            )
        return UserError.of(
            "remote server {server} ({url}) has no what was asked (404); "
            "`desktop-llm remote models {server}` lists it",
            server=name,
            url=url,
        )
    if isinstance(exc, openai.APIStatusError):
        return UserError.of(
            "remote server {server} ({url}) answered {status}: {reason}",
            server=name,
            url=url,
            status=exc.status_code,
            reason=_short(exc.message),
        )
    tls = _tls_failure(exc, server)
    if tls is not None:
        return tls
    if isinstance(exc, openai.APIConnectionError | httpx2.ConnectError):
        cause = exc.__cause__ if isinstance(exc, openai.APIConnectionError) else exc
        if isinstance(cause, httpx2.ConnectError | httpx2.ConnectTimeout):
            return UserError.of(
                "cannot reach remote server {server} ({url}): is it running, and is the "
                "address right?",
                server=name,
                url=url,
            )
        if isinstance(cause, httpx2.RemoteProtocolError | httpx2.ReadError):
            return UserError.of(
                "the connection to remote server {server} ({url}) dropped", server=name, url=url
            )
        return UserError.of(
            "cannot reach remote server {server} ({url}): {reason}",
            server=name,
            url=url,
            reason=_short(str(cause or exc)),
        )
    if isinstance(exc, httpx2.HTTPError | openai.APIError):
        return UserError.of(
            "the connection to remote server {server} ({url}) dropped ({reason})",
            server=name,
            url=url,
            reason=_short(str(exc)) or type(exc).__name__,
        )
    return UserError.of(
        "remote server {server} ({url}) failed: {reason}",
        server=name,
        url=url,
        reason=_short(str(exc)) or type(exc).__name__,
    )


def _short(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def request_errors() -> tuple[type[BaseException], ...]:
    """What a request to a remote server may raise that :func:`explain` turns into words."""
    import ssl

    import httpx2
    import openai

    return (openai.OpenAIError, httpx2.HTTPError, ssl.SSLError, OSError)


@dataclass(frozen=True)
class RemoteModel:
    id: str
    owned_by: str = ""


def list_models(server: RemoteServer, timeout_s: float = 15.0) -> list[RemoteModel]:
    """The models ``server`` offers (GET /v1/models); UserError naming the server."""
    try:
        with make_client(server, read_timeout_s=timeout_s) as client:
            page = client.models.list()
            return [RemoteModel(m.id, str(getattr(m, "owned_by", "") or "")) for m in page.data]
    except request_errors() as exc:
        raise explain(exc, server) from exc
