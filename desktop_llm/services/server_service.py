"""ServerService: the local OpenAI-compatible API server (``server/``) inside the window
(Settings > Local server, the status bar's badge).

The server is the one ``desktop-llm serve`` runs, built the same way, but hosted in the
GUI process: uvicorn's ``Server`` runs on a thread of its own with its own asyncio loop,
on a socket bound first (``server/runner.py``: a port in use is a message, not a crash).
Its :class:`~desktop_llm.server.models.ModelPool` has its own engine workers, apart from the
chat's. From the window it listens on 127.0.0.1 only and always wants the key.

Starting and stopping run on the service's :class:`Background`: stopping cancels every
reply in flight, tells uvicorn to exit (``should_exit``), joins its thread and ends the
pool's workers, none of it on the GUI thread. Each finished request's
:class:`~desktop_llm.server.records.RequestRecord` comes back to the GUI thread as a
:class:`RecentRequest`.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Signal

from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.errors import UserError
from desktop_llm.server.keys import key_path, load_or_create_key, regenerate_key
from desktop_llm.server.records import RequestRecord
from desktop_llm.services.background import Background
from desktop_llm.services.error_text import error_text

if TYPE_CHECKING:
    from desktop_llm.server.models import ModelPool, PoolConfig
    from desktop_llm.server.runner import Server
    from desktop_llm.services.hub_service import SettingsOwner

logger = logging.getLogger(__name__)

translate = QCoreApplication.translate

HOST = "127.0.0.1"
"""The window's server answers this computer only (``desktop-llm serve --host`` for more)."""

RECENT = 200
"""How many finished requests the live list keeps."""

STOP_TIMEOUT_S = 15.0


RecentRequest = RequestRecord
"""One finished request, as Settings > Local server lists it (never the key)."""


@dataclass(frozen=True)
class ServerState:
    """``phase``: "stopped", "starting", "running" or "stopping"; ``url`` the base URL
    while running."""

    phase: str = "stopped"
    url: str | None = None

    @property
    def running(self) -> bool:
        return self.phase == "running"


class _Running:
    """A started server: uvicorn on its thread, the pool, the socket."""

    def __init__(
        self, server: Server, thread: threading.Thread, pool: ModelPool, port: int
    ) -> None:
        self.server = server
        self.thread = thread
        self.pool = pool
        self.port = port

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Cancel every reply, stop uvicorn, end the workers. Blocks; any thread."""
        self.pool.cancel_all()
        self.server.should_exit = True
        self.thread.join(timeout_s)
        if self.thread.is_alive():
            logger.warning("the API server's thread did not stop in %.0f s", timeout_s)
            self.server.force_exit = True
            self.thread.join(2.0)
        self.pool.close()  # safe twice: the server's shutdown closed it already


class ServerService(QObject):
    """Runs the local API server for the window.

    Signals:
        stateChanged(object): the ServerState, at every change.
        requestFinished(object): a RecentRequest, on the GUI thread.
        keyChanged(): the key was regenerated (read it with :meth:`key`).
        errorOccurred(str): starting failed (port in use, ...) or a setting could not
            be saved.
        bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    stateChanged = Signal(object)
    requestFinished = Signal(object)
    keyChanged = Signal()
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(
        self,
        library: ModelLibrary,
        config_dir: Path,
        log_dir: Path,
        settings: SettingsOwner,
        *,
        machine: Callable[[], Machine] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.config_dir = config_dir
        self._log_dir = log_dir
        self._settings = settings
        self._machine = machine
        self._background = Background(self._failed, self.bugOccurred.emit, self)
        self._running: _Running | None = None
        self._key: str | None = None
        self.state = ServerState()
        self.recent: collections.deque[RecentRequest] = collections.deque(maxlen=RECENT)
        # What to do once the start or stop under way ends: None, "start" or "stop".
        self._next: str | None = None

    # -- settings --------------------------------------------------------------------
    @property
    def port(self) -> int:
        port = self._settings.settings.server_port
        return port if isinstance(port, int) and 0 < port < 65536 else 8080

    @property
    def start_with_app(self) -> bool:
        return bool(self._settings.settings.server_start_with_app)

    @property
    def models(self) -> list[str]:
        """The library names offered; empty: all of them."""
        return [n for n in self._settings.settings.server_models if isinstance(n, str)]

    def set_start_with_app(self, on: bool) -> None:
        self._settings.remember(server_start_with_app=bool(on))

    def set_port(self, port: int) -> None:
        """Remember ``port``; a running server moves to it (a restart)."""
        if not 0 < port < 65536:
            self.errorOccurred.emit(
                translate("ServerService", "the port must be between 1 and 65535")
            )
            return
        if port == self.port:
            return
        self._settings.remember(server_port=port)
        if self.state.phase in ("running", "starting"):
            self._restart()

    def set_models(self, names: list[str]) -> None:
        """Offer only ``names`` (empty: every model); a running server follows at once."""
        self._settings.remember(server_models=list(names))
        running = self._running
        if running is not None:
            running.pool.config = replace(running.pool.config, offered=tuple(names))

    def library_models(self) -> list[str]:
        """The library's models, by name (what a client may ask for)."""
        return [record.name for record in self.library.list()]

    # -- the key ---------------------------------------------------------------------
    def key(self) -> str:
        """The key clients send (made and saved on first use); "" when the config
        folder can't be read or written (errorOccurred says why)."""
        if self._key is None:
            try:
                self._key = load_or_create_key(self.config_dir)
            except UserError as exc:
                self.errorOccurred.emit(error_text(exc))
                return ""
        return self._key

    @property
    def key_file(self) -> Path:
        return key_path(self.config_dir)

    def regenerate_key(self) -> None:
        """A new key; a running server restarts with it, so the old one gets 401."""
        try:
            self._key = regenerate_key(self.config_dir)
        except UserError as exc:
            self.errorOccurred.emit(error_text(exc))
            return
        self.keyChanged.emit()
        if self.state.phase in ("running", "starting"):
            self._restart()

    # -- on and off --------------------------------------------------------------------
    def set_enabled(self, on: bool) -> None:
        """The window's switch: start or stop, and remember which."""
        self._settings.remember(server_enabled=bool(on))
        if on:
            self.start()
        else:
            self.stop()

    def start(self) -> None:
        phase = self.state.phase
        if phase in ("starting", "stopping"):
            self._next = "start"
            return
        if phase == "running":
            return
        self._next = None
        key = self.key()
        if not key:
            return
        port = self.port
        from desktop_llm.server.models import PoolConfig  # the HTTP stack: only when used

        config = PoolConfig(offered=tuple(self.models))
        self._set_state(ServerState("starting"))
        self._background.run(
            lambda: self._launch(port, key, config),
            self._started,
            on_end=self._settle,
            name="server-start",
        )

    def stop(self) -> None:
        phase = self.state.phase
        if phase in ("starting", "stopping"):
            self._next = "stop"
            return
        running, self._running = self._running, None
        if running is None:
            return
        self._next = None
        self._set_state(ServerState("stopping"))
        self._background.run(running.stop, on_end=self._stopped, name="server-stop")

    def shutdown(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Stop the server and wait (the app is quitting). Safe to call twice."""
        self._next = None
        self._background.wait(timeout_s)  # a start or stop under way
        running, self._running = self._running, None
        if running is not None:
            running.stop(timeout_s)
        self.state = ServerState()

    def _restart(self) -> None:
        phase = self.state.phase
        if phase == "running":
            self.stop()
            self._next = "start"
        elif phase == "starting":  # stop it once it runs, then start again
            self._next = "restart"
        elif phase == "stopping":
            self._next = "start"
        else:
            self.start()

    # -- the thread's side -------------------------------------------------------------
    def _launch(self, port: int, key: str, config: PoolConfig) -> _Running:
        # Imported here, not at the top: starlette and uvicorn would add about 100 ms to
        # every start of the window, for a server that is off unless switched on.
        from desktop_llm.core.remote.store import RemoteStore
        from desktop_llm.server.app import build_app
        from desktop_llm.server.models import ModelPool
        from desktop_llm.server.runner import Server, listen
        from desktop_llm.server.security import GuardConfig

        sock = listen(HOST, port, hint="choose another port")
        try:
            pool = ModelPool(
                self.library,
                self._log_dir,
                config,
                machine=self._machine,
                # NAME::MODEL_ID is forwarded to the remote server NAME, as `serve` does.
                remotes=RemoteStore(self.config_dir),
            )
            post = self._background.post

            def on_request(record: RequestRecord) -> None:
                post(lambda: self._logged(record))

            app = build_app(pool, GuardConfig(HOST, port, key), on_request)
            server = Server(app, pool)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name="api-server", daemon=True
            )
            thread.start()
        except BaseException:
            sock.close()
            raise
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(5)
                pool.close()
                sock.close()
                raise UserError(
                    translate(
                        "ServerService",
                        "the API server did not start on {host}:{port} (see the log)",
                    ).format(host=HOST, port=port)
                )
            time.sleep(0.02)
        return _Running(server, thread, pool, port)

    # -- back on the GUI thread ------------------------------------------------------------
    def _started(self, running: _Running) -> None:
        self._running = running
        self._set_state(ServerState("running", f"http://{HOST}:{running.port}/v1"))
        logger.info("API server running on %s:%d", HOST, running.port)

    def _settle(self) -> None:
        """After a start (done or failed): follow what was asked meanwhile."""
        if self._running is None and self.state.phase == "starting":
            self._set_state(ServerState())
        wanted, self._next = self._next, None
        if wanted == "stop":
            self.stop()
        elif wanted == "restart":
            self._restart()
        elif wanted == "start":
            self.start()

    def _stopped(self) -> None:
        self._set_state(ServerState())
        logger.info("API server stopped")
        self._settle()

    def _failed(self, message: str) -> None:
        self._next = None
        self.errorOccurred.emit(message)

    def _logged(self, request: RecentRequest) -> None:
        self.recent.append(request)
        self.requestFinished.emit(request)

    def _set_state(self, state: ServerState) -> None:
        self.state = state
        self.stateChanged.emit(state)
