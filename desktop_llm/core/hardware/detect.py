"""What this computer has: CPU, RAM and GPUs.

Detection never crashes and never guesses: a tool that is missing, slow or answers
nonsense leaves the value unknown (None) and adds a plain note saying what could not
be checked. Everything that touches the system comes in as an argument (a ``run``
callable for subprocesses, the ``pynvml`` module or None, the text of /proc/cpuinfo),
so tests describe a machine by feeding real-looking tool output.

The results are the dataclasses of ``info``; ``probe`` adds the engine's answer and
``advice`` says which engine build the GPUs found call for.
"""

from __future__ import annotations

import logging
import os
import platform
import re
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from desktop_llm.core.hardware.info import CpuInfo, GpuInfo

logger = logging.getLogger(__name__)

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
    import psutil  # in each function: start-up doesn't need it (~15 ms)

    try:
        cores = psutil.cpu_count(logical=False)
    except Exception:  # psutil can fail in odd containers; the logical count is a fine floor
        logger.debug("psutil could not count physical cores", exc_info=True)
        cores = None
    return max(1, cores or os.cpu_count() or 1)


def free_ram_bytes() -> int:
    import psutil

    return int(psutil.virtual_memory().available)


def total_ram_bytes() -> int:
    import psutil

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
