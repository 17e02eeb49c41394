"""Side-by-side comparisons: one conversation sent to 2-4 (model, settings) panes.

Each pane has its own :class:`~desktop_llm.core.engine.interface.Engine` (by default
an :class:`EngineHost`, its own worker process) and its own conversation, so follow-up
turns continue each pane's replies. Panes run at the same time when the planner's
estimates of all the models fit in free RAM together (each then gets an equal share of
the CPU cores), otherwise one after another, each worker ended after its turn;
:attr:`Comparison.mode_reason` says which and why. Every pane uses the same seed and
sampler settings unless its own settings change them.

Also here: arena helpers (shuffled, anonymous panes) and the Markdown report of a
stored comparison. Ratings live in :mod:`desktop_llm.core.compare.rating`, perplexity in
:mod:`desktop_llm.core.compare.perplexity`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from desktop_llm.core.chat.conversation import CHAT_STAT_KEYS, ChatSettings
from desktop_llm.core.compare.benchmark import PeakMemory
from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.interface import Engine, EngineCrashed, new_request_id
from desktop_llm.core.engine.kv_cache_folder import conversation_key
from desktop_llm.core.engine.protocol import LoadParams
from desktop_llm.core.engine.session import planned_load
from desktop_llm.core.formatting import format_size
from desktop_llm.core.hardware.detect import free_ram_bytes, physical_cores
from desktop_llm.core.hardware.planner import Machine, ModelSizes, Plan
from desktop_llm.core.models.library import ModelRef
from desktop_llm.core.models.options import ModelOptions
from desktop_llm.core.remote.models import is_remote
from desktop_llm.errors import UserError
from desktop_llm.storage import CompareRepository, StoredComparison

logger = logging.getLogger(__name__)

MIN_PANES, MAX_PANES = 2, 4
DEFAULT_SEED = 42
# A chat reply's stats (``desktop-llm chat --json``), then what a pane adds.
PANE_STAT_KEYS = (*CHAT_STAT_KEYS, "load_s", "memory_bytes")


@dataclass(frozen=True)
class Slot:
    """One pane: a model, its settings and an optional system prompt."""

    ref: ModelRef
    settings: ChatSettings = field(default_factory=lambda: ChatSettings(seed=DEFAULT_SEED))
    system_prompt: str = ""
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.ref.name


def _no_options(_ref: ModelRef) -> ModelOptions:
    return ModelOptions()


def _this_computer_cpu_only() -> Machine:
    return Machine(ram_free=free_ram_bytes(), offload=False)


@dataclass(frozen=True)
class Planning:
    """How the panes' models are loaded, as a chat loads them: each model's engine
    options (app defaults, then the model's own) and this computer as the offload
    planner sees it (free RAM and VRAM). By default: no options, CPU only."""

    options_for: Callable[[ModelRef], ModelOptions] = _no_options
    machine: Callable[[], Machine] = _this_computer_cpu_only


@dataclass(frozen=True)
class PaneResult:
    index: int
    model: str
    text: str
    stats: dict[str, Any]
    error: str | None = None
    crashed: bool = False  # the engine died mid-reply: ``text`` is what it wrote before
    failure: UserError | None = field(default=None, compare=False, repr=False)
    """The error itself (``error`` is its English): the window shows it in its language."""

    def to_dict(self) -> dict[str, Any]:
        """``stats`` has exactly the keys of ``desktop-llm chat --json``'s stats (None
        where a pane failed); the load time and the worker's memory sit beside it."""
        return {
            "model": self.model,
            "text": self.text,
            "stats": {k: self.stats.get(k) for k in CHAT_STAT_KEYS},
            "load_s": self.stats.get("load_s"),
            "memory_bytes": self.stats.get("memory_bytes"),
            "error": self.error,
        }


@dataclass
class CompareCallbacks:
    """Per-pane callbacks, called from the pane's thread (parallel) or the caller's."""

    on_chunk: Callable[[int, str], None] | None = None
    on_status: Callable[[int, str], None] | None = None
    on_loaded: Callable[[int, float, int], None] | None = None
    """pane, load seconds, worker memory in bytes"""
    on_done: Callable[[int, PaneResult], None] | None = None


def estimate_bytes(slot: Slot) -> int:
    """RAM the pane's model needs: weights, KV cache and compute buffer (planner sizes);
    none for a model on a remote server."""
    if is_remote(slot.ref):
        return 0
    sizes = ModelSizes.from_header(slot.ref.header, slot.ref.total_bytes)
    ctx = slot.settings.n_ctx
    if sizes.context_length:
        ctx = min(ctx, sizes.context_length)  # as the planner caps it at load
    return sizes.weights_bytes + sizes.kv_bytes(sizes.n_layers, ctx) + sizes.compute_bytes(ctx)


@dataclass(frozen=True)
class ModeChoice:
    """Whether the panes run at the same time, and the figures that decided it (the
    window words them in its language; :meth:`reason` is the English of the CLI)."""

    mode: str
    """"parallel" or "sequential"."""
    models: int
    need_bytes: int = 0
    free_bytes: int = 0
    asked: bool = False
    """Sequential because the user asked for it."""

    def reason(self) -> str:
        if self.asked:
            return "one after another, as asked"
        need, free = format_size(self.need_bytes), format_size(self.free_bytes)
        if self.mode == "parallel":
            return (
                f"at the same time: the {self.models} models need about {need} "
                f"together and {free} of RAM is free"
            )
        return (
            f"one after another: the {self.models} models need about {need} "
            f"together but only {free} of RAM is free"
        )


def choose_mode(
    slots: Sequence[Slot], ram_free: int | None = None, *, sequential: bool = False
) -> ModeChoice:
    """Parallel when the panes' models fit in the RAM free together, else sequential."""
    if sequential:
        return ModeChoice("sequential", len(slots), asked=True)
    need = sum(estimate_bytes(s) for s in slots)
    free = ram_free if ram_free is not None else free_ram_bytes()
    budget = Machine(ram_free=free).ram_budget()
    mode = "parallel" if need <= budget else "sequential"
    return ModeChoice(mode, len(slots), need, free)


def _less(machine: Machine, plan: Plan) -> Machine:
    """``machine`` once ``plan``'s model is loaded: its RAM taken, and its GPU memory
    taken from the GPUs in proportion to their free memory (as llama.cpp splits it)."""
    known = [free for free in machine.gpu_free if free is not None]
    total = sum(known)
    gpu_free = tuple(
        None if free is None else max(0, free - plan.vram_bytes * free // max(1, total))
        for free in machine.gpu_free
    )
    return replace(machine, ram_free=max(0, machine.ram_free - plan.ram_bytes), gpu_free=gpu_free)


def parse_model_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``MODEL@temp=0.2,top_k=20,system=...`` -> ("MODEL", {"temperature": 0.2, ...})."""
    name, _, rest = spec.partition("@")
    aliases = {"temp": "temperature", "ctx": "n_ctx", "max": "max_tokens"}
    known = set(ChatSettings.__dataclass_fields__) | {"system"}
    settings: dict[str, Any] = {}
    if rest:
        for part in rest.split(","):
            key, sep, value = part.partition("=")
            key = aliases.get(key.strip(), key.strip().replace("-", "_"))
            if not sep or key not in known:
                raise UserError.of(
                    "bad model setting {part!r} in {spec!r}; use MODEL@temp=0.2,top_k=20 "
                    "(settings: {settings})",
                    part=part,
                    spec=spec,
                    settings=", ".join(sorted(known | set(aliases))),
                )
            settings[key] = value
    if not name.strip():
        raise UserError.of("no model named in {spec!r}", spec=spec)
    return name.strip(), settings


class Comparison:
    """A live comparison. Blocking methods: call them from one background thread.

    ``store`` (optional) saves the comparison, its runs and every message as they happen.
    ``make_engine`` builds each pane's engine (by default a worker process logging to
    ``log_dir``).
    """

    def __init__(
        self,
        slots: Sequence[Slot],
        log_dir: Path,
        *,
        sequential: bool = False,
        ram_free: int | None = None,
        store: CompareRepository | None = None,
        title: str = "",
        arena: bool = False,
        tag: str = "",
        planning: Planning | None = None,
        make_engine: Callable[[], Engine] | None = None,
    ) -> None:
        if not MIN_PANES <= len(slots) <= MAX_PANES:
            raise UserError.of(
                "compare {least} to {most} models, not {count}",
                least=MIN_PANES,
                most=MAX_PANES,
                count=len(slots),
            )
        for slot in slots:
            slot.settings.validate()
        self.slots = list(slots)
        self.mode_choice = choose_mode(slots, ram_free, sequential=sequential)
        self.mode, self.mode_reason = self.mode_choice.mode, self.mode_choice.reason()
        self._log_dir = log_dir
        self._planning = planning or Planning()
        make = make_engine or (lambda: EngineHost(log_dir))
        self.hosts: list[Engine] = [make() for _ in slots]
        # Each pane's load and reply of the current turn, so cancel() reaches them
        # even before they start.
        self._request_ids = [new_request_id() for _ in slots]
        self.histories: list[list[dict[str, str]]] = [
            [{"role": "system", "content": s.system_prompt}] if s.system_prompt.strip() else []
            for s in slots
        ]
        self._load_s = [0.0 for _ in slots]
        self._cancelled = threading.Event()
        self._store = store
        self._title = title
        self._arena = arena
        self._tag = tag
        self.stored: StoredComparison | None = None
        self.turns: list[str] = []

    @classmethod
    def reopen(
        cls,
        stored: StoredComparison,
        refs: Sequence[ModelRef],
        log_dir: Path,
        *,
        store: CompareRepository | None = None,
        ram_free: int | None = None,
        planning: Planning | None = None,
        make_engine: Callable[[], Engine] | None = None,
    ) -> Comparison:
        """Continue a saved comparison: each pane gets back its model, settings and
        conversation (``refs``: the runs' models, in order). Whether the panes run at the
        same time is decided again, for the memory free now."""
        slots = [
            Slot(ref, ChatSettings.from_dict(run.settings), run.system_prompt, run.model_name)
            for run, ref in zip(stored.runs, refs, strict=True)
        ]
        comparison = cls(
            slots,
            log_dir,
            ram_free=ram_free,
            store=store,
            arena=stored.arena,
            tag=stored.tag,
            planning=planning,
            make_engine=make_engine,
        )
        comparison.stored = stored
        for history, run in zip(comparison.histories, stored.runs, strict=True):
            for message in run.messages:
                if (
                    message.role == "assistant"
                    and message.status in ("error", "interrupted")
                    and not message.content
                ):
                    history.pop()  # a failed turn is not part of the conversation
                    continue
                history.append({"role": message.role, "content": message.content})
        comparison.turns = [m.content for m in stored.runs[0].messages if m.role == "user"]
        return comparison

    # -- running --------------------------------------------------------------------
    def send(self, prompt: str, callbacks: CompareCallbacks | None = None) -> list[PaneResult]:
        """Send ``prompt`` to every pane (continuing each pane's conversation)."""
        if not prompt.strip():
            raise UserError.of("the prompt is empty")
        callbacks = callbacks or CompareCallbacks()
        # New ids before the flag is cleared: a cancel() from now on reaches this turn.
        self._request_ids = [new_request_id() for _ in self.slots]
        self._cancelled.clear()
        parallel = self.mode == "parallel"
        params = self._pane_params(
            max(1, physical_cores() // self._local_panes()) if parallel else None
        )
        self._save_start(prompt)
        self.turns.append(prompt)
        for history in self.histories:
            history.append({"role": "user", "content": prompt})
        results: list[PaneResult | None] = [None] * len(self.slots)

        def run(index: int) -> None:
            results[index] = self._run_pane(index, params[index], callbacks)
            if self.mode == "sequential":
                self.hosts[index].unload()

        # Remote panes use no memory here: they always run beside the local ones.
        at_once = [
            i for i, slot in enumerate(self.slots) if self.mode == "parallel" or is_remote(slot.ref)
        ]
        workers = [
            threading.Thread(target=run, args=(i,), name=f"compare-{i}", daemon=True)
            for i in at_once
        ]
        for thread in workers:
            thread.start()
        for i in range(len(self.slots)):
            if i not in at_once:
                run(i)
        for thread in workers:
            thread.join()
        final = [r for r in results if r is not None]
        for result in final:
            history = self.histories[result.index]
            if result.error and not result.text:
                history.pop()  # no reply: this pane's conversation goes on without the turn
            else:
                history.append({"role": "assistant", "content": result.text})
            self._save_reply(result)
        return final

    def _local_panes(self) -> int:
        """Panes whose model runs here (and shares this computer's cores)."""
        return max(1, sum(not is_remote(slot.ref) for slot in self.slots))

    def _pane_params(self, threads: int | None) -> list[LoadParams | UserError | None]:
        """How each pane not loaded yet loads its model (None for a loaded one), as a
        chat would: through the offload planner with the model's own engine options, its
        context capped at what the model was trained for (past that, some models abort),
        GPU layers from the free VRAM. Panes that load at once are planned in turn, each
        on what the ones before it leave (the free memory measured now already excludes
        panes loaded earlier). A pane that can't be planned gets its UserError."""
        if all(host.loaded is not None for host in self.hosts):
            return [None] * len(self.slots)
        machine = self._planning.machine()
        out: list[LoadParams | UserError | None] = []
        for slot, host in zip(self.slots, self.hosts, strict=True):
            if host.loaded is not None:
                out.append(None)
                continue
            try:
                options = self._planning.options_for(slot.ref)
                params, plan = planned_load(slot.ref, options, machine, slot.settings.n_ctx)
            except UserError as exc:
                out.append(exc)
                continue
            except OSError as exc:  # the file went away while the comparison was open
                out.append(
                    UserError.of(
                        "cannot read {path}: {reason}",
                        path=slot.ref.path,
                        reason=exc.strerror or str(exc),
                    )
                )
                continue
            if not plan.fits:
                if not options.gpu_layers_by_hand:
                    out.append(
                        UserError.of(
                            "{name} {plan}; close other programs, or compare "
                            "with a shorter context or a smaller model",
                            name=slot.name,
                            plan=plan.description,
                        )
                    )
                    continue
                # GPU layers chosen by hand: loaded anyway, as a chat does.
                logger.warning("loading %s anyway: %s", slot.name, plan.description)
            out.append(params if threads is None else replace(params, n_threads=threads))
            if self.mode == "parallel":
                machine = _less(machine, plan)
        return out

    def _run_pane(
        self, index: int, params: LoadParams | UserError | None, callbacks: CompareCallbacks
    ) -> PaneResult:
        slot, host = self.slots[index], self.hosts[index]
        request_id = self._request_ids[index]

        def status(text: str) -> None:
            if callbacks.on_status is not None:
                callbacks.on_status(index, text)

        try:
            if self._cancelled.is_set():
                raise UserError.of("cancelled")
            if host.loaded is None:
                status("loading…")
                if isinstance(params, UserError):
                    raise params
                if params is None:  # its worker ended since the turn was planned
                    raise UserError.of("the model's engine stopped; send again to reload it")
                loaded = host.load(params, request_id=request_id)
                self._load_s[index] = loaded.load_s
                if callbacks.on_loaded is not None:
                    callbacks.on_loaded(index, loaded.load_s, worker_memory(host.pid))
            status("writing…")

            def chunk(text: str) -> None:
                if callbacks.on_chunk is not None:
                    callbacks.on_chunk(index, text)

            with PeakMemory(host.pid) as memory:
                result = host.chat(
                    self.histories[index],
                    slot.settings.sampling(),
                    slot.ref.template(),
                    chunk,
                    request_id=request_id,
                    # Its KV state kept as a chat's: a reopened comparison answers at once.
                    cache_key=conversation_key(self.histories[index]),
                )
            stats = {k: result.stats.to_dict().get(k) for k in CHAT_STAT_KEYS}
            stats["load_s"] = self._load_s[index]
            stats["memory_bytes"] = memory.peak
            pane = PaneResult(index, slot.name, result.text, stats)
        except EngineCrashed as exc:
            pane = PaneResult(
                index, slot.name, exc.partial_text, {}, f"crashed: {exc.message}", crashed=True
            )
        except UserError as exc:
            pane = PaneResult(index, slot.name, "", {}, exc.message, failure=exc)
        status("done" if pane.error is None else pane.error)
        if callbacks.on_done is not None:
            callbacks.on_done(index, pane)
        return pane

    def cancel(self) -> None:
        """Stop this turn: panes loading or writing stop, panes yet to start don't."""
        self._cancelled.set()
        for host, request_id in zip(self.hosts, self._request_ids, strict=True):
            host.cancel(request_id)

    def close(self) -> None:
        for host in self.hosts:
            host.unload()

    def memory(self, index: int) -> int:
        """The pane's worker memory now (0 when no worker runs)."""
        return worker_memory(self.hosts[index].pid)

    # -- storage --------------------------------------------------------------------
    def _save_start(self, prompt: str) -> None:
        if self._store is None:
            return
        if self.stored is None:
            self.stored = self._store.create(
                self._title or prompt.strip().splitlines()[0][:60],
                [
                    {
                        "model_name": s.name,
                        "model_path": str(s.ref.path),
                        "system_prompt": s.system_prompt,
                        "settings": s.settings.to_dict(),
                    }
                    for s in self.slots
                ],
                mode=self.mode,
                mode_reason=self.mode_reason,
                arena=self._arena,
                tag=self._tag,
            )
        for run in self.stored.runs:
            self._store.add_message(run.id, "user", prompt)

    def _save_reply(self, result: PaneResult) -> None:
        if self._store is None or self.stored is None:
            return
        run = self.stored.runs[result.index]
        status = "error" if result.error else "ok"
        if result.crashed:
            status = "interrupted"  # as a chat's reply: kept, marked cut short
        elif result.stats.get("finish_reason") == "cancelled":
            status = "cancelled"
        self._store.add_message(
            run.id, "assistant", result.text, status=status, stats=result.stats, error=result.error
        )


def worker_memory(pid: int | None) -> int:
    """A worker's memory: PSS where the OS tells it (counts the mapped model fairly), else RSS."""
    if pid is None:
        return 0
    import psutil  # not at the top: start-up doesn't need it (~15 ms)

    try:
        process = psutil.Process(pid)
        try:
            info = process.memory_full_info()
            return int(getattr(info, "pss", 0) or info.rss)
        except psutil.AccessDenied:
            return int(process.memory_info().rss)
    except psutil.Error:
        return 0


def with_settings(base: ChatSettings, changes: dict[str, Any]) -> ChatSettings:
    """``base`` with ``changes`` (strings from the command line, or typed values) applied;
    UserError for an unknown key, a value of the wrong kind, or one out of range."""
    values = base.to_dict()
    for key, value in changes.items():
        if key not in values:
            raise UserError.of("unknown setting {key!r}", key=key)
        kind = type(values[key])
        try:
            number = float(value)
            if kind is int and not number.is_integer():
                raise ValueError(value)
            values[key] = kind(number)
        except (TypeError, ValueError) as exc:
            raise UserError.of("bad value for {key}: {value!r}", key=key, value=value) from exc
    return ChatSettings(**values).validate()
