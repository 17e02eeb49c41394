"""The GUI's composition root: paths, logging, settings, services and the main window.

Only this module (and cli.py) builds concrete objects; everything else receives them.
``llama_cpp`` is never imported here: models run in worker processes.
"""

from __future__ import annotations

import functools
import gc
import json
import logging
import os
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QCoreApplication,
    QLockFile,
    QMessageLogContext,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox

from desktop_llm import APP_NAME, __version__
from desktop_llm.errors import UserError
from desktop_llm.paths import AppPaths, resources_dir
from desktop_llm.services.pyside_fixes import fix_emit_refcount, skip_feature_scan

translate = QCoreApplication.translate

logger = logging.getLogger(__name__)

SELF_TEST_TIMEOUT_S = 300

if TYPE_CHECKING:
    from desktop_llm.core.models.library import ModelLibrary
    from desktop_llm.services.backup_service import BackupService
    from desktop_llm.services.benchmark_service import BenchmarkService
    from desktop_llm.services.chat_search_service import ChatSearchService
    from desktop_llm.services.chat_service import ChatService
    from desktop_llm.services.chat_transfer_service import ChatTransferService
    from desktop_llm.services.cluster_service import ClusterService
    from desktop_llm.services.compare_service import CompareService
    from desktop_llm.services.hardware_service import HardwareService
    from desktop_llm.services.hub_service import HubService
    from desktop_llm.services.library_service import LibraryService
    from desktop_llm.services.remote_service import RemoteService
    from desktop_llm.services.server_service import ServerService
    from desktop_llm.storage import ChatRepository, Message
    from desktop_llm.ui.main_window import MainWindow


@dataclass
class AppServices:
    """What the GUI runs on, built in one place (also by the GUI tests)."""

    conn: sqlite3.Connection
    chats: ChatRepository
    library: ModelLibrary
    library_service: LibraryService
    service: ChatService
    hub: HubService
    hardware: HardwareService
    compare: CompareService
    benchmark: BenchmarkService
    backup: BackupService
    server: ServerService
    cluster: ClusterService | None = None
    remote: RemoteService | None = None
    chat_search: ChatSearchService | None = None
    chat_transfer: ChatTransferService | None = None

    def __post_init__(self) -> None:
        from desktop_llm.services.chat_search_service import ChatSearchService
        from desktop_llm.services.chat_transfer_service import ChatTransferService
        from desktop_llm.storage.chat_transfer_repo import ChatTransferRepository
        from desktop_llm.storage.search_repo import SearchRepository

        # Search and export/import (issue 18) need only the database.
        if self.chat_search is None:
            self.chat_search = ChatSearchService(SearchRepository(self.conn))
        if self.chat_transfer is None:
            self.chat_transfer = ChatTransferService(
                ChatTransferRepository(self.conn), database=getattr(self.conn, "path", None)
            )

    def main_window(self, **options: Any) -> MainWindow:
        """The main window on every one of these services (``options``: MainWindow's
        others, such as ``first_run``); app.py's, the GUI tests' and the screenshots'."""
        from desktop_llm.ui.main_window import MainWindow

        return MainWindow(
            self.service,
            self.library_service,
            hub=self.hub,
            hardware=self.hardware,
            compare=self.compare,
            benchmark=self.benchmark,
            backup=self.backup,
            server=self.server,
            chat_search=self.chat_search,
            chat_transfer=self.chat_transfer,
            cluster=self.cluster,
            remote=self.remote,
            **options,
        )

    def close(self) -> None:
        """Stop any reply and download, the API server, end the workers and close the
        database. Safe to call twice."""
        self.server.shutdown()  # cancels its replies, ends its own workers
        self.hub.shutdown()  # pauses downloads; their .part files stay for resuming
        self.compare.close()  # ends the comparison workers
        self.library_service.wait(10.0)  # a scan still reading other apps' folders
        self.service.shutdown()
        self.backup.stop()
        self.backup.wait(30.0)  # a copy half made is only a .part file, but finish it
        # Nothing may read the database on another thread while it closes (SQLite crashes).
        self.library_service.stop_watching()
        self.service.wait(10.0)
        self.library_service.wait(10.0)
        for other in (self.chat_search, self.chat_transfer):
            if other is not None:
                other.wait()
        self.conn.close()


def build_services(paths: AppPaths) -> AppServices:
    """Open the database, register the starter model and make the services.

    Their modules are imported here, not at the top of app.py: run_gui first stops
    PySide6 from reading each one's source (pyside_fixes.skip_feature_scan)."""
    from desktop_llm.core.chat.conversation import ChatSettings
    from desktop_llm.core.compare.comparison import Planning
    from desktop_llm.core.engine.session import EngineSession
    from desktop_llm.core.models.library import ModelLibrary
    from desktop_llm.core.remote.routing import LocalOrRemoteEngine
    from desktop_llm.core.remote.store import RemoteStore
    from desktop_llm.core.settings import load_settings
    from desktop_llm.services.backup_service import BackupService
    from desktop_llm.services.benchmark_service import BenchmarkService
    from desktop_llm.services.chat_service import ChatService
    from desktop_llm.services.cluster_service import ClusterService
    from desktop_llm.services.compare_service import CompareService
    from desktop_llm.services.error_text import plan_text
    from desktop_llm.services.hardware_service import HardwareService
    from desktop_llm.services.hub_service import HubService
    from desktop_llm.services.library_service import LibraryService
    from desktop_llm.services.remote_service import RemoteService
    from desktop_llm.services.server_service import ServerService
    from desktop_llm.storage import (
        ChatRepository,
        CompareRepository,
        DownloadRepository,
        ModelRepository,
        PresetRepository,
        connect,
    )
    from desktop_llm.storage.backup import backups_folder

    # Before any service exists: a streamed reply emits thousands of signals.
    fix_emit_refcount()
    conn = connect(paths.db)
    chats = ChatRepository(conn)
    interrupted = chats.mark_interrupted_streams()
    if interrupted:
        logger.warning("%d replies were interrupted when the app last stopped", interrupted)
    library = ModelLibrary(ModelRepository(conn), paths.models)
    starter = library.ensure_starter_model()
    settings = load_settings(paths.settings_file)
    if settings.last_model_id is None and starter is not None:
        settings = settings.with_(last_model_id=starter.id)
    # Remote servers (Settings > Remote servers): NAME::MODEL_ID models chat through them.
    remotes = RemoteStore(paths.config)
    remote = RemoteService(remotes)
    # Settings > Cluster's workers (read at each load): the chat's models split over them.
    engine = EngineSession(
        paths.logs,
        threads=settings.threads,
        gpu_layers=settings.gpu_layers,
        workers=lambda: cluster.workers(),
        engine=LocalOrRemoteEngine(paths.logs, remotes),
    )
    library_service = LibraryService(library)
    service = ChatService(
        chats,
        library,
        engine,
        settings,
        paths.settings_file,
        presets=PresetRepository(conn),
        remotes=remotes,
    )
    hub = HubService(
        library_service,
        paths,
        machine=engine.local_machine,
        store=DownloadRepository(conn),
        settings=service,  # the one writer of settings.json
    )

    def plan_words(model_id: int) -> str:
        n_ctx = ChatSettings.from_dict(service.settings.default_chat).n_ctx
        return plan_text(engine.plan(library.ref_for(library.get(model_id)), n_ctx))

    hardware = HardwareService(paths.logs, planner=plan_words)
    # Compare panes load their models as the chat does: same options, same planner.
    planning = Planning(options_for=engine.options_for, machine=engine.local_machine)
    compare = CompareService(
        library, CompareRepository(conn), paths.logs, planning=planning, remotes=remote
    )
    benchmark = BenchmarkService(library, paths.logs)
    backup = BackupService(paths.db, backups_folder(paths.data))
    # The API server's models run in workers of their own, planned like the chat's.
    server = ServerService(
        library, paths.config, paths.logs, settings=service, machine=engine.machine
    )
    cluster = ClusterService(service)
    return AppServices(
        conn,
        chats,
        library,
        library_service,
        service,
        hub,
        hardware,
        compare,
        benchmark,
        backup,
        server,
        cluster,
        remote,
    )


def run_gui(
    paths: AppPaths,
    *,
    self_test: bool = False,
    model: str | None = None,
    prompt: str = "Say hello in one short sentence.",
) -> int:
    """Open the main window; with ``self_test``, chat once and exit (0 ok, 1/2 failure).

    Raises UserError when another window already runs on the same data folder (the
    caller shows it: :func:`show_startup_error`).
    """
    skip_feature_scan()  # before the window's ~250 modules are imported
    from desktop_llm.core.engine.host import probe_engine
    from desktop_llm.ui.crash_dialog import install_excepthook
    from desktop_llm.ui.language import install_language, remove_language
    from desktop_llm.ui.theme import apply_theme

    app = _application()
    lock = acquire_instance_lock(paths)
    # No settings file yet: the window has never been opened with this data folder.
    first_run = not paths.settings_file.exists()
    try:
        parts = build_services(paths)
    except BaseException:
        lock.unlock()
        raise
    service = parts.service
    # Before any window exists: every widget reads its text through the translators.
    translators = install_language(app, service.settings.language)
    window = parts.main_window(
        engine_probe=functools.partial(probe_engine, paths.logs), first_run=first_run
    )
    apply_theme(app, parts.service.settings.theme)  # light, dark or the system's
    install_excepthook(window)
    # What start-up made lives as long as the window: out of the garbage collector's
    # full passes, which otherwise walk it all (~30 ms on the GUI thread, at random
    # while a reply streams; issue 16).
    gc.freeze()
    if parts.remote is not None and not self_test:
        parts.remote.refresh()  # the servers added (none: nothing connects) list their models
    window.show()
    # The engine's worker process starts (and imports llama.cpp) while the user reads
    # the window, so the first reply doesn't wait ~2.7 s for it; after the first paint,
    # off the GUI thread.
    QTimer.singleShot(
        500,
        lambda: threading.Thread(
            target=parts.service.prestart_engine, name="engine-prestart", daemon=True
        ).start(),
    )
    parts.backup.start_daily()  # the first check now: a backup if the last is a day old
    if parts.server.start_with_app and not self_test:
        parts.server.start()  # off the GUI thread; the status bar shows its address
    result = {"code": 0}
    if self_test:
        _SelfTest(app, window, service, parts.library, model, prompt, result).start()
    try:
        code = app.exec()
    finally:
        parts.close()
        lock.unlock()
        remove_language(app, translators)
    return result["code"] if self_test else code


def _application() -> QApplication:
    # Qt's own warnings (e.g. the offscreen plugin's) go to the log, not the terminal.
    qInstallMessageHandler(_qt_message)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)  # Wayland: match desktop-llm.desktop for the icon
    app.setWindowIcon(app_icon())
    return app


def app_icon() -> QIcon:
    """The app's icon at every size in resources/icons (window, taskbar, dialogs)."""
    icon = QIcon()
    for png in sorted((resources_dir() / "icons").glob("desktop-llm-*.png")):
        icon.addFile(str(png))
    if icon.isNull():
        logger.warning("no app icon found in %s", resources_dir())
    return icon


def acquire_instance_lock(paths: AppPaths) -> QLockFile:
    """One window per data folder: a second one would mark the first one's streaming
    reply as interrupted at start-up, race it on settings.json and load a second copy
    of the model. SQLite (WAL) itself would be safe; the rest is not. The CLI doesn't
    take the lock: its commands are short, and its writes go through SQLite only.

    QLockFile removes a lock left by a process that no longer runs (a crash).
    """
    lock = QLockFile(str(paths.lock_file))
    lock.setStaleLockTime(0)  # never stale by age: only when its process is gone
    if lock.tryLock(0):
        return lock
    error = lock.error()
    if error == QLockFile.LockError.LockFailedError:
        pid, _host, _app = lock.getLockInfo()
        if pid:
            raise UserError.of(
                "{app} is already running (process {pid}) with the data folder {folder}. "
                "Switch to its window, or close it first.",
                app=APP_NAME,
                pid=pid,
                folder=paths.data,
            )
        raise UserError.of(
            "{app} is already running with the data folder {folder}. "
            "Switch to its window, or close it first.",
            app=APP_NAME,
            folder=paths.data,
        )
    raise UserError.of(
        "cannot create the lock file {path}: check the folder's permissions",
        path=paths.lock_file,
    )


def can_show_dialogs() -> bool:
    """Whether a message box would reach a person: a real display, not the offscreen
    platform (tests, CI) nor a terminal without one (SSH)."""
    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal"):
        return False
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def show_startup_error(error: UserError, settings_file: Path | None = None) -> None:
    """Show a problem that stops the window from opening (data folder missing or not
    writable, already running) in a message box: people who start the app from a menu
    never see stderr. It speaks the window's language: Settings > Language as
    ``settings_file`` says, else the system's. Does nothing without a display."""
    if not can_show_dialogs():
        return
    try:
        from desktop_llm.core.settings import load_settings
        from desktop_llm.services.error_text import error_text
        from desktop_llm.ui.language import install_language, remove_language

        app = _application()
        choice = load_settings(settings_file).language if settings_file else "system"
        translators = install_language(app, choice)
        try:
            text = error_text(error)  # the errors of paths.py too (folder missing...)
            title = translate("App", "{app} cannot start").format(app=APP_NAME)
            QMessageBox.critical(None, title, text)
        finally:
            remove_language(app, translators)
    except Exception:  # the message is on stderr already
        logger.exception("could not show the start-up error")


def _qt_message(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    level = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
    }.get(mode, logging.ERROR)
    logging.getLogger("qt").log(level, "%s", message)


class _SelfTest:
    """Drives the real window: pick the model, new chat, send, wait, print stats."""

    def __init__(
        self,
        app: QApplication,
        window: object,
        service: ChatService,
        library: ModelLibrary,
        model: str | None,
        prompt: str,
        result: dict[str, int],
    ) -> None:
        self.app, self.window, self.service = app, window, service
        self.library, self.model, self.prompt, self.result = library, model, prompt, result
        self.started = time.perf_counter()

    def start(self) -> None:
        QTimer.singleShot(0, self._send)
        QTimer.singleShot(SELF_TEST_TIMEOUT_S * 1000, lambda: self._fail("timed out", 1))

    def _send(self) -> None:
        from desktop_llm.ui.main_window import MainWindow

        window = self.window
        assert isinstance(window, MainWindow)
        try:
            if self.model is not None:
                ref = self.library.resolve(self.model)
                record = ref.record or self.library.import_file(ref.path)
                window.refresh_models()
                window.select_model(record.id)
        except UserError as exc:
            self._fail(exc.message, 2)
            return
        if window.current_model_id() is None:
            self._fail("no model installed; pass --model PATH", 2)
            return
        self.service.replyFinished.connect(self._finished)
        self.service.errorOccurred.connect(lambda message: self._fail(message, 2))
        self.service.bugOccurred.connect(lambda details: self._fail(details, 1))
        window.new_conversation()
        window.composer.setPlainText(self.prompt)
        window.send_current()

    def _finished(self, reply: Message) -> None:
        from desktop_llm.ui.language import current_language

        if reply.status != "ok" or not reply.content.strip():
            self._fail(f"reply {reply.status}: {reply.error or 'empty reply'}", 1)
            return
        print(
            json.dumps(
                {
                    "ok": True,
                    "model": reply.model_name,
                    "text": reply.content,
                    "stats": reply.stats,
                    "wall_s": round(time.perf_counter() - self.started, 3),
                    # The window's language and a word it shows (the frozen app's
                    # smoke test starts it in Spanish: its .qm files were bundled).
                    "language": current_language(),
                    "send_button": self._send_label(),
                }
            ),
            flush=True,
        )
        self.result["code"] = 0
        self.app.quit()

    def _send_label(self) -> str:
        button = getattr(self.window, "send_button", None)
        return button.text() if isinstance(button, QAbstractButton) else ""

    def _fail(self, message: str, code: int) -> None:
        if self.result.get("done"):
            return
        self.result["done"] = 1
        print(f"desktop-llm: self-test failed: {message}", file=sys.stderr, flush=True)
        self.result["code"] = code
        self.app.quit()
