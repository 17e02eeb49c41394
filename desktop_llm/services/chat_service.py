"""ChatService: the GUI's way into conversations, models and the engine.

A QObject living on the GUI thread. Replies and model loads run on a background
thread (``threading.Thread``); their callbacks emit signals, which Qt queues to the
GUI thread. Streamed chunks are coalesced into at most one ``replyChunk`` per ~30 ms so
the view never has to keep up with the token rate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_llm.core.chat import ChatRunner, ChatSettings, EngineSession
from desktop_llm.core.engine.templates import BUILTIN_TEMPLATES
from desktop_llm.core.library import ModelLibrary
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.errors import UserError
from desktop_llm.storage import ChatRepository, Conversation, Message, ModelRecord

logger = logging.getLogger(__name__)

COALESCE_S = 0.03


class ChatService(QObject):
    """Conversations, models and replies for the window.

    Signals:
        conversationsChanged(): the list of conversations changed (new, renamed, deleted,
            or one moved to the top).
        modelsChanged(): a model was imported or removed.
        loadProgress(float): model load progress, 0..1.
        busyChanged(bool): a reply is being generated (or a model loaded).
        replyStarted(object, object): the stored user message and the reply placeholder.
        replyChunk(int, str): message id and newly generated text.
        replyFinished(object): the final stored reply (status ok, cancelled, interrupted).
        errorOccurred(str): a message the user can act on.
        bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    conversationsChanged = Signal()
    modelsChanged = Signal()
    loadProgress = Signal(float)
    busyChanged = Signal(bool)
    replyStarted = Signal(object, object)
    replyChunk = Signal(int, str)
    replyFinished = Signal(object)
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(
        self,
        chats: ChatRepository,
        library: ModelLibrary,
        engine: EngineSession,
        settings: Settings,
        settings_path: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._chats = chats
        self._library = library
        self._engine = engine
        self._runner = ChatRunner(chats, library, engine)
        self.settings = settings
        self._settings_path = settings_path
        self._thread: threading.Thread | None = None
        self._busy = False

    # -- settings -----------------------------------------------------------------
    def remember(self, **changes: Any) -> None:
        self.settings = self.settings.with_(**changes)
        try:
            save_settings(self._settings_path, self.settings)
        except OSError as exc:
            self.errorOccurred.emit(f"could not save settings: {exc.strerror or exc}")

    # -- conversations ------------------------------------------------------------
    def conversations(self) -> list[Conversation]:
        return self._chats.list_conversations()

    def conversation(self, conversation_id: int) -> Conversation:
        return self._chats.get_conversation(conversation_id)

    def new_conversation(self, model_id: int | None = None) -> Conversation:
        defaults = ChatSettings.from_dict(self.settings.default_chat).to_dict()
        conversation = self._chats.create_conversation(model_id=model_id, settings=defaults)
        self.conversationsChanged.emit()
        return conversation

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        if self._guard(lambda: self._chats.rename_conversation(conversation_id, title)):
            self.conversationsChanged.emit()

    def delete_conversation(self, conversation_id: int) -> None:
        self._chats.delete_conversation(conversation_id)
        self.conversationsChanged.emit()

    def messages(self, conversation_id: int) -> list[Message]:
        return self._chats.active_path(conversation_id)

    def siblings(self, message_id: int) -> list[Message]:
        return self._chats.siblings(message_id)

    def select_branch(self, message_id: int) -> None:
        self._chats.select_branch(message_id)

    def update_conversation(
        self,
        conversation_id: int,
        *,
        system_prompt: str | None = None,
        settings: ChatSettings | None = None,
        model_id: int | None = None,
    ) -> bool:
        def apply() -> None:
            if settings is not None:
                settings.validate()
                self._chats.update_conversation(conversation_id, settings=settings.to_dict())
                self.remember(default_chat=settings.to_dict())
            if system_prompt is not None:
                self._chats.update_conversation(conversation_id, system_prompt=system_prompt)
            if model_id is not None:
                self._chats.update_conversation(conversation_id, model_id=model_id)

        return self._guard(apply)

    # -- models -------------------------------------------------------------------
    def models(self) -> list[ModelRecord]:
        return self._library.list()

    def import_model(self, path: Path) -> ModelRecord | None:
        result: list[ModelRecord] = []
        if self._guard(lambda: result.append(self._library.import_file(path))):
            self.modelsChanged.emit()
            return result[0]
        return None

    def template_names(self) -> tuple[str, ...]:
        return BUILTIN_TEMPLATES

    def template_description(self, model_id: int) -> str:
        out: list[str] = []
        self._guard(
            lambda: out.append(
                self._library.ref_for(self._library.get(model_id)).template().describe()
            ),
            quiet=True,
        )
        return out[0] if out else ""

    def set_template_override(self, model_id: int, template: str | None) -> None:
        if self._guard(lambda: self._library.set_template_override(model_id, template)):
            self.modelsChanged.emit()

    def loaded_model_name(self) -> str | None:
        model = self._engine.model
        return model.name if model is not None and self._engine.host.loaded else None

    # -- replies ------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._busy

    def send(self, conversation_id: int, text: str, model_id: int | None) -> bool:
        """Start a reply to ``text``; returns False (with errorOccurred) if it can't start."""
        if not text.strip():
            return False
        return self._start(
            model_id,
            lambda ref, chunk, progress, started: self._runner.send(
                conversation_id, text, ref, chunk, progress, started
            ),
        )

    def regenerate(self, conversation_id: int, model_id: int | None) -> bool:
        return self._start(
            model_id,
            lambda ref, chunk, progress, started: self._runner.regenerate(
                conversation_id, ref, chunk, progress, started
            ),
        )

    def stop(self) -> None:
        self._engine.cancel()

    def wait(self, timeout_s: float = 30.0) -> None:
        """Block until the background reply ends (for shutdown and tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def shutdown(self) -> None:
        self.stop()
        self.wait(10.0)
        self._engine.unload()

    def _start(self, model_id: int | None, job: Callable[..., Message]) -> bool:
        if self._busy:
            self.errorOccurred.emit("a reply is still being written; stop it first")
            return False
        if model_id is None:
            self.errorOccurred.emit("choose a model first (File > Import model... adds one)")
            return False
        refs: list[Any] = []
        if not self._guard(lambda: refs.append(self._library.ref_for(self._library.get(model_id)))):
            return False
        self.remember(last_model_id=model_id)
        self._set_busy(True)
        self._thread = threading.Thread(
            target=self._run, args=(job, refs[0]), name="chat-reply", daemon=True
        )
        self._thread.start()
        return True

    def _run(self, job: Callable[..., Message], ref: Any) -> None:
        coalescer = _Coalescer(self.replyChunk.emit)

        def started(user: Message, reply: Message) -> None:
            coalescer.message_id = reply.id
            self.replyStarted.emit(user, reply)
            self.conversationsChanged.emit()

        try:
            reply = job(ref, coalescer.add, self.loadProgress.emit, started)
            coalescer.flush()
            self.replyFinished.emit(reply)
        except UserError as exc:
            coalescer.flush()
            self.errorOccurred.emit(exc.message)
            if coalescer.message_id is not None:
                self.replyFinished.emit(self._chats.get_message(coalescer.message_id))
        except Exception:
            logger.exception("reply failed")
            import traceback

            self.bugOccurred.emit(traceback.format_exc())
            if coalescer.message_id is not None:
                self.replyFinished.emit(self._chats.get_message(coalescer.message_id))
        finally:
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busyChanged.emit(busy)

    def _guard(self, action: Callable[[], object], quiet: bool = False) -> bool:
        try:
            action()
        except UserError as exc:
            if not quiet:
                self.errorOccurred.emit(exc.message)
            return False
        return True


class _Coalescer:
    """Joins chunks and hands them on at most every COALESCE_S seconds."""

    def __init__(self, emit: Callable[[int, str], None]) -> None:
        self._emit = emit
        self._parts: list[str] = []
        self._last = 0.0
        self.message_id: int | None = None

    def add(self, piece: str) -> None:
        self._parts.append(piece)
        now = time.monotonic()
        if now - self._last >= COALESCE_S:
            self._last = now
            self.flush()

    def flush(self) -> None:
        if self._parts and self.message_id is not None:
            text, self._parts = "".join(self._parts), []
            self._emit(self.message_id, text)
