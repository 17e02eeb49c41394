"""Conversations with a model: settings, the prompt from the message tree, and one reply.

Shared by the CLI (``chat --save``) and the GUI's services. Every message is written
to SQLite as it happens: the user's message before the model starts, the reply as a
"streaming" row that is saved every second while it grows, then finalized with its
stats. A crash of the worker leaves the partial reply marked "interrupted"; a crash
of the app leaves it "streaming", which the next start marks "interrupted".
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from desktop_llm.core.chat.long_chat import budget_for, summary_request, summary_system_prompt
from desktop_llm.core.chat.reasoning import (
    ReasoningSplitter,
    Split,
    declared_tags,
    prefills_open_tag,
    reasoning_stats,
)
from desktop_llm.core.defaults import DEFAULT_CTX
from desktop_llm.core.engine.interface import (
    ChatResult,
    EngineCrashed,
    LoadCancelled,
    new_request_id,
)
from desktop_llm.core.engine.protocol import SamplingParams
from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.engine.templates import TemplateChoice, render_prompt
from desktop_llm.core.models.library import ModelLibrary, ModelRef
from desktop_llm.errors import UserError
from desktop_llm.storage import ChatRepository, Conversation, Message

logger = logging.getLogger(__name__)

CHAT_STAT_KEYS = (
    "prompt_tokens",
    "completion_tokens",
    "ttft_s",
    "prompt_tps",
    "gen_tps",
    "finish_reason",
    "cached_tokens",
    "drafted_tokens",
    "accepted_tokens",
)
"""The keys of a reply's stats in ``desktop-llm chat --json`` (and a compare pane's)."""

_SAVE_EVERY_S = 1.0
_TITLE_CHARS = 48


_ENGINE = SamplingParams()


@dataclass(frozen=True)
class ChatSettings:
    """A conversation's sampling settings and context length (kept per conversation)."""

    # The engine's request defaults, written once (SamplingParams).
    temperature: float = _ENGINE.temperature
    top_p: float = _ENGINE.top_p
    top_k: int = _ENGINE.top_k
    repeat_penalty: float = _ENGINE.repeat_penalty
    max_tokens: int = _ENGINE.max_tokens
    seed: int = -1  # -1: a new random seed for every reply
    n_ctx: int = DEFAULT_CTX
    ignore_eos: bool = False  # for benchmarks and stress tests: replies run to max tokens

    def sampling(self) -> SamplingParams:
        return SamplingParams(
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            repeat_penalty=self.repeat_penalty,
            max_tokens=self.max_tokens,
            seed=None if self.seed < 0 else self.seed,
            ignore_eos=self.ignore_eos,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ChatSettings:
        if not data:
            return cls()
        kinds = {f.name: type(getattr(cls(), f.name)) for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, kind in kinds.items():
            if key in data:
                try:
                    values[key] = kind(data[key])
                except (TypeError, ValueError):
                    logger.warning("ignoring bad setting %s=%r", key, data[key])
        return cls(**values)

    def validate(self) -> ChatSettings:
        problems: list[UserError] = []
        if not 0.0 <= self.temperature <= 5.0:
            problems.append(UserError.of("temperature must be between 0 and 5"))
        if not 0.0 < self.top_p <= 1.0:
            problems.append(UserError.of("top-p must be above 0 and at most 1"))
        if self.top_k < 0:
            problems.append(UserError.of("top-k must be 0 or more"))
        if not 0.5 <= self.repeat_penalty <= 3.0:
            problems.append(UserError.of("repeat penalty must be between 0.5 and 3"))
        if self.max_tokens < 1:
            problems.append(UserError.of("max tokens must be at least 1"))
        if self.n_ctx < 64:
            problems.append(UserError.of("context length must be at least 64"))
        if len(problems) == 1:
            raise problems[0]
        if problems:  # several: each part is one of the phrases above (the window's own)
            raise UserError("; ".join(p.message for p in problems))
        return self


CONTEXT_AFTER_KEY = "context_after_id"
"""The conversation setting naming the last message left out of what the model is sent,
after the user chose to drop the oldest turns of a chat too long for its context
(core/chat/long_chat.py)."""


def build_messages(
    system_prompt: str, path: Sequence[Message], after_id: int | None = None
) -> list[dict[str, str]]:
    """The conversation as the template wants it: optional system, then the turns.

    ``after_id``: this message and those before it are left out (the system prompt never
    is). A reply's thinking (``Message.reasoning``) is never sent back."""
    messages: list[dict[str, str]] = []
    if system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt})
    ids = [m.id for m in path]
    if after_id is not None and after_id in ids:
        path = path[ids.index(after_id) + 1 :]
    for message in path:
        if message.role == "system":
            continue
        if message.role == "assistant" and not message.content and message.status != "ok":
            continue  # a failed empty reply isn't part of the conversation
        messages.append({"role": message.role, "content": message.content})
    return messages


def title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _TITLE_CHARS else line[: _TITLE_CHARS - 1].rstrip() + "…"


class ChatRunner:
    """Runs replies in stored conversations. Blocking: call from a background thread.

    The model is loaded by ``engine`` (an :class:`EngineSession`) and the reply comes
    from its :class:`~desktop_llm.core.engine.interface.Engine`. ``request_id`` (from
    :func:`~desktop_llm.core.engine.interface.new_request_id`) names the job, load and
    reply, so that ``engine.cancel(request_id)`` stops it whenever it arrives."""

    def __init__(self, chats: ChatRepository, library: ModelLibrary, engine: EngineSession) -> None:
        self.chats = chats
        self.library = library
        self.engine = engine

    def send(
        self,
        conversation_id: int,
        text: str,
        ref: ModelRef,
        on_chunk: Callable[[str], None] | None = None,
        on_progress: Callable[[float], None] | None = None,
        on_started: Callable[[Message, Message], None] | None = None,
        *,
        request_id: int | None = None,
        on_reasoning: Callable[[str], None] | None = None,
    ) -> Message:
        """Store the user's message, then generate and store the reply to it.

        ``on_chunk`` gets the answer as it streams, ``on_reasoning`` a reasoning model's
        thinking (core/chat/reasoning.py)."""
        if not text.strip():
            raise UserError.of("the message is empty")
        conversation = self.chats.get_conversation(conversation_id)
        path = self.chats.active_path(conversation_id)
        parent = path[-1].id if path else None
        user = self.chats.add_message(conversation_id, parent, "user", text)
        if not path and conversation.title in ("", "New chat"):
            self.chats.rename_conversation(conversation_id, title_from(text))
        return self._reply(
            conversation_id, user, ref, on_chunk, on_progress, on_started, request_id, on_reasoning
        )

    def regenerate(
        self,
        conversation_id: int,
        ref: ModelRef,
        on_chunk: Callable[[str], None] | None = None,
        on_progress: Callable[[float], None] | None = None,
        on_started: Callable[[Message, Message], None] | None = None,
        *,
        request_id: int | None = None,
        on_reasoning: Callable[[str], None] | None = None,
    ) -> Message:
        """A new reply to the last user message, kept as a sibling branch of the old one."""
        path = self.chats.active_path(conversation_id)
        users = [m for m in path if m.role == "user"]
        if not users:
            raise UserError.of("nothing to regenerate yet: send a message first")
        user = users[-1]
        return self._reply(
            conversation_id, user, ref, on_chunk, on_progress, on_started, request_id, on_reasoning
        )

    def edit(
        self,
        message_id: int,
        text: str,
        ref: ModelRef,
        on_chunk: Callable[[str], None] | None = None,
        on_progress: Callable[[float], None] | None = None,
        on_started: Callable[[Message, Message], None] | None = None,
        *,
        request_id: int | None = None,
        on_reasoning: Callable[[str], None] | None = None,
    ) -> Message:
        """Edit an earlier user message: the new text is a sibling of the old one (a new
        branch from that point, the old branch kept) and the model answers it."""
        if not text.strip():
            raise UserError.of("the message is empty")
        original = self.chats.get_message(message_id)
        if original.role != "user":
            raise UserError.of("only your own messages can be edited")
        user = self.chats.add_message(original.conversation_id, original.parent_id, "user", text)
        return self._reply(
            original.conversation_id,
            user,
            ref,
            on_chunk,
            on_progress,
            on_started,
            request_id,
            on_reasoning,
        )

    def summarize(
        self,
        conversation_id: int,
        ref: ModelRef,
        on_progress: Callable[[float], None] | None = None,
        *,
        request_id: int | None = None,
    ) -> Conversation:
        """Start a new chat from a summary of this one, written by the model: the old
        chat's system prompt, model and settings, with the summary added to the system
        prompt. The old chat is left as it is."""
        conversation = self.chats.get_conversation(conversation_id)
        settings = ChatSettings.from_dict(conversation.settings).validate()
        path = self.chats.active_path(conversation_id)
        turns = [(m.role, m.content) for m in path if m.role != "system" and m.content.strip()]
        if not turns:
            raise UserError.of("there is nothing to summarize in this chat yet")
        self.engine.ensure(ref, settings.n_ctx, on_progress, request_id=request_id)
        reply_tokens = max(64, min(384, settings.n_ctx // 8))
        budget = budget_for(self.chats, conversation, settings.n_ctx, settings.max_tokens)
        request = summary_request(
            conversation.title,
            turns,
            settings.n_ctx - reply_tokens - 200,
            budget.chars_per_token,
        )
        sampling = dataclasses.replace(
            settings.sampling(), temperature=min(settings.temperature, 0.3), max_tokens=reply_tokens
        )
        template = ref.template()
        try:
            result = self.engine.host.chat(
                request, sampling, template, None, request_id=request_id or new_request_id()
            )
        except EngineCrashed as exc:
            raise UserError.of(
                "the model stopped while writing the summary ({reason}); the chat is unchanged",
                reason=exc.message,
            ) from exc
        if result.stats.finish_reason == "cancelled":
            raise UserError.of("the summary was stopped; the chat is unchanged")
        _thinking, summary = reasoning_splitter(self.engine, template).split_whole(result.text)
        if not summary.strip():
            raise UserError.of(
                "the model wrote an empty summary; try again, or leave out the oldest turns"
            )
        settings_left = {k: v for k, v in conversation.settings.items() if k != CONTEXT_AFTER_KEY}
        return self.chats.create_conversation(
            title_from(f"{conversation.title} (continued)"),
            model_id=conversation.model_id,
            system_prompt=summary_system_prompt(conversation.system_prompt, summary),
            settings=settings_left,
        )

    def _reply(
        self,
        conversation_id: int,
        user: Message,
        ref: ModelRef,
        on_chunk: Callable[[str], None] | None,
        on_progress: Callable[[float], None] | None,
        on_started: Callable[[Message, Message], None] | None,
        request_id: int | None,
        on_reasoning: Callable[[str], None] | None = None,
    ) -> Message:
        if request_id is None:
            request_id = new_request_id()
        conversation: Conversation = self.chats.get_conversation(conversation_id)
        settings = ChatSettings.from_dict(conversation.settings).validate()
        self.chats.set_leaf(conversation_id, user.id)
        history = build_messages(
            conversation.system_prompt,
            self.chats.active_path(conversation_id),
            conversation.settings.get(CONTEXT_AFTER_KEY),
        )
        template = ref.template()
        reply = self.chats.add_message(
            conversation_id,
            user.id,
            "assistant",
            "",
            status="streaming",
            model_name=ref.name,
            settings={**settings.to_dict(), "template": template.name},
        )
        if on_started is not None:
            on_started(user, reply)
        if ref.record is not None and conversation.model_id != ref.record.id:
            self.chats.update_conversation(conversation_id, model_id=ref.record.id)
        saver = _PartialSaver(self.chats, reply.id)
        splitter = ReasoningSplitter(declared_tags(template.jinja))
        try:
            self.engine.ensure(ref, settings.n_ctx, on_progress, request_id=request_id)
            if ref.record is not None:
                self.library.touch(ref.record)
            splitter = reasoning_splitter(self.engine, template)

            def chunk(piece: str) -> None:
                split = splitter.feed(piece)
                saver.add(split)
                if split.reasoning and on_reasoning is not None:
                    on_reasoning(split.reasoning)
                if split.answer and on_chunk is not None:
                    on_chunk(split.answer)

            result: ChatResult = self.engine.host.chat(
                history,
                settings.sampling(),
                template,
                chunk,
                request_id=request_id,
                # The worker keeps each chat's KV state (kv_cache_store.py); its prefix
                # check covers branches and edits, so one key per conversation does.
                cache_key=f"chat:{conversation_id}",
            )
            rest = splitter.finish()
            if rest.reasoning and on_reasoning is not None:
                on_reasoning(rest.reasoning)
            if rest.answer and on_chunk is not None:
                on_chunk(rest.answer)
        except EngineCrashed as exc:
            thinking, answer = splitter.split_whole(exc.partial_text)
            return self.chats.update_message(
                reply.id,
                content=answer,
                reasoning=thinking,
                status="interrupted",
                error=exc.message,
            )
        except LoadCancelled:
            # Stopped (cancel(request_id)) before the model finished loading: a reply
            # stopped before its first token, not an error.
            return self.chats.update_message(
                reply.id,
                content="",
                status="cancelled",
                stats={"finish_reason": "cancelled", "completion_tokens": 0},
            )
        except UserError as exc:
            self.chats.update_message(
                reply.id,
                content=saver.text,
                reasoning=saver.reasoning,
                status="error",
                error=exc.message,
            )
            raise
        except BaseException as exc:
            self.chats.update_message(
                reply.id,
                content=saver.text,
                reasoning=saver.reasoning,
                status="error",
                error=str(exc) or type(exc).__name__,
            )
            raise
        status = "cancelled" if result.stats.finish_reason == "cancelled" else "ok"
        thinking, answer = splitter.split_whole(result.text)
        stats = result.stats.to_dict()
        stats.update(
            reasoning_stats(
                thinking, answer, result.stats.completion_tokens or 0, splitter.reasoning_seconds
            )
        )
        return self.chats.update_message(
            reply.id, content=answer, reasoning=thinking, status=status, stats=stats
        )


def reasoning_splitter(engine: EngineSession, template: TemplateChoice) -> ReasoningSplitter:
    """The splitter for a reply of the loaded model with ``template``: the tags the template
    declares, and whether it opens the thinking section itself."""
    tags = declared_tags(template.jinja)
    return ReasoningSplitter(tags, starts_inside=_template_opens_thinking(engine, template, tags))


def _template_opens_thinking(
    engine: EngineSession, template: TemplateChoice, tags: tuple[tuple[str, str], ...]
) -> tuple[str, str] | None:
    """The tag pair whose section the template opens for the model (its prompt ends with
    ``<think>``, as DeepSeek R1's and Qwen3's do), found by rendering a one-line chat."""
    jinja = template.jinja or ""
    if not any(open_tag in jinja for open_tag, _close in tags):
        return None  # the common case: no rendering
    loaded = engine.host.loaded
    try:
        probe = render_prompt(
            template,
            [{"role": "user", "content": "Hello"}],
            bos_token=loaded.bos_token if loaded else "",
            eos_token=loaded.eos_token if loaded else "",
        )
    except (UserError, ValueError):
        return None  # the reply itself will report a template that fails
    return prefills_open_tag(probe.text, tags)


class _PartialSaver:
    """Writes the growing reply (answer and thinking) to the database about once a second."""

    def __init__(self, chats: ChatRepository, message_id: int) -> None:
        self._chats = chats
        self._id = message_id
        self._parts: list[str] = []
        self._thinking: list[str] = []
        self._last = time.monotonic()
        self._lock = threading.Lock()

    @property
    def text(self) -> str:
        return "".join(self._parts)

    @property
    def reasoning(self) -> str:
        return "".join(self._thinking).strip()

    def add(self, split: Split) -> None:
        with self._lock:
            self._parts.append(split.answer)
            self._thinking.append(split.reasoning)
            now = time.monotonic()
            if now - self._last >= _SAVE_EVERY_S:
                self._last = now
                try:
                    self._chats.update_message(
                        self._id, content=self.text, reasoning=self.reasoning
                    )
                except UserError as exc:
                    # A full disk must not stop the reply on screen; the final write
                    # tries again and reports the error if it fails too.
                    logger.warning("could not save the reply so far: %s", exc.message)
