"""The guard in front of every request: the Host header must name this server (DNS
rebinding), a browser's Origin must be one the user allowed (CORS headers only then),
and the bearer key must match. Refusals use OpenAI's error shape; the key never
reaches a log."""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from desktop_llm.server.api_errors import error_body

logger = logging.getLogger(__name__)

_CORS_METHODS = "GET, POST, OPTIONS"
_CORS_HEADERS = "Authorization, Content-Type"


def is_loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_wildcard(host: str) -> bool:
    return host.strip("[]") in ("0.0.0.0", "::", "")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class GuardConfig:
    host: str
    port: int
    api_key: str | None  # None: --no-auth
    cors: tuple[str, ...] = ()

    def host_allowed(self, header: str) -> bool:
        """Whether a Host header names this server: "localhost" or a loopback address,
        the bound address, or (bound to every interface) any IP address; with this port.
        A name that only resolves here (DNS rebinding) never matches."""
        name, _, port = header.rpartition(":")
        if not name or "]" in port:  # no port, or a bare IPv6 address
            name, port = header, "80"
        if port != str(self.port):
            return False
        name = name.strip("[]").casefold()
        if name == "localhost" or name == self.host.strip("[]").casefold():
            return True
        address = _ip(name)
        if address is None:
            return False
        return address.is_loopback or _is_wildcard(self.host)


class Guard:
    """ASGI middleware: Host, then Origin (and a CORS preflight), then the key."""

    def __init__(self, app: ASGIApp, config: GuardConfig) -> None:
        self.app = app
        self.config = config
        self._key = config.api_key.encode() if config.api_key is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope["headers"])
        host = headers.get("host", "")
        if not self.config.host_allowed(host):
            logger.warning("refused a request for host %r", host[:100])
            await _refuse(
                send, 403, f"the Host header {host[:100]!r} does not name this server", "bad_host"
            )
            return
        origin = headers.get("origin")
        cors: list[tuple[bytes, bytes]] = []
        if origin is not None:
            if origin not in self.config.cors:
                await _refuse(
                    send,
                    403,
                    f"requests from the web page at {origin[:100]!r} are not allowed; "
                    "start the server with --cors ORIGIN to allow it",
                    "origin_not_allowed",
                )
                return
            cors = [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"vary", b"Origin"),
            ]
            if scope["method"] == "OPTIONS":  # the preflight carries no key
                await _send_response(
                    send,
                    204,
                    b"",
                    [
                        *cors,
                        (b"access-control-allow-methods", _CORS_METHODS.encode()),
                        (b"access-control-allow-headers", _CORS_HEADERS.encode()),
                        (b"access-control-max-age", b"600"),
                    ],
                )
                return
        if self._key is not None and not self._authorized(headers.get("authorization", "")):
            await _refuse(
                send,
                401,
                "a valid API key is needed: send 'Authorization: Bearer KEY' "
                "(the key is in the file `desktop-llm serve` printed)",
                "invalid_api_key",
                extra=[*cors, (b"www-authenticate", b"Bearer")],
            )
            return
        if not cors:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        if scheme.casefold() != "bearer" or self._key is None:
            return False
        return hmac.compare_digest(token.strip().encode(), self._key)


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


async def _refuse(
    send: Send,
    status: int,
    message: str,
    code: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    kind = "authentication_error" if status == 401 else "permission_error"
    body = json.dumps(error_body(message, kind, code)).encode()
    await _send_response(
        send, status, body, [(b"content-type", b"application/json"), *(extra or [])]
    )


async def _send_response(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
