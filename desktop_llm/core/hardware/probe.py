"""Everything at once: the machine's CPU, RAM and GPUs, plus what the engine says it was
built with.

The engine's answer comes from its caller (``probe_engine`` of
:mod:`desktop_llm.core.engine.host`, which asks a short-lived worker): the engine's
worker uses this package (``physical_cores``), so this package must never import the
engine (an import-linter contract checks it), and llama_cpp is imported only in the
worker process (docs/ARCHITECTURE.md, layer rule 4).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from desktop_llm.core.hardware.detect import Runner, detect_cpu, detect_gpus, load_nvml, run_command
from desktop_llm.core.hardware.info import HardwareInfo

logger = logging.getLogger(__name__)

EngineProbe = Callable[[Path], Mapping[str, Any]]
"""Asks the engine what it was built with, writing its log under the given folder."""


def detect_hardware(
    engine: Mapping[str, Any] | None,
    *,
    run: Runner = run_command,
    nvml: Any | None = None,
    system: str | None = None,
    machine: str | None = None,
    cpuinfo_text: str | None = None,
) -> HardwareInfo:
    """Everything at once. ``engine`` is :func:`~desktop_llm.core.engine.host.probe_engine`'s
    answer (None: not asked, backend unknown). Pass ``nvml=load_nvml()`` for NVML."""
    engine = engine or {}
    system_info = str(engine.get("system_info") or "")
    cpu, notes = detect_cpu(
        run, system=system, cpuinfo_text=cpuinfo_text, engine_system_info=system_info
    )
    gpus, gpu_notes = detect_gpus(run, nvml, system=system, machine=machine)
    notes += gpu_notes
    backend = str(engine.get("backend") or "unknown")
    if backend == "unknown":
        notes.append("the engine's backend is unknown: " + (system_info or "it was not asked"))
    import psutil  # not at the top: start-up doesn't need it (~15 ms)

    try:
        memory = psutil.virtual_memory()
        ram_total, ram_free = int(memory.total), int(memory.available)
    except Exception:  # psutil fails in some sandboxes; say so rather than crash
        logger.warning("psutil could not read memory", exc_info=True)
        ram_total = ram_free = 0
        notes.append("the amount of RAM could not be read")
    version = engine.get("version")
    return HardwareInfo(
        cpu=cpu,
        ram_total=ram_total,
        ram_free=ram_free,
        gpus=tuple(gpus),
        backend=backend,
        gpu_offload=bool(engine.get("gpu_offload")),
        engine_version=str(version) if version else None,
        notes=tuple(notes),
    )


def probe_hardware(log_dir: Path, probe_engine: EngineProbe) -> HardwareInfo:
    """Detect this machine; ``probe_engine(log_dir)`` tells the engine's backend."""
    return detect_hardware(probe_engine(log_dir), nvml=load_nvml())
