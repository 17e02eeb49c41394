"""What this computer has: CPU, RAM, GPUs and the engine's backend.

Detection never crashes and never guesses: a tool that is missing, slow or answers
nonsense leaves the value unknown (None) and adds a plain note saying what could not
be checked. Everything that touches the system comes in as an argument (a ``run``
callable for subprocesses, the ``pynvml`` module or None, the text of /proc/cpuinfo),
so tests describe a machine by feeding real-looking tool output.

The engine's backend comes from a short-lived worker (``probe_engine``): llama_cpp is
imported only in the worker process (DESIGN.md, import rule 4).
"""

from __future__ import annotations

import logging
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from desktop_llm.core.models.gguf_info import format_size

logger = logging.getLogger(__name__)

LLAMA_CPP_VERSION = "0.3.36"
"""The engine version the Makefile builds; used when the installed one is unknown."""

Runner = Callable[[Sequence[str]], str | None]
"""Runs a command and returns its stdout, or None when it is missing, fails or hangs."""

_TIMEOUT_S = 5.0
_MIB = 1024 * 1024


def run_command(args: Sequence[str], timeout_s: float = _TIMEOUT_S) -> str | None:
    """The real runner: stdout of ``args``, or None if the tool is absent, fails or hangs."""
    try:
        result = subprocess.run(
            list(args),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("%s: %s", args[0], exc)
        return None
    if result.returncode != 0:
        logger.debug("%s exited %d: %s", args[0], result.returncode, result.stderr.strip()[:200])
        return None
    return result.stdout


def load_nvml() -> Any | None:
    """The ``pynvml`` module (package nvidia-ml-py) if installed, else None."""
    try:
        import pynvml  # type: ignore[import-not-found]
    except ImportError:
        return None
    return pynvml


# ---- results ------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuInfo:
    model: str | None
    """e.g. "AMD Ryzen 7 5800X 8-Core Processor"; None when unknown."""
    physical_cores: int
    logical_cores: int
    instruction_sets: tuple[str, ...]
    """The ones llama.cpp cares about ("AVX2", "FMA", "NEON", ...); empty when unknown."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["instruction_sets"] = list(self.instruction_sets)
        return data


@dataclass(frozen=True)
class GpuInfo:
    name: str
    vendor: str
    """"nvidia", "apple", "amd", "intel" or "unknown"."""
    total_bytes: int | None
    """Memory of the card; for unified memory, the computer's RAM. None when unknown."""
    free_bytes: int | None
    """What llama.cpp can use now. For unified memory (Apple Silicon) this is Metal's
    recommended working set, the limit llama.cpp's Metal backend reports as the
    device's free memory. None when unknown (e.g. found through vulkaninfo only)."""
    unified: bool = False
    driver: str | None = None
    source: str = ""
    """Where this came from: "nvml", "nvidia-smi", "sysctl" or "vulkaninfo"."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HardwareInfo:
    cpu: CpuInfo
    ram_total: int
    ram_free: int
    gpus: tuple[GpuInfo, ...]
    backend: str
    """The engine's build: "cpu", "cuda", "metal", "vulkan", "gpu" or "unknown"."""
    gpu_offload: bool = False
    """Whether the installed engine can put layers on a GPU at all."""
    engine_version: str | None = None
    notes: tuple[str, ...] = field(default=())
    """Plain sentences about what could not be checked, for the user to read."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``desktop-llm info --json``'s ``hardware``, ``hardware --json``)."""
        return {
            "cpu": self.cpu.to_dict(),
            "ram": {"total": self.ram_total, "free": self.ram_free},
            "gpus": [g.to_dict() for g in self.gpus],
            "backend": self.backend,
            "gpu_offload": self.gpu_offload,
            "engine_version": self.engine_version,
            "notes": list(self.notes),
            "reinstall_command": reinstall_command(self) or None,
        }

    def summary_lines(self) -> list[str]:
        """The same in words, one line per topic (CLI ``hardware``, Settings > Hardware)."""
        cpu = self.cpu
        isa = " ".join(cpu.instruction_sets) or "instruction sets unknown"
        lines = [
            f"CPU: {cpu.model or 'unknown model'}, {cpu.physical_cores} cores "
            f"({cpu.logical_cores} threads); {isa}",
            f"RAM: {format_size(self.ram_total)} total, {format_size(self.ram_free)} free",
        ]
        if not self.gpus:
            lines.append("GPU: none found")
        for gpu in self.gpus:
            lines.append(f"GPU: {describe_gpu(gpu)}")
        version = f"llama-cpp-python {self.engine_version}" if self.engine_version else "engine"
        offload = "can offload to the GPU" if self.gpu_offload else "CPU only"
        lines.append(f"Engine: {version}, backend {self.backend} ({offload})")
        command = reinstall_command(self)
        if command:
            lines.append("To use the GPU, reinstall the engine with:")
            lines.extend(f"  {line}" for line in command.splitlines())
        lines.extend(f"Note: {note}" for note in self.notes)
        return lines


def describe_gpu(gpu: GpuInfo) -> str:
    if gpu.unified:
        memory = (
            f"unified memory, {format_size(gpu.free_bytes)} usable by the GPU of "
            f"{format_size(gpu.total_bytes)}"
            if gpu.free_bytes is not None and gpu.total_bytes is not None
            else "unified memory"
        )
    elif gpu.total_bytes is not None:
        free = f", {format_size(gpu.free_bytes)} free" if gpu.free_bytes is not None else ""
        memory = f"{format_size(gpu.total_bytes)}{free}"
    else:
        memory = "memory unknown"
    driver = f", driver {gpu.driver}" if gpu.driver else ""
    return f"{gpu.name} ({memory}{driver})"


# ---- CPU ------------------------------------------------------------------------------

# /proc/cpuinfo flag or macOS feature name -> what llama.cpp's system info calls it.
_X86_FLAGS = {
    "sse3": "SSE3",
    "pni": "SSE3",
    "ssse3": "SSSE3",
    "sse4_1": "SSE4.1",
    "sse4.1": "SSE4.1",
    "sse4_2": "SSE4.2",
    "sse4.2": "SSE4.2",
    "avx": "AVX",
    "avx1.0": "AVX",
    "avx2": "AVX2",
    "fma": "FMA",
    "f16c": "F16C",
    "bmi2": "BMI2",
    "avx_vnni": "AVX_VNNI",
    "avx512f": "AVX512",
    "avx512bw": "AVX512BW",
    "avx512vl": "AVX512VL",
    "avx512_vnni": "AVX512_VNNI",
    "avx512vnni": "AVX512_VNNI",
    "avx512_bf16": "AVX512_BF16",
    "amx_int8": "AMX_INT8",
}
_ARM_FLAGS = {
    "asimd": "NEON",
    "neon": "NEON",
    "asimddp": "DOTPROD",
    "feat_dotprod": "DOTPROD",
    "arm_feat_dotprod": "DOTPROD",
    "asimdhp": "FP16_VA",
    "feat_fp16": "FP16_VA",
    "arm_feat_fp16": "FP16_VA",
    "i8mm": "MATMUL_INT8",
    "feat_i8mm": "MATMUL_INT8",
    "arm_feat_i8mm": "MATMUL_INT8",
    "sve": "SVE",
    "sve2": "SVE2",
    "sme": "SME",
    "feat_sme": "SME",
    "arm_feat_sme": "SME",
}
_FLAGS = {**_X86_FLAGS, **_ARM_FLAGS}
_ORDER = list(dict.fromkeys(_FLAGS.values()))

# llama_print_system_info: "CPU : SSE3 = 1 | AVX2 = 1 | ..."
_SYSTEM_INFO_FLAG = re.compile(r"([A-Z0-9_.]+) = 1")


def instruction_sets(flags: Sequence[str]) -> tuple[str, ...]:
    """The llama.cpp-relevant names among raw CPU flags, in a stable order."""
    found = {_FLAGS.get(f.lower(), f.upper()) for f in flags}
    return tuple(name for name in _ORDER if name in found)


def parse_cpuinfo(text: str) -> tuple[str | None, tuple[str, ...]]:
    """CPU model and instruction sets from the text of Linux's /proc/cpuinfo."""
    model: str | None = None
    flags: list[str] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if model is None and key in ("model name", "hardware", "cpu model") and value:
            model = value
        elif not flags and key in ("flags", "features"):
            flags = value.split()
    return model, instruction_sets(flags)


def detect_cpu(
    run: Runner = run_command,
    *,
    system: str | None = None,
    cpuinfo_text: str | None = None,
    engine_system_info: str = "",
) -> tuple[CpuInfo, list[str]]:
    """The CPU and notes about what could not be read.

    Linux reads /proc/cpuinfo, macOS asks sysctl; elsewhere (Windows) the model comes
    from ``platform.processor()`` and the instruction sets from what the engine was
    built to use (``llama_print_system_info``), which is the best available there.
    """
    system = system or platform.system()
    notes: list[str] = []
    model: str | None = None
    isa: tuple[str, ...] = ()
    if system == "Linux":
        if cpuinfo_text is None:
            try:
                cpuinfo_text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
            except OSError:
                cpuinfo_text = ""
        model, isa = parse_cpuinfo(cpuinfo_text)
    elif system == "Darwin":
        brand = run(["sysctl", "-n", "machdep.cpu.brand_string"])
        model = brand.strip() if brand and brand.strip() else None
        features = run(["sysctl", "-n", "machdep.cpu.features", "machdep.cpu.leaf7_features"])
        flags = features.split() if features else []
        optional = run(["sysctl", "hw.optional"])
        for line in (optional or "").splitlines():
            # "hw.optional.arm.FEAT_DotProd: 1", "hw.optional.neon: 1", "hw.optional.avx2_0: 1"
            name, _, value = line.partition(":")
            if value.strip() == "1":
                leaf = name.strip().rsplit(".", 1)[-1].lower()
                flags.append(re.sub(r"_0$", "", leaf))
        isa = instruction_sets(flags)
    else:
        model = platform.processor() or None
    if not isa and engine_system_info:
        isa = instruction_sets(_SYSTEM_INFO_FLAG.findall(engine_system_info))
        if isa:
            notes.append("instruction sets are the ones the engine was built to use")
    if model is None:
        notes.append("the CPU model is unknown on this system")
    if not isa:
        notes.append("the CPU's instruction sets could not be read")
    logical = os.cpu_count() or 1
    return CpuInfo(model, physical_cores(), logical, isa), notes


def physical_cores() -> int:
    """Physical cores, the right default thread count for llama.cpp.

    llama-cpp-python defaults to ``cpu_count() // 2``, which is one thread on a
    two-core machine and wastes half of it.
    """
    try:
        cores = psutil.cpu_count(logical=False)
    except Exception:  # psutil can fail in odd containers; the logical count is a fine floor
        logger.debug("psutil could not count physical cores", exc_info=True)
        cores = None
    return max(1, cores or os.cpu_count() or 1)


def free_ram_bytes() -> int:
    return int(psutil.virtual_memory().available)


def total_ram_bytes() -> int:
    return int(psutil.virtual_memory().total)


# ---- GPUs -----------------------------------------------------------------------------

NVIDIA_SMI_QUERY = (
    "nvidia-smi",
    "--query-gpu=name,memory.total,memory.free,driver_version",
    "--format=csv,noheader,nounits",
)


def parse_nvidia_smi(text: str) -> list[GpuInfo]:
    """GPUs from ``nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version
    --format=csv,noheader,nounits`` (memory in MiB; "[N/A]" where a value is unknown)."""
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 4 or not parts[0]:
            continue
        # A GPU name may contain commas; the last three fields never do.
        name = ", ".join(parts[:-3])
        total, free, driver = parts[-3:]
        gpus.append(
            GpuInfo(
                name=name,
                vendor="nvidia",
                total_bytes=_mib(total),
                free_bytes=_mib(free),
                driver=driver if driver and not driver.startswith("[") else None,
                source="nvidia-smi",
            )
        )
    return gpus


def _mib(value: str) -> int | None:
    try:
        return int(float(value) * _MIB)
    except ValueError:
        return None


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def nvml_gpus(nvml: Any) -> list[GpuInfo]:
    """GPUs through NVML (the ``pynvml`` module). Raises whatever NVML raises
    (NVMLError when no driver is loaded); the caller falls back to nvidia-smi."""
    nvml.nvmlInit()
    try:
        driver = _text(nvml.nvmlSystemGetDriverVersion())
        gpus = []
        for index in range(int(nvml.nvmlDeviceGetCount())):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            gpus.append(
                GpuInfo(
                    name=_text(nvml.nvmlDeviceGetName(handle)),
                    vendor="nvidia",
                    total_bytes=int(memory.total),
                    free_bytes=int(memory.free),
                    driver=driver,
                    source="nvml",
                )
            )
        return gpus
    finally:
        nvml.nvmlShutdown()


def detect_nvidia(run: Runner, nvml: Any | None) -> tuple[list[GpuInfo], str | None]:
    """NVIDIA GPUs through NVML, else nvidia-smi; and a note when neither answered."""
    if nvml is not None:
        try:
            return nvml_gpus(nvml), None
        except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
            logger.info("NVML did not answer (%s); trying nvidia-smi", exc)
    output = run(NVIDIA_SMI_QUERY)
    if output is None:
        return [], "no NVIDIA GPU found (nvidia-smi is not installed or did not answer)"
    return parse_nvidia_smi(output), None


def metal_working_set(total_bytes: int, wired_limit_mb: int | None = None) -> int:
    """How much of Apple Silicon's unified memory Metal lets the GPU use.

    llama.cpp's Metal backend reports ``MTLDevice.recommendedMaxWorkingSetSize`` as
    the device's free memory. macOS sets it to about 2/3 of RAM up to 36 GB and 3/4
    above: 16 GB Macs report 10922.67 MB (abetlen/llama-cpp-python#687), 32 GB ones
    21845.34 MB (ollama/ollama#434), 64 GB ones about 48 GB (ggml-org/llama.cpp#1870).
    Larger Macs report a little more than 3/4 (107.5 GiB of 128, antirez/ds4#893), so
    3/4 errs on the safe side. The ``iogpu.wired_limit_mb`` sysctl, when set, is the
    limit Metal then reports.
    """
    if wired_limit_mb:
        return min(total_bytes, wired_limit_mb * _MIB)
    if total_bytes <= 36 * 1024 * _MIB:
        return total_bytes * 2 // 3
    return total_bytes * 3 // 4


def detect_apple(run: Runner) -> list[GpuInfo]:
    """Apple Silicon's GPU: unified memory, sized by sysctl."""
    memsize = _int_or_none(run(["sysctl", "-n", "hw.memsize"]))
    if memsize is None:
        memsize = total_ram_bytes()
    wired = _int_or_none(run(["sysctl", "-n", "iogpu.wired_limit_mb"]))
    brand = (run(["sysctl", "-n", "machdep.cpu.brand_string"]) or "").strip() or "Apple Silicon"
    return [
        GpuInfo(
            name=f"{brand} GPU",
            vendor="apple",
            total_bytes=memsize,
            free_bytes=metal_working_set(memsize, wired),
            unified=True,
            source="sysctl",
        )
    ]


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text.strip()) if text is not None else None
    except ValueError:
        return None


_VULKAN_VENDORS = {0x1002: "amd", 0x1022: "amd", 0x8086: "intel", 0x10DE: "nvidia", 0x106B: "apple"}


def parse_vulkaninfo_summary(text: str) -> list[GpuInfo]:
    """GPUs from ``vulkaninfo --summary`` (its "Devices:" section). The summary has no
    memory sizes, so they stay unknown. Software renderers (llvmpipe) are left out."""
    gpus: list[GpuInfo] = []
    current: dict[str, str] = {}

    def flush() -> None:
        name = current.get("devicename")
        kind = current.get("devicetype", "")
        if name and "CPU" not in kind.upper():
            vendor_id = _int_or_none_hex(current.get("vendorid", ""))
            vendor = _VULKAN_VENDORS.get(vendor_id or -1, "unknown")
            driver = current.get("driverinfo") or current.get("driverversion")
            gpus.append(GpuInfo(name, vendor, None, None, driver=driver, source="vulkaninfo"))
        current.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if re.match(r"^GPU\d+:?$", stripped):
            flush()
            continue
        key, sep, value = stripped.partition("=")
        if sep:
            current[key.strip().lower()] = value.strip()
    flush()
    return gpus


def _int_or_none_hex(text: str) -> int | None:
    try:
        return int(text.split()[0], 0)
    except (ValueError, IndexError):
        return None


def detect_gpus(
    run: Runner = run_command,
    nvml: Any | None = None,
    *,
    system: str | None = None,
    machine: str | None = None,
) -> tuple[list[GpuInfo], list[str]]:
    """Every GPU found, and notes about what could not be checked.

    NVIDIA: NVML (``nvml``, the pynvml module; pass :func:`load_nvml()`), else
    nvidia-smi. Apple Silicon: unified memory through sysctl. AMD and Intel, best
    effort: ``vulkaninfo --summary`` if it is installed (names only, memory unknown).
    """
    system = system or platform.system()
    machine = (machine or platform.machine()).lower()
    notes: list[str] = []
    if system == "Darwin":
        if machine in ("arm64", "aarch64"):
            return detect_apple(run), notes
        notes.append("GPUs of Intel Macs are not detected; llama.cpp runs on their CPU")
        return [], notes
    gpus, note = detect_nvidia(run, nvml)
    if note:
        notes.append(note)
    summary = run(["vulkaninfo", "--summary"])
    if summary is None:
        if not gpus:
            notes.append("AMD and Intel GPUs were not checked (vulkaninfo is not installed)")
        return gpus, notes
    known = {g.name for g in gpus}
    others = [g for g in parse_vulkaninfo_summary(summary) if g.name not in known]
    # NVML/nvidia-smi already listed NVIDIA cards with their memory; Vulkan may name
    # them slightly differently, so drop its NVIDIA entries when NVIDIA answered.
    if gpus:
        others = [g for g in others if g.vendor != "nvidia"]
    if others:
        notes.append("free memory of GPUs found through Vulkan is unknown")
    return gpus + others, notes


# ---- all together ---------------------------------------------------------------------


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


def probe_hardware(log_dir: Path) -> HardwareInfo:
    """Detect this machine, asking a short-lived worker for the engine's backend."""
    # Imported here: the engine worker imports this module (physical_cores).
    from desktop_llm.core.engine.host import probe_engine

    return detect_hardware(probe_engine(log_dir), nvml=load_nvml())


# ---- GPU builds ----------------------------------------------------------------------

_BUILDS = {
    # backend: (make target, CMAKE_ARGS)
    "cuda": ("gpu-cuda", "-DGGML_CUDA=on"),
    "metal": ("gpu-metal", "-DGGML_METAL=on"),
    "vulkan": ("gpu-vulkan", "-DGGML_VULKAN=on"),
}


def wanted_backend(hw: HardwareInfo) -> str | None:
    """The GPU backend this machine's GPUs call for: "cuda", "metal", "vulkan" or None."""
    vendors = {g.vendor for g in hw.gpus}
    if "nvidia" in vendors:
        return "cuda"
    if "apple" in vendors:
        return "metal"
    if vendors & {"amd", "intel", "unknown"}:
        return "vulkan"
    return None


def reinstall_command(hw: HardwareInfo) -> str:
    """The exact commands that rebuild the engine with GPU support for this machine:
    the make target, then the same as a plain pip command. Empty when there is no GPU
    or the engine already uses it."""
    backend = wanted_backend(hw)
    if backend is None or (hw.gpu_offload and hw.backend in (backend, "gpu")):
        return ""
    target, cmake_args = _BUILDS[backend]
    version = hw.engine_version or LLAMA_CPP_VERSION
    python = sys.executable or "python"
    pip = f'CMAKE_ARGS="{cmake_args}" {python} -m pip install --force-reinstall --no-cache-dir'
    return f"make {target}\n{pip} llama-cpp-python=={version}"
