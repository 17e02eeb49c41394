"""Loading models: the offload plan for this computer, and a session that keeps one
model loaded in an :class:`~desktop_llm.core.engine.interface.Engine`.

Shared by the chat (CLI and GUI), which loads through :class:`EngineSession`, and by
comparisons, which plan each pane's load with :func:`planned_load`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop_llm.core.defaults import DEFAULT_BATCH
from desktop_llm.core.engine.host import EngineHost, probe_engine
from desktop_llm.core.engine.interface import Engine
from desktop_llm.core.engine.protocol import Loaded, LoadParams
from desktop_llm.core.hardware.cluster import check_workers
from desktop_llm.core.hardware.detect import load_nvml
from desktop_llm.core.hardware.planner import Described, GpuLayers, Machine, Plan, fit_warning
from desktop_llm.core.hardware.probe import detect_hardware
from desktop_llm.core.models.library import ModelRef
from desktop_llm.core.models.options import (
    ModelOptions,
    kv_settings,
    less_the_draft,
    plan_with_options,
    speculative_settings,
)
from desktop_llm.core.remote.models import is_remote, remote_plan
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)


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
    if is_remote(ref):  # on another server: nothing to plan on this computer
        return remote_plan(ref, n_ctx)
    speculative = speculative_settings(options, ref.name)
    if speculative.draft_model_path is not None:
        machine = less_the_draft(machine, speculative.draft_model_path, options.n_ctx or n_ctx)
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
        rpc=tuple(dict.fromkeys(d.endpoint for d in machine.rpc)) if plan.split else (),
        tensor_split=plan.tensor_split,
        prompt_lookup=speculative.prompt_lookup,
        draft_model_path=speculative.draft_model_path,
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

    ``host`` is the :class:`Engine` that runs the model: by default llama.cpp in a
    worker process (:class:`EngineHost`); ``engine`` gives another.
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
        engine: Engine | None = None,
        workers: Callable[[], tuple[str, ...]] | None = None,
    ) -> None:
        self.host: Engine = engine if engine is not None else EngineHost(log_dir)
        self._log_dir = log_dir
        # RPC workers ("HOST:PORT") the window's Settings > Cluster chose: each load is
        # split over them (asked before loading; core/hardware/cluster.py).
        self._workers = workers
        # Checked when a load is planned: a bad value is then a UserError the caller shows.
        self.defaults = ModelOptions(threads=threads, gpu_layers=gpu_layers)
        self.overrides = options or ModelOptions()
        self.force = force
        self._machine_source = machine
        self._engine_info: dict[str, Any] | None = None
        self._request: tuple[str, int, ModelOptions, bool] | None = None
        self.model: ModelRef | None = None
        self.plan_used: Plan | None = None
        """The plan of the loaded model (GPU layers, context, sizes, description)."""

    # -- settings and plan ----------------------------------------------------------
    def options_for(self, ref: ModelRef) -> ModelOptions:
        stored = ModelOptions.from_dict(ref.record.options) if ref.record else ModelOptions()
        return self.defaults.merged(stored).merged(self.overrides)

    def machine(self) -> Machine:
        """This computer as the planner sees it, now (free memory changes), with the
        RPC workers' devices (a worker that can't be used is a UserError)."""
        machine = self.local_machine()
        endpoints = self._workers() if self._workers is not None else ()
        return replace(machine, rpc=check_workers(endpoints)) if endpoints else machine

    def local_machine(self) -> Machine:
        """This computer alone, without RPC workers (the Hub's fit verdicts, compare
        panes: a worker serves one client at a time, and an unreachable one must not
        stop them)."""
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
        if is_remote(ref):
            return remote_plan(ref, n_ctx)
        machine = self.machine()
        if ram_held:
            machine = replace(machine, ram_free=machine.ram_free + ram_held)
        return planned_load(ref, self.options_for(ref), machine, n_ctx)

    def _ram_held(self) -> int:
        pid = self.host.pid
        if pid is None:
            return 0
        import psutil  # not at the top: start-up doesn't need it (~15 ms)

        try:
            return int(psutil.Process(pid).memory_info().rss)
        except (psutil.Error, OSError):
            return 0

    # -- load -----------------------------------------------------------------------
    def ensure(
        self,
        ref: ModelRef,
        n_ctx: int,
        on_progress: Callable[[float], None] | None = None,
        *,
        request_id: int | None = None,
        embedding: bool = False,
    ) -> Loaded:
        """Load ``ref`` unless it is loaded with these settings already. ``request_id``:
        the job the load belongs to, so that ``cancel(request_id)`` stops it.
        ``embedding``: load it to embed (``LoadParams.embedding``), not to generate."""
        request = (str(ref.path), n_ctx, self.options_for(ref), embedding)
        loaded = self.host.loaded
        if loaded is not None and request == self._request:
            return loaded
        self._request = None
        # Free the old model first: the plan must see the memory it would give back.
        self.host.unload()
        params, plan = self._prepare(ref, n_ctx)
        if embedding:
            params = replace(
                params,
                embedding=True,
                n_batch=params.n_ctx,
                prompt_lookup=False,
                draft_model_path=None,
            )
        if not plan.fits:
            if not (self.force or request[2].gpu_layers_by_hand):
                raise UserError.of(
                    "{name} {plan}; close other programs, or choose a "
                    "shorter context, a smaller model, or the GPU layers yourself",
                    name=ref.name,
                    plan=Described(plan),
                )
            logger.warning("loading %s anyway: %s", ref.name, plan.description)
        logger.info("loading %s: %s", ref.name, plan.description)
        info = self.host.load(params, on_progress, request_id=request_id)
        self._request, self.model, self.plan_used = request, ref, plan
        return info

    def cancel(self, request_id: int | None = None) -> None:
        """Stop ``request_id``'s load or reply, even one not started yet (None: whatever
        runs now)."""
        self.host.cancel(request_id)

    def set_prompt_progress(self, reading: Callable[[int, int], None] | None) -> None:
        """``reading(done, total)`` while a long prompt is read (a local engine only)."""
        setter = getattr(self.host, "set_prompt_progress", None)
        if callable(setter):
            setter(reading)

    def prestart(self) -> None:
        """Start the engine's worker process now, with no model, so the first reply
        doesn't wait for the process and llama.cpp's import (a local engine only)."""
        prestart = getattr(self.host, "prestart", None)  # EngineHost, or a router over one
        if callable(prestart):
            prestart()

    def unload(self) -> None:
        self.host.unload()
        self._request, self.model, self.plan_used = None, None, None
