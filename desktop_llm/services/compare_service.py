"""CompareService: comparisons, arena votes, leaderboard and perplexity for the Compare tab.

Runs in the background (services/background.py); core callbacks become queued signals,
streamed text coalesced per pane (services/streaming.py) as the chat's is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale, QObject, Signal

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.compare.arena import arena_order, vote_models
from desktop_llm.core.compare.comparison import (
    CompareCallbacks,
    Comparison,
    ModeChoice,
    PaneResult,
    Planning,
    Slot,
)
from desktop_llm.core.compare.perplexity import (
    PerplexityFailed,
    PerplexityResult,
    ranked,
    run_many,
)
from desktop_llm.core.compare.rating import Rating, leaderboard
from desktop_llm.core.compare.report import export_markdown
from desktop_llm.core.engine.interface import Engine
from desktop_llm.core.models.library import ModelLibrary, ModelRef
from desktop_llm.core.remote.models import resolve_model
from desktop_llm.core.remote.routing import LocalOrRemoteEngine
from desktop_llm.core.remote.store import split_remote_name
from desktop_llm.errors import UserError
from desktop_llm.services.background import Background
from desktop_llm.services.error_text import error_text
from desktop_llm.services.remote_service import RemoteService
from desktop_llm.services.streaming import ChunkCoalescer
from desktop_llm.storage import CompareRepository

translate = QCoreApplication.translate


def mode_words(choice: ModeChoice) -> str:
    """Why the panes run at the same time or one after another, in the window's
    language (core's :meth:`ModeChoice.reason` is the command line's English)."""
    if choice.asked:
        return translate("CompareService", "one after another, as asked")
    locale = QLocale()
    si = QLocale.DataSizeFormat.DataSizeSIFormat
    fields = {
        "models": locale.toString(choice.models),
        "need": locale.formattedDataSize(choice.need_bytes, 1, si),
        "free": locale.formattedDataSize(choice.free_bytes, 1, si),
    }
    if choice.mode == "parallel":
        text = translate(
            "CompareService",
            "at the same time: the {models} models need about {need} together and {free} "
            "of RAM is free",
        )
    else:
        text = translate(
            "CompareService",
            "one after another: the {models} models need about {need} together but only "
            "{free} of RAM is free",
        )
    return text.format(**fields)


logger = logging.getLogger(__name__)


class CompareService(QObject):
    """Signals:
    modeChosen(str, str): "parallel"/"sequential" and why.
    paneStatus(int, str): pane and what it is doing.
    paneChunk(int, str, int): pane, text, and how many tokens (about) the text holds;
        coalesced to one per ~30 ms.
    paneLoaded(int, float, int): pane, load seconds, worker memory bytes.
    paneDone(int, object): a PaneResult.  runFinished(): every pane is done.
    perplexityProgress(int, int, int): model index, tokens done, total.
    perplexityDone(object): list of PerplexityResult, best first, then PerplexityFailed for
        each model that failed
        that could not be scored.
    errorOccurred(str): a message the user can act on.
    bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    modeChosen = Signal(str, str)
    paneStatus = Signal(int, str)
    paneChunk = Signal(int, str, int)
    paneLoaded = Signal(int, float, int)
    paneDone = Signal(int, object)
    runFinished = Signal()
    perplexityProgress = Signal(int, int, int)
    perplexityDone = Signal(object)
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(
        self,
        library: ModelLibrary,
        repo: CompareRepository,
        log_dir: Path,
        parent: QObject | None = None,
        *,
        planning: Planning | None = None,
        remotes: RemoteService | None = None,
    ) -> None:
        super().__init__(parent)
        self._remotes = remotes
        self._library = library
        self._repo = repo
        self._log_dir = log_dir
        self._planning = planning
        self._comparison: Comparison | None = None
        self._background = Background(self.errorOccurred.emit, self.bugOccurred.emit, self)
        self.order: list[int] = []
        self.arena = False
        self.tag = ""
        self._last_prompt = ""

    # -- models ---------------------------------------------------------------------
    def models(self) -> list[tuple[int | str, str]]:
        """(id, label) of every model in the library; the label names the quantization,
        so two quantizations of one model can be told apart in the panes and charts.
        Then the remote servers' models: (NAME::MODEL_ID, "MODEL_ID · remote · NAME")."""
        local: list[tuple[int | str, str]] = [
            (r.id, f"{r.name} · {r.quant}" if r.quant else r.name) for r in self._library.list()
        ]
        remote: list[tuple[int | str, str]] = [
            (
                m.spec,
                translate("CompareService", "{model} · remote · {server}").format(
                    model=m.model_id, server=m.server
                ),
            )
            for m in (self._remotes.models() if self._remotes is not None else [])
        ]
        return local + remote

    def _ref(self, model_id: int | str) -> ModelRef:
        if isinstance(model_id, str):  # NAME::MODEL_ID on a remote server
            if self._remotes is None:
                raise UserError(
                    translate("CompareService", "no remote servers here for {model}").format(
                        model=model_id
                    )
                )
            return resolve_model(model_id, self._library, self._remotes.store)
        return self._library.ref_for(self._library.get(model_id))

    def _make_engine(self) -> Callable[[], Engine] | None:
        """Engines that also reach remote servers (None: the default local workers)."""
        if self._remotes is None:
            return None
        store, log_dir = self._remotes.store, self._log_dir
        return lambda: LocalOrRemoteEngine(log_dir, store)

    @property
    def busy(self) -> bool:
        return self._background.busy

    # -- comparison -----------------------------------------------------------------
    def start(
        self,
        panes: list[tuple[int | str, dict[str, Any], str]],
        *,
        sequential: bool = False,
        arena: bool = False,
        tag: str = "",
    ) -> bool:
        """A new comparison of ``panes`` (model id, settings dict, system prompt)."""
        try:
            slots = []
            for model_id, settings, system in panes:
                ref = self._ref(model_id)
                slots.append(Slot(ref, ChatSettings.from_dict(settings).validate(), system))
            names = [s.name for s in slots]
            for i, slot in enumerate(slots):  # same model twice: tell the panes apart
                if names.count(slot.name) > 1:
                    slots[i] = Slot(
                        slot.ref, slot.settings, slot.system_prompt, f"{slot.name} #{i + 1}"
                    )
            self.close()
            self._comparison = Comparison(
                slots,
                self._log_dir,
                sequential=sequential,
                store=self._repo,
                arena=arena,
                tag=tag,
                planning=self._planning,
                make_engine=self._make_engine(),
            )
        except UserError as exc:
            self.errorOccurred.emit(error_text(exc))
            return False
        self.arena, self.tag = arena, tag
        self.order = arena_order(len(slots)) if arena else list(range(len(slots)))
        self.modeChosen.emit(self._comparison.mode, mode_words(self._comparison.mode_choice))
        return True

    def saved(self) -> list[tuple[int, str]]:
        """Saved comparisons, newest first: (id, title)."""
        return [(c.id, c.title) for c in self._repo.all()]

    def open_saved(self, comparison_id: int) -> list[tuple[str, list[tuple[str, str]]]]:
        """Reopen a saved comparison to continue it; returns each pane's model name and
        its (role, text) messages (empty, with errorOccurred, when it can't be opened)."""
        try:
            stored = self._repo.get(comparison_id)
            refs = [
                self._ref(run.model_path)
                if split_remote_name(run.model_path)
                else self._library.resolve(run.model_path)
                for run in stored.runs
            ]
            self.close()
            self._comparison = Comparison.reopen(
                stored,
                refs,
                self._log_dir,
                store=self._repo,
                planning=self._planning,
                make_engine=self._make_engine(),
            )
        except UserError as exc:
            self.errorOccurred.emit(error_text(exc))
            return []
        self.arena, self.tag = False, stored.tag  # a reopened arena is already revealed
        self.order = list(range(len(stored.runs)))
        self.modeChosen.emit(self._comparison.mode, mode_words(self._comparison.mode_choice))
        return [
            (run.model_name, [(m.role, m.content) for m in run.messages]) for run in stored.runs
        ]

    def slot_names(self) -> list[str]:
        return [s.name for s in self._comparison.slots] if self._comparison else []

    def send(self, prompt: str) -> bool:
        comparison = self._comparison
        if comparison is None or self.busy:
            self.errorOccurred.emit(
                translate("CompareService", "start a comparison first")
                if comparison is None
                else translate("CompareService", "busy")
            )
            return False
        self._last_prompt = prompt
        streams = [
            ChunkCoalescer(self.paneChunk.emit, slot) for slot in range(len(comparison.slots))
        ]

        def done(slot: int, result: PaneResult) -> None:
            streams[slot].flush()  # the pane's last words before its result
            if result.failure is not None:  # its error in the window's language
                result = replace(result, error=error_text(result.failure))
                self.paneStatus.emit(slot, result.error)
            self.paneDone.emit(slot, result)

        callbacks = CompareCallbacks(
            on_chunk=lambda slot, text: streams[slot].add(text),
            on_status=self.paneStatus.emit,
            on_loaded=self.paneLoaded.emit,
            on_done=done,
        )
        self._background.run(
            lambda: comparison.send(prompt, callbacks),
            on_end=self.runFinished.emit,
            name="compare",
        )
        return True

    def cancel(self) -> None:
        if self._comparison is not None:
            self._comparison.cancel()

    def memory(self, pane: int) -> int:
        return self._comparison.memory(pane) if self._comparison else 0

    def vote(self, outcome: str) -> bool:
        """Record a vote on the shown panes A and B (arena mode)."""
        if self._comparison is None or len(self.order) < 2:
            return False
        a, b, outcome = vote_models(self.order, self.slot_names(), outcome)
        stored = self._comparison.stored
        try:
            self._repo.add_vote(
                self._last_prompt,
                a,
                b,
                outcome,
                tag=self.tag,
                comparison_id=stored.id if stored else None,
            )
        except UserError as exc:
            self.errorOccurred.emit(error_text(exc))
            return False
        return True

    def leaderboard(self, tag: str | None = None) -> list[Rating]:
        return leaderboard(self._repo.votes(tag or None))

    def tags(self) -> list[str]:
        return self._repo.tags()

    def export_markdown(self) -> str:
        stored = self._comparison.stored if self._comparison else None
        return export_markdown(self._repo.get(stored.id)) if stored else ""

    # -- perplexity -----------------------------------------------------------------
    def perplexity(self, model_ids: list[int], text: str, ctx: int = 512) -> bool:
        if self.busy:
            return False
        try:
            refs = [self._library.ref_for(self._library.get(i)) for i in model_ids]
        except UserError as exc:
            self.errorOccurred.emit(error_text(exc))
            return False

        def job(report: Any) -> list[PerplexityResult | PerplexityFailed]:
            results = run_many(refs, text, log_dir=self._log_dir, ctx=ctx, on_progress=report)
            return ranked(results)

        self._background.run(
            job,
            self.perplexityDone.emit,
            on_progress=self.perplexityProgress.emit,
            name="perplexity",
        )
        return True

    # -- lifetime -------------------------------------------------------------------
    def wait(self, timeout_s: float = 60.0) -> None:
        self._background.wait(timeout_s)

    def close(self) -> None:
        self.cancel()
        self.wait(10.0)
        if self._comparison is not None:
            self._comparison.close()
            self._comparison = None


__all__ = ["CompareService", "PaneResult", "PerplexityFailed"]
