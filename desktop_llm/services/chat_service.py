"""ChatService: the GUI's way into conversations, models and the engine.

A QObject living on the GUI thread. Replies and model loads run on a background
thread (``threading.Thread``); their callbacks emit signals, which Qt queues to the
GUI thread. Streamed chunks are coalesced into at most one ``replyChunk`` per ~30 ms so
the view never has to keep up with the token rate.

Importing this module also installs :func:`fix_emit_refcount` (see there).
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

from desktop_llm.core.chat.conversation import ChatRunner, ChatSettings
from desktop_llm.core.engine.interface import new_request_id
from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.engine.templates import BUILTIN_TEMPLATES
from desktop_llm.core.models.library import ModelLibrary
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
    # Internal: the background thread hands its outcome to the GUI thread through this
    # (queued) signal, so busy/replying change there, before replyFinished is seen.
    _jobDone = Signal(object)

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
        self._replying_in: int | None = None
        # The reply being written (its load included): what stop() cancels, once.
        self._request_id: int | None = None
        self._jobDone.connect(self._job_done)

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

    def delete_conversation(self, conversation_id: int) -> bool:
        if self._busy and conversation_id == self._replying_in:
            self.errorOccurred.emit("stop the reply before deleting this chat")
            return False
        if self._guard(lambda: self._chats.delete_conversation(conversation_id)):
            self.conversationsChanged.emit()
            return True
        return False

    def messages(self, conversation_id: int) -> list[Message]:
        return self._chats.active_path(conversation_id)

    def message_ids(self, conversation_id: int) -> list[int]:
        return self._chats.active_path_ids(conversation_id)

    def messages_by_id(self, ids: list[int]) -> list[Message]:
        return self._chats.messages_by_id(ids)

    def sibling_ids(self, message_ids: list[int]) -> dict[int, list[int]]:
        return self._chats.sibling_ids(message_ids)

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

    @property
    def replying_in(self) -> int | None:
        """The conversation a reply is being written in, if any."""
        return self._replying_in if self._busy else None

    def send(self, conversation_id: int, text: str, model_id: int | None) -> bool:
        """Start a reply to ``text``; returns False (with errorOccurred) if it can't start."""
        if not text.strip():
            return False
        return self._start(
            conversation_id,
            model_id,
            lambda ref, chunk, progress, started, request_id: self._runner.send(
                conversation_id, text, ref, chunk, progress, started, request_id=request_id
            ),
        )

    def regenerate(self, conversation_id: int, model_id: int | None) -> bool:
        return self._start(
            conversation_id,
            model_id,
            lambda ref, chunk, progress, started, request_id: self._runner.regenerate(
                conversation_id, ref, chunk, progress, started, request_id=request_id
            ),
        )

    def stop(self) -> None:
        """Stop the reply being written, or the load before it. One cancel is enough:
        it names the reply's request, so it holds even before generation starts."""
        if self._request_id is not None:
            self._engine.cancel(self._request_id)

    def wait(self, timeout_s: float = 30.0) -> None:
        """Block until the background reply ends (for shutdown and tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def shutdown(self) -> None:
        self.stop()
        self.wait(10.0)
        self._engine.unload()

    def _start(
        self, conversation_id: int, model_id: int | None, job: Callable[..., Message]
    ) -> bool:
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
        self._request_id = request_id = new_request_id()
        self._replying_in = conversation_id
        self._set_busy(True)
        self._thread = threading.Thread(
            target=self._run, args=(job, refs[0], request_id), name="chat-reply", daemon=True
        )
        self._thread.start()
        return True

    def _run(self, job: Callable[..., Message], ref: Any, request_id: int) -> None:
        """The background thread: load if needed, generate, store. Never raises."""
        coalescer = _Coalescer(self.replyChunk.emit)

        def started(user: Message, reply: Message) -> None:
            coalescer.message_id = reply.id
            self.replyStarted.emit(user, reply)
            self.conversationsChanged.emit()

        reply: Message | None = None
        try:
            reply = job(ref, coalescer.add, self.loadProgress.emit, started, request_id)
        except UserError as exc:
            self.errorOccurred.emit(exc.message)
        except Exception:
            logger.exception("reply failed")
            self.bugOccurred.emit(traceback.format_exc())
        finally:
            coalescer.flush()
            if reply is None and coalescer.message_id is not None:
                reply = self._stored(coalescer.message_id)
            self._jobDone.emit(reply)

    def _stored(self, message_id: int) -> Message | None:
        """The reply as stored after a failure (None if its chat was deleted meanwhile)."""
        try:
            return self._chats.get_message(message_id)
        except Exception:
            logger.exception("could not read back reply %d", message_id)
            return None

    def _job_done(self, reply: Message | None) -> None:
        self._set_busy(False)
        if reply is not None:
            self.replyFinished.emit(reply)

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


class _Probe(QObject):
    ping = Signal()


def fix_emit_refcount() -> bool:
    """Work around PySide6 6.12's ``SignalInstance.emit``, which returns ``True`` without
    taking a reference to it: every ``emit()`` from Python drops one reference to
    ``True``, and after a few hundred (one streamed reply) Python 3.11 aborts with
    "Fatal Python error: bool_dealloc". The wrapper gives the reference back. Installed
    only when the bug shows (checked once); returns whether it was installed."""
    original = SignalInstance.emit
    if getattr(original, "_refcount_fixed", False):
        return True
    probe = _Probe()
    emits = 64
    before = sys.getrefcount(True)
    for _ in range(emits):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    if lost < emits // 2:
        return False
    for _ in range(lost):  # give back what the probe took
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))

    def emit(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        if isinstance(result, bool):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
        return result

    emit._refcount_fixed = True  # type: ignore[attr-defined]
    SignalInstance.emit = emit  # type: ignore[method-assign]
    logger.info("PySide6 emit() refcount workaround installed")
    return True


fix_emit_refcount()
