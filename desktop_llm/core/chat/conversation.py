"""Conversations with a model: settings, the prompt from the message tree, and one reply.

Shared by the CLI (``chat --save``) and the GUI's services. Every message is written
to SQLite as it happens: the user's message before the model starts, the reply as a
"streaming" row that is saved every second while it grows, then finalized with its
stats. A crash of the worker leaves the partial reply marked "interrupted"; a crash
of the app leaves it "streaming", which the next start marks "interrupted".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import psutil

from desktop_llm.core.engine.host import ChatResult, EngineCrashed, EngineHost, probe_engine
from desktop_llm.core.engine.protocol import Loaded, LoadParams, SamplingParams
from desktop_llm.core.hardware.detect import load_nvml
from desktop_llm.core.hardware.planner import GpuLayers, Machine, Plan, fit_warning
from desktop_llm.core.hardware.probe import detect_hardware
from desktop_llm.core.models.library import ModelLibrary, ModelRef
from desktop_llm.core.models.options import (
    DEFAULT_BATCH,
    ModelOptions,
    kv_settings,
    plan_with_options,
)
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
)
"""The keys of a reply's stats in ``desktop-llm chat --json`` (and a compare pane's)."""

_SAVE_EVERY_S = 1.0
_TITLE_CHARS = 48


@dataclass(frozen=True)
class ChatSettings:
    """A conversation's sampling settings and context length (kept per conversation)."""

    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    repeat_penalty: float = 1.1
    max_tokens: int = 512
    seed: int = -1  # -1: a new random seed for every reply
    n_ctx: int = 4096
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
        problems = []
        if not 0.0 <= self.temperature <= 5.0:
            problems.append("temperature must be between 0 and 5")
        if not 0.0 < self.top_p <= 1.0:
            problems.append("top-p must be above 0 and at most 1")
        if self.top_k < 0:
            problems.append("top-k must be 0 or more")
        if not 0.5 <= self.repeat_penalty <= 3.0:
            problems.append("repeat penalty must be between 0.5 and 3")
        if self.max_tokens < 1:
            problems.append("max tokens must be at least 1")
        if self.n_ctx < 64:
            problems.append("context length must be at least 64")
        if problems:
            raise UserError("; ".join(problems))
        return self


def build_messages(system_prompt: str, path: Sequence[Message]) -> list[dict[str, str]]:
    """The conversation as the template wants it: optional system, then the turns."""
    messages: list[dict[str, str]] = []
    if system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt})
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


def detect_machine(log_dir: Path, engine_info: dict[str, Any] | None = None) -> Machine:
    """This computer as the planner sees it now: free RAM, free GPU memory, and whether
    the engine was built with GPU support (``engine_info`` from probe_engine, asked of
    a short-lived worker when not given)."""
    info = engine_info if engine_info is not None else probe_engine(log_dir)
    return Machine.from_hardware(detect_hardware(info, nvml=load_nvml()))


def planned_load(
    ref: ModelRef, options: ModelOptions, machine: Machine, n_ctx: int
) -> tuple[LoadParams, Plan]:
    """How to load ``ref`` on ``machine``: the offload planner's GPU layers and context
    (capped at what the model was trained for, cut when memory is short) with the
    model's engine options. UserError for options the model can't use."""
    plan = plan_with_options(
        options, ref.header, machine, n_ctx=n_ctx, name=ref.name, total_bytes=ref.total_bytes
    )
    kv = kv_settings(options)
    quantized = options.kv_cache_type not in (None, "f16")
    params = LoadParams(
        model_path=str(ref.path),
        n_ctx=plan.ctx,
        n_threads=options.threads,
        n_gpu_layers=plan.n_gpu_layers,
        n_batch=options.n_batch or DEFAULT_BATCH,
        use_mmap=options.use_mmap is not False,
        use_mlock=bool(options.use_mlock),
        flash_attn=kv.flash_attn,
        type_k=kv.type_k if quantized else None,
        type_v=kv.type_v if quantized else None,
    )
    return params, plan


class EngineSession:
    """Keeps one model loaded in one worker, reloading only when the model or its
    load settings change, and starting a fresh worker after a crash.

    Load settings come in three layers, later ones winning: the session's defaults
    (``threads``, ``gpu_layers``), the model's stored :class:`ModelOptions`
    (``ModelRecord.options``), and ``options`` (e.g. command-line flags). A context
    length set per model wins over the conversation's. With ``gpu_layers="auto"``
    the planner chooses the GPU layers and, if needed, a shorter context; a model it
    says will not fit is refused with a UserError before anything loads (the user
    who sets the GPU layers by hand, or ``force``, gets a warning in the log instead).

    ``machine`` describes the computer for the planner; by default it is detected
    before each load (the engine's backend is asked once per session).
    """

    def __init__(
        self,
        log_dir: Path,
        *,
        threads: int | None = None,
        gpu_layers: GpuLayers = "auto",
        options: ModelOptions | None = None,
        machine: Callable[[], Machine] | None = None,
        force: bool = False,
    ) -> None:
        self.host = EngineHost(log_dir)
        self._log_dir = log_dir
        # Checked when a load is planned: a bad value is then a UserError the caller shows.
        self.defaults = ModelOptions(threads=threads, gpu_layers=gpu_layers)
        self.overrides = options or ModelOptions()
        self.force = force
        self._machine_source = machine
        self._engine_info: dict[str, Any] | None = None
        self._request: tuple[str, int, ModelOptions] | None = None
        self.model: ModelRef | None = None
        self.plan_used: Plan | None = None
        """The plan of the loaded model (GPU layers, context, sizes, description)."""

    # -- settings and plan ----------------------------------------------------------
    def options_for(self, ref: ModelRef) -> ModelOptions:
        stored = ModelOptions.from_dict(ref.record.options) if ref.record else ModelOptions()
        return self.defaults.merged(stored).merged(self.overrides)

    def machine(self) -> Machine:
        """This computer as the planner sees it, now (free memory changes)."""
        if self._machine_source is not None:
            return self._machine_source()
        if self._engine_info is None:
            self._engine_info = probe_engine(self._log_dir)
        return detect_machine(self._log_dir, self._engine_info)

    def plan(self, ref: ModelRef, n_ctx: int) -> Plan:
        """How ``ref`` would load now. Memory held by the model this session has loaded
        counts as free, since loading another replaces it."""
        return self._prepare(ref, n_ctx, self._ram_held())[1]

    def fit_warning(self, ref: ModelRef, n_ctx: int) -> str | None:
        """The text to show before loading ``ref``, or None when it fits (for the GUI)."""
        return fit_warning(self.plan(ref, n_ctx))

    def load_params(self, ref: ModelRef, n_ctx: int) -> LoadParams:
        return self._prepare(ref, n_ctx)[0]

    def _prepare(self, ref: ModelRef, n_ctx: int, ram_held: int = 0) -> tuple[LoadParams, Plan]:
        machine = self.machine()
        if ram_held:
            machine = replace(machine, ram_free=machine.ram_free + ram_held)
        return planned_load(ref, self.options_for(ref), machine, n_ctx)

    def _ram_held(self) -> int:
        pid = self.host.pid
        if pid is None:
            return 0
        try:
            return int(psutil.Process(pid).memory_info().rss)
        except (psutil.Error, OSError):
            return 0

    # -- load -----------------------------------------------------------------------
    def ensure(
        self, ref: ModelRef, n_ctx: int, on_progress: Callable[[float], None] | None = None
    ) -> Loaded:
        request = (str(ref.path), n_ctx, self.options_for(ref))
        loaded = self.host.loaded
        if loaded is not None and request == self._request:
            return loaded
        self._request = None
        # Free the old model first: the plan must see the memory it would give back.
        self.host.unload()
        params, plan = self._prepare(ref, n_ctx)
        if not plan.fits:
            if not (self.force or request[2].gpu_layers_by_hand):
                raise UserError(
                    f"{ref.name} {plan.description}; close other programs, or choose a "
                    "shorter context, a smaller model, or the GPU layers yourself"
                )
            logger.warning("loading %s anyway: %s", ref.name, plan.description)
        logger.info("loading %s: %s", ref.name, plan.description)
        info = self.host.load(params, on_progress)
        self._request, self.model, self.plan_used = request, ref, plan
        return info

    def cancel(self) -> None:
        self.host.cancel()

    def unload(self) -> None:
        self.host.unload()
        self._request, self.model, self.plan_used = None, None, None


class ChatRunner:
    """Runs replies in stored conversations. Blocking: call from a background thread."""

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
    ) -> Message:
        """Store the user's message, then generate and store the reply to it."""
        if not text.strip():
            raise UserError("the message is empty")
        conversation = self.chats.get_conversation(conversation_id)
        path = self.chats.active_path(conversation_id)
        parent = path[-1].id if path else None
        user = self.chats.add_message(conversation_id, parent, "user", text)
        if not path and conversation.title in ("", "New chat"):
            self.chats.rename_conversation(conversation_id, title_from(text))
        return self._reply(conversation_id, user, ref, on_chunk, on_progress, on_started)

    def regenerate(
        self,
        conversation_id: int,
        ref: ModelRef,
        on_chunk: Callable[[str], None] | None = None,
        on_progress: Callable[[float], None] | None = None,
        on_started: Callable[[Message, Message], None] | None = None,
    ) -> Message:
        """A new reply to the last user message, kept as a sibling branch of the old one."""
        path = self.chats.active_path(conversation_id)
        users = [m for m in path if m.role == "user"]
        if not users:
            raise UserError("nothing to regenerate yet: send a message first")
        user = users[-1]
        return self._reply(conversation_id, user, ref, on_chunk, on_progress, on_started)

    def _reply(
        self,
        conversation_id: int,
        user: Message,
        ref: ModelRef,
        on_chunk: Callable[[str], None] | None,
        on_progress: Callable[[float], None] | None,
        on_started: Callable[[Message, Message], None] | None,
    ) -> Message:
        conversation: Conversation = self.chats.get_conversation(conversation_id)
        settings = ChatSettings.from_dict(conversation.settings).validate()
        self.chats.set_leaf(conversation_id, user.id)
        history = build_messages(
            conversation.system_prompt, self.chats.active_path(conversation_id)
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
        try:
            self.engine.ensure(ref, settings.n_ctx, on_progress)
            if ref.record is not None:
                self.library.touch(ref.record)

            def chunk(piece: str) -> None:
                saver.add(piece)
                if on_chunk is not None:
                    on_chunk(piece)

            result: ChatResult = self.engine.host.chat(
                history, settings.sampling(), template, chunk
            )
        except EngineCrashed as exc:
            return self.chats.update_message(
                reply.id, content=exc.partial_text, status="interrupted", error=exc.message
            )
        except UserError as exc:
            self.chats.update_message(
                reply.id, content=saver.text, status="error", error=exc.message
            )
            raise
        except BaseException as exc:
            self.chats.update_message(
                reply.id, content=saver.text, status="error", error=str(exc) or type(exc).__name__
            )
            raise
        status = "cancelled" if result.stats.finish_reason == "cancelled" else "ok"
        return self.chats.update_message(
            reply.id, content=result.text, status=status, stats=result.stats.to_dict()
        )


class _PartialSaver:
    """Writes the growing reply to the database about once a second."""

    def __init__(self, chats: ChatRepository, message_id: int) -> None:
        self._chats = chats
        self._id = message_id
        self._parts: list[str] = []
        self._last = time.monotonic()
        self._lock = threading.Lock()

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def add(self, piece: str) -> None:
        with self._lock:
            self._parts.append(piece)
            now = time.monotonic()
            if now - self._last >= _SAVE_EVERY_S:
                self._last = now
                self._chats.update_message(self._id, content=self.text)
