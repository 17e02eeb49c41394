"""Running the API server, for `desktop-llm serve` and the window alike: the listening
socket (bound first, so a port in use is a plain UserError) and uvicorn's Server, which
cancels every reply when Ctrl-C comes and ends the model pool's workers once it has shut
down."""

from __future__ import annotations

import asyncio
import socket
import threading
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from desktop_llm.errors import UserError
from desktop_llm.server.models import ModelPool


def listen(host: str, port: int, *, hint: str) -> socket.socket:
    """A socket listening on ``host``:``port`` (0: any free port). ``hint`` ends the
    message when the port is taken ("choose one with --port")."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}: {exc.strerror or exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise UserError(
            f"cannot listen on {host} port {port}: {exc.strerror or exc} "
            f"(another program may use it; {hint})"
        ) from exc
    return sock


class Server(uvicorn.Server):
    """uvicorn's Server for one model pool. Off the main thread (the window) uvicorn
    installs no signal handlers and is stopped with ``should_exit``."""

    def __init__(self, app: ASGIApp, pool: ModelPool) -> None:
        super().__init__(
            uvicorn.Config(
                app,
                access_log=False,
                log_level="warning",
                timeout_graceful_shutdown=5,
                lifespan="off",
            )
        )
        self.pool = pool

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Cancel every reply so the graceful shutdown doesn't wait for long generations;
        # off the signal handler: cancelling takes locks the interrupted code may hold.
        threading.Thread(target=self.pool.cancel_all, name="server-stop", daemon=True).start()
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        await asyncio.to_thread(self.pool.close)
