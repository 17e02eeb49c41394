"""What hardware detection found: the CPU, the GPUs, RAM and the engine's build, with
their JSON form and a summary in words."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from desktop_llm.core.formatting import format_size
from desktop_llm.core.hardware.advice import reinstall_command


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
