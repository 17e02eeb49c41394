"""ChatService: the GUI's way into conversations, replies and the engine.

A QObject living on the GUI thread. Replies and model loads run in the background
(services/background.py); streamed chunks are coalesced into at most one
``replyChunk`` per ~30 ms (services/streaming.py), and the service keeps the text of
the reply being written, for a window that comes back to that chat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from desktop_llm.core.chat.conversation import CONTEXT_AFTER_KEY, ChatRunner, ChatSettings
from desktop_llm.core.chat.long_chat import ContextBudget, budget_for
from desktop_llm.core.engine.interface import new_request_id
from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.hardware.planner import GpuLayers
from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.core.models.options import ModelOptions
from desktop_llm.core.remote.models import resolve_model
from desktop_llm.core.remote.store import RemoteStore
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.errors import UserError
from desktop_llm.services.background import Background
from desktop_llm.services.chat_presets import PresetActions
from desktop_llm.services.error_text import error_text
from desktop_llm.services.streaming import ChunkCoalescer
from desktop_llm.storage import ChatRepository, Conversation, Message, PresetRepository

translate = QCoreApplication.translate

logger = logging.getLogger(__name__)


class ChatService(PresetActions, QObject):
    """Conversations and replies for the window (the models are LibraryService's).

    Signals:
        conversationsChanged(): the list of conversations changed (new, renamed, deleted,
            or one moved to the top).
        loadProgress(float): model load progress, 0..1.
        busyChanged(bool): a reply is being generated (or a model loaded).
        replyStarted(object, object): the stored user message and the reply placeholder.
        replyChunk(int, str): message id and newly generated text (the text so far is
            :meth:`streaming`).
        replyReasoning(int, str): message id and new thinking of a reasoning model (the
            thinking so far is :meth:`streaming_reasoning`).
        replyRate(int, int, float): message id, tokens written so far and tokens per second
            since the first one (for "Writing… 42 tok/s"); with the chunks.
        promptProgress(int, int): tokens of a long prompt read so far, and of all of it
            ("Reading your message… 1,200 / 3,545 tokens").
        replyFinished(object): the final stored reply (status ok, cancelled, interrupted).
        presetsChanged(): a preset was saved, changed or deleted.
        contextEstimated(int, object): a chat's id and its ContextBudget (what its next
            message would send), estimated in the background.
        summaryReady(int, str): the id of a new chat started from a summary, and the
            message the user was about to send.
        errorOccurred(str): a message the user can act on.
        bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    conversationsChanged = Signal()
    loadProgress = Signal(float)
    busyChanged = Signal(bool)
    replyStarted = Signal(object, object)
    replyChunk = Signal(int, str)
    replyReasoning = Signal(int, str)
    replyRate = Signal(int, int, float)
    promptProgress = Signal(int, int)
    replyFinished = Signal(object)
    presetsChanged = Signal()
    summaryReady = Signal(int, str)
    contextEstimated = Signal(int, object)
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
        presets: PresetRepository | None = None,
        remotes: RemoteStore | None = None,
    ) -> None:
        super().__init__(parent)
        # NAME::MODEL_ID models (the engine must then be a LocalOrRemoteEngine).
        self._remotes = remotes
        self._chats = chats
        self._presets = presets
        self._library = library
        self._engine = engine
        self._runner = ChatRunner(chats, library, engine)
        self.settings = settings
        self._settings_path = settings_path
        self._background = Background(self.errorOccurred.emit, self.bugOccurred.emit, self)
        # A long prompt's reading, from the engine's thread to the GUI thread.
        engine.set_prompt_progress(
            lambda done, total: self._background.post(lambda: self.promptProgress.emit(done, total))
        )
        self._busy = False
        self._closed = False  # shutdown() ran: nothing new starts
        self._replying_in: int | None = None
        self._streaming: tuple[int, str] | None = None
        self._written = (0, 0.0)  # tokens of the reply being written, when the first came
        self._thinking = ""
        # The reply being written (its load included): what stop() cancels, once.
        self._request_id: int | None = None

    # -- settings -----------------------------------------------------------------
    def remember(self, **changes: Any) -> None:
        settings = self.settings.with_(**changes)
        if settings == self.settings and self._settings_path.exists():
            return  # nothing new (the window reopening the last chat): no write, no fsync
        self.settings = settings
        try:
            save_settings(self._settings_path, self.settings)
        except OSError as exc:
            self.errorOccurred.emit(
                translate("ChatService", "could not save settings: {reason}").format(
                    reason=exc.strerror or exc
                )
            )

    # -- conversations ------------------------------------------------------------
    def conversations(self) -> list[Conversation]:
        return self._chats.list_conversations()

    def conversation(self, conversation_id: int) -> Conversation:
        return self._chats.get_conversation(conversation_id)

    def default_settings(self) -> ChatSettings:
        """What a new chat starts from: the app's defaults, or those the user chose with
        "Use for new chats"."""
        return ChatSettings.from_dict(self.settings.default_chat)

    def set_engine_defaults(
        self, *, threads: int | None, gpu_layers: GpuLayers, n_ctx: int
    ) -> bool:
        """Settings > Performance: threads (None: auto), GPU layers and the context
        length of new chats, for every model without values of its own; from the next
        load, and kept."""

        def apply() -> None:
            options = ModelOptions(threads=threads, gpu_layers=gpu_layers).validate()
            chat = replace(self.default_settings(), n_ctx=n_ctx).validate()
            self._engine.defaults = options
            self.remember(threads=threads, gpu_layers=gpu_layers, default_chat=chat.to_dict())

        return self._guard(apply)

    def use_as_defaults(self, settings: ChatSettings) -> None:
        """New chats start from ``settings`` from now on ("Use for new chats")."""
        if self._guard(settings.validate):
            self.remember(default_chat=settings.to_dict())

    def new_conversation(self, model_id: int | None = None) -> Conversation:
        defaults = self.default_settings().to_dict()
        conversation = self._chats.create_conversation(model_id=model_id, settings=defaults)
        self.conversationsChanged.emit()
        return conversation

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        if self._guard(lambda: self._chats.rename_conversation(conversation_id, title)):
            self.conversationsChanged.emit()

    def delete_conversation(self, conversation_id: int) -> bool:
        if self._busy and conversation_id == self._replying_in:
            self.errorOccurred.emit(
                translate("ChatService", "stop the reply before deleting this chat")
            )
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

    def message(self, message_id: int) -> Message:
        return self._chats.get_message(message_id)

    def continue_from(self, message_id: int) -> bool:
        """Show the branch up to this message only: the next message sent starts a new
        branch there (the messages after it stay, on their own branch)."""
        if self._busy:
            self.errorOccurred.emit(
                translate("ChatService", "a reply is still being written; stop it first")
            )
            return False
        return self._guard(
            lambda: self._chats.set_leaf(
                self._chats.get_message(message_id).conversation_id, message_id
            )
        )

    def delete_branch(self, message_id: int) -> bool:
        """Delete this message and everything under it (the window asks first)."""
        if self._busy:
            self.errorOccurred.emit(
                translate("ChatService", "stop the reply before deleting messages")
            )
            return False
        if self._guard(lambda: self._chats.delete_branch(message_id)):
            self.conversationsChanged.emit()
            return True
        return False

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
                # Keys ChatSettings doesn't hold (the long-chat start point) stay.
                stored = self._chats.get_conversation(conversation_id).settings
                self._chats.update_conversation(
                    conversation_id, settings={**stored, **settings.to_dict()}
                )
                # Not the defaults of new chats: those change only when asked
                # (use_as_defaults), so a new chat never starts from the last one's
                # temperature without the user knowing (issue 16).
            if system_prompt is not None:
                self._chats.update_conversation(conversation_id, system_prompt=system_prompt)
            if model_id is not None:
                self._chats.update_conversation(conversation_id, model_id=model_id)

        return self._guard(apply)

    # -- long chats ---------------------------------------------------------------
    def context_budget(self, conversation_id: int) -> ContextBudget:
        """What the chat's next message would send the model (estimated tokens)."""
        conversation = self._chats.get_conversation(conversation_id)
        settings = ChatSettings.from_dict(conversation.settings)
        return budget_for(self._chats, conversation, settings.n_ctx, settings.max_tokens)

    def estimate_context(self, conversation_id: int) -> None:
        """contextEstimated(conversation_id, budget) once the chat's budget is read (in
        the background: a 10,000-message branch takes a tenth of a second)."""
        if self._closed:
            return
        self._background.run(
            lambda: self.context_budget(conversation_id),
            lambda budget: self.contextEstimated.emit(conversation_id, budget),
            name="context-estimate",
            latest_only=True,
        )

    def drop_oldest(
        self, conversation_id: int, new_text: str, *, before: int | None = None
    ) -> bool:
        """Leave out the oldest turns so that the chat and ``new_text`` fit the context
        (the system prompt stays); errorOccurred if even the new message can't fit.
        ``before``: the branch is cut there (an edited message, a reply written again)."""
        budget = self.context_budget(conversation_id).before(before)
        index = budget.drop_to_fit(len(new_text))
        if index is None:
            self.errorOccurred.emit(
                translate(
                    "ChatService",
                    "this message is too long for the context length even alone; shorten it "
                    "or raise the context length",
                )
            )
            return False
        after = budget.branch[index - 1].id if index > 0 else None
        conversation = self._chats.get_conversation(conversation_id)
        settings = {**conversation.settings, CONTEXT_AFTER_KEY: after}
        return self._guard(
            lambda: self._chats.update_conversation(conversation_id, settings=settings)
        )

    def summarize(self, conversation_id: int, model_id: int | None, pending: str = "") -> bool:
        """Start a new chat from a summary the model writes of this one (in the
        background); summaryReady(new id, ``pending``) when it is there."""
        if self._busy:
            self.errorOccurred.emit(
                translate("ChatService", "a reply is still being written; stop it first")
            )
            return False
        if model_id is None:
            self.errorOccurred.emit(translate("ChatService", "choose a model first"))
            return False
        refs: list[Any] = []
        if not self._guard(lambda: refs.append(self._library.ref_for(self._library.get(model_id)))):
            return False
        self._request_id = request_id = new_request_id()
        self._set_busy(True)
        made: list[Conversation] = []

        def finish() -> None:
            self._set_busy(False)
            if made:
                self.conversationsChanged.emit()
                self.summaryReady.emit(made[0].id, pending)

        self._background.run(
            lambda: self._runner.summarize(
                conversation_id, refs[0], self.loadProgress.emit, request_id=request_id
            ),
            made.append,
            on_end=finish,
            name="chat-summary",
        )
        return True

    # -- the engine ---------------------------------------------------------------
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

    def prestart_engine(self) -> None:
        """Start the engine's worker process ahead of the first message (it imports
        llama.cpp meanwhile). Any thread; nothing if a model is loaded already."""
        self._engine.prestart()

    def send(self, conversation_id: int, text: str, model_id: int | str | None) -> bool:
        """Start a reply to ``text``; returns False (with errorOccurred) if it can't start."""
        if not text.strip():
            return False
        return self._start(
            conversation_id,
            model_id,
            lambda ref, chunk, progress, started, request_id, thinking: self._runner.send(
                conversation_id,
                text,
                ref,
                chunk,
                progress,
                started,
                request_id=request_id,
                on_reasoning=thinking,
            ),
        )

    def regenerate(self, conversation_id: int, model_id: int | str | None) -> bool:
        return self._start(
            conversation_id,
            model_id,
            lambda ref, chunk, progress, started, request_id, thinking: self._runner.regenerate(
                conversation_id,
                ref,
                chunk,
                progress,
                started,
                request_id=request_id,
                on_reasoning=thinking,
            ),
        )

    def edit(self, message_id: int, text: str, model_id: int | str | None) -> bool:
        """Send ``text`` in place of an earlier user message: a new branch from there,
        answered by the model (the old branch stays, a ‹ n / m › switch away)."""
        if not text.strip():
            self.errorOccurred.emit(translate("ChatService", "the message is empty"))
            return False
        messages: list[Message] = []
        if not self._guard(lambda: messages.append(self._chats.get_message(message_id))):
            return False
        return self._start(
            messages[0].conversation_id,
            model_id,
            lambda ref, chunk, progress, started, request_id, thinking: self._runner.edit(
                message_id,
                text,
                ref,
                chunk,
                progress,
                started,
                request_id=request_id,
                on_reasoning=thinking,
            ),
        )

    def stop(self) -> None:
        """Stop the reply being written, or the load before it. One cancel is enough:
        it names the reply's request, so it holds even before generation starts."""
        if self._request_id is not None:
            self._engine.cancel(self._request_id)

    def streaming(self) -> tuple[int, str] | None:
        """The reply being written: its message id and its text so far (the stored
        copy lags: it is saved about once a second)."""
        return self._streaming

    def streaming_reasoning(self) -> str:
        """The thinking so far of the reply being written ("" if none)."""
        return self._thinking if self._streaming is not None else ""

    def wait(self, timeout_s: float = 30.0) -> None:
        """Block until the background reply ends (for shutdown and tests)."""
        self._background.wait(timeout_s)

    def shutdown(self) -> None:
        # No new background reads from here on: the database closes after this, and a
        # query running on another thread while SQLite closes its connection crashes.
        self._closed = True
        self.stop()
        self.wait(10.0)
        self._engine.unload()

    def _start(
        self, conversation_id: int, model_id: int | str | None, job: Callable[..., Message]
    ) -> bool:
        """``model_id``: a library model's id, or ``NAME::MODEL_ID`` on a remote server."""
        if self._busy:
            self.errorOccurred.emit(
                translate("ChatService", "a reply is still being written; stop it first")
            )
            return False
        if model_id is None:
            self.errorOccurred.emit(
                translate("ChatService", "choose a model first (File > Import model... adds one)")
            )
            return False
        refs: list[Any] = []
        if isinstance(model_id, str):
            remotes = self._remotes
            if remotes is None or not self._guard(
                lambda: refs.append(resolve_model(model_id, self._library, remotes))
            ):
                return False
        else:
            if not self._guard(
                lambda: refs.append(self._library.ref_for(self._library.get(model_id)))
            ):
                return False
            self.remember(last_model_id=model_id)
        self._request_id = request_id = new_request_id()
        self._replying_in = conversation_id
        self._set_busy(True)
        done: list[Message] = []  # empty after a failure (already reported)
        self._background.run(
            lambda: self._write(job, refs[0], request_id),
            done.append,
            on_end=lambda: self._finish(done[0] if done else None),
            name="chat-reply",
        )
        return True

    def _write(self, job: Callable[..., Message], ref: Any, request_id: int) -> Message:
        """On the background thread: load if needed, generate, store."""

        def text_came(mid: int, text: str, pieces: int) -> None:
            at = time.monotonic()  # when it came, not when the GUI thread gets to it
            self._background.post(lambda: self._add_text(mid, text, pieces, at))

        coalescer = ChunkCoalescer(text_came)
        thinking = ChunkCoalescer(
            lambda mid, text, _pieces: self._background.post(lambda: self._add_thinking(mid, text))
        )

        def started(user: Message, reply: Message) -> None:
            coalescer.key = thinking.key = reply.id
            self._background.post(lambda: self._started(user, reply))

        try:
            return job(
                ref, coalescer.add, self.loadProgress.emit, started, request_id, thinking.add
            )
        finally:
            thinking.flush()
            coalescer.flush()

    def _started(self, user: Message, reply: Message) -> None:
        self._streaming = (reply.id, "")
        self._written = (0, 0.0)
        self._thinking = ""
        self.replyStarted.emit(user, reply)
        self.conversationsChanged.emit()

    def _add_text(self, message_id: int, text: str, pieces: int = 0, at: float = 0.0) -> None:
        if self._streaming is not None and self._streaming[0] == message_id:
            self._streaming = (message_id, self._streaming[1] + text)
        self.replyChunk.emit(message_id, text)
        if pieces:
            # The engine hands over about one chunk per token; the first chunk starts the
            # clock, so the rate is the writing speed, not the time to read the prompt.
            count, first = self._written
            first = first or at
            count += pieces
            self._written = (count, first)
            elapsed = at - first
            self.replyRate.emit(message_id, count, (count - 1) / elapsed if elapsed > 0 else 0.0)

    def _add_thinking(self, message_id: int, text: str) -> None:
        if self._streaming is not None and self._streaming[0] == message_id:
            self._thinking += text
        self.replyReasoning.emit(message_id, text)

    def _stored(self, message_id: int) -> Message | None:
        """The reply as stored after a failure (None if its chat was deleted meanwhile)."""
        try:
            return self._chats.get_message(message_id)
        except Exception:
            logger.exception("could not read back reply %d", message_id)
            return None

    def _finish(self, reply: Message | None) -> None:
        """The reply ended (``None``: it failed; read back what was stored). Busy goes
        off before replyFinished is seen: a window may send again from its slot."""
        streaming, self._streaming = self._streaming, None
        if reply is None and streaming is not None:
            reply = self._stored(streaming[0])
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
                self.errorOccurred.emit(error_text(exc))
            return False
        return True
