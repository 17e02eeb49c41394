"""Hardware detection with the tools present and absent: nvidia-smi and vulkaninfo
output as those tools print it, a stand-in NVML module, macOS's sysctl answers."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from desktop_llm.core.hardware.advice import reinstall_command
from desktop_llm.core.hardware.detect import (
    NVIDIA_SMI_QUERY,
    detect_cpu,
    detect_gpus,
    parse_cpuinfo,
    parse_nvidia_smi,
    parse_vulkaninfo_summary,
    run_command,
)
from desktop_llm.core.hardware.info import GpuInfo, HardwareInfo
from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.hardware.probe import detect_hardware

MiB = 1 << 20

NVIDIA_SMI_OUTPUT = """\
NVIDIA GeForce RTX 3060, 12288, 11542, 535.129.03
NVIDIA H100 80GB HBM3, 81559, 80465, 535.129.03
"""

VULKANINFO_SUMMARY = """\
==========
VULKANINFO
==========

Vulkan Instance Version: 1.3.275


Devices:
========
GPU0:
\tapiVersion         = 1.3.267
\tdriverVersion      = 23.3.3
\tvendorID           = 0x1002
\tdeviceID           = 0x73df
\tdeviceType         = PHYSICAL_DEVICE_TYPE_DISCRETE_GPU
\tdeviceName         = AMD Radeon RX 6700 XT (RADV NAVI22)
\tdriverID           = DRIVER_ID_MESA_RADV
\tdriverName         = radv
\tdriverInfo         = Mesa 23.3.3
GPU1:
\tapiVersion         = 1.3.267
\tdriverVersion      = 0.0.1
\tvendorID           = 0x10005
\tdeviceID           = 0x0000
\tdeviceType         = PHYSICAL_DEVICE_TYPE_CPU
\tdeviceName         = llvmpipe (LLVM 17.0.6, 256 bits)
\tdriverID           = DRIVER_ID_MESA_LLVMPIPE
"""

CPUINFO_X86 = """\
processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD Ryzen 7 5800X 8-Core Processor
flags\t\t: fpu vme sse sse2 ht pni ssse3 fma cx16 sse4_1 sse4_2 popcnt avx f16c avx2 bmi2

processor\t: 1
model name\t: AMD Ryzen 7 5800X 8-Core Processor
flags\t\t: fpu vme sse sse2 ht pni ssse3 fma cx16 sse4_1 sse4_2 popcnt avx f16c avx2 bmi2
"""

CPUINFO_ARM = """\
processor\t: 0
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp asimddp i8mm
CPU implementer\t: 0x41
"""


class FakeTools:
    """A runner that answers the commands it knows, like the real tools would, and
    None (tool missing) for anything else. Records what was asked."""

    def __init__(self, answers: dict[tuple[str, ...], str]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, ...]] = []

    def __call__(self, args: Sequence[str]) -> str | None:
        self.asked.append(tuple(args))
        return self.answers.get(tuple(args))


def fake_nvml(*gpus: tuple[str, int, int], fail: Exception | None = None) -> Any:
    """A stand-in for the pynvml module with the calls detection makes."""
    calls: list[str] = []

    def init() -> None:
        calls.append("init")
        if fail is not None:
            raise fail

    return SimpleNamespace(
        calls=calls,
        nvmlInit=init,
        nvmlShutdown=lambda: calls.append("shutdown"),
        nvmlSystemGetDriverVersion=lambda: "550.54.15",
        nvmlDeviceGetCount=lambda: len(gpus),
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetName=lambda h: gpus[h][0].encode(),  # older pynvml returns bytes
        nvmlDeviceGetMemoryInfo=lambda h: SimpleNamespace(
            total=gpus[h][1], free=gpus[h][2], used=gpus[h][1] - gpus[h][2]
        ),
    )


def test_parse_nvidia_smi() -> None:
    gpus = parse_nvidia_smi(NVIDIA_SMI_OUTPUT)
    assert [g.name for g in gpus] == ["NVIDIA GeForce RTX 3060", "NVIDIA H100 80GB HBM3"]
    assert gpus[0].total_bytes == 12288 * MiB and gpus[0].free_bytes == 11542 * MiB
    assert gpus[0].driver == "535.129.03" and gpus[0].vendor == "nvidia"
    assert not gpus[0].unified
    # Some fields are "[N/A]" on some boards; they become unknown, not errors.
    (odd,) = parse_nvidia_smi("NVIDIA A100-SXM4-40GB, 40960, [N/A], [N/A]\n\n")
    assert odd.free_bytes is None and odd.driver is None and odd.total_bytes == 40960 * MiB


def test_nvidia_smi_present() -> None:
    tools = FakeTools({NVIDIA_SMI_QUERY: NVIDIA_SMI_OUTPUT})
    gpus, notes = detect_gpus(tools, None, system="Linux", machine="x86_64")
    assert [g.source for g in gpus] == ["nvidia-smi", "nvidia-smi"]
    assert NVIDIA_SMI_QUERY in tools.asked
    assert notes == []  # vulkaninfo missing doesn't matter once NVIDIA answered


def test_no_gpu_tools_at_all() -> None:
    gpus, notes = detect_gpus(FakeTools({}), None, system="Linux", machine="x86_64")
    assert gpus == []
    assert notes == [
        "no NVIDIA GPU found (nvidia-smi is not installed or did not answer)",
        "AMD and Intel GPUs were not checked (vulkaninfo is not installed)",
    ]


def test_nvml_first() -> None:
    nvml = fake_nvml(("NVIDIA GeForce RTX 4090", 24564 * MiB, 23000 * MiB))
    tools = FakeTools({NVIDIA_SMI_QUERY: NVIDIA_SMI_OUTPUT})
    gpus, _ = detect_gpus(tools, nvml, system="Linux", machine="x86_64")
    assert gpus == [
        GpuInfo(
            "NVIDIA GeForce RTX 4090",
            "nvidia",
            24564 * MiB,
            23000 * MiB,
            driver="550.54.15",
            source="nvml",
        )
    ]
    assert NVIDIA_SMI_QUERY not in tools.asked
    assert nvml.calls == ["init", "shutdown"]


def test_nvml_without_a_driver_falls_back_to_nvidia_smi() -> None:
    class NVMLError(Exception):
        pass

    nvml = fake_nvml(fail=NVMLError("Driver Not Loaded"))
    tools = FakeTools({NVIDIA_SMI_QUERY: NVIDIA_SMI_OUTPUT})
    gpus, _ = detect_gpus(tools, nvml, system="Linux", machine="x86_64")
    assert [g.source for g in gpus] == ["nvidia-smi", "nvidia-smi"]


def test_vulkan_finds_amd_without_memory() -> None:
    tools = FakeTools({("vulkaninfo", "--summary"): VULKANINFO_SUMMARY})
    gpus, notes = detect_gpus(tools, None, system="Linux", machine="x86_64")
    assert [(g.name, g.vendor, g.total_bytes) for g in gpus] == [
        ("AMD Radeon RX 6700 XT (RADV NAVI22)", "amd", None)
    ]
    assert gpus[0].driver == "Mesa 23.3.3"
    assert "free memory of GPUs found through Vulkan is unknown" in notes
    assert parse_vulkaninfo_summary("") == []


def test_apple_silicon_unified_memory() -> None:
    tools = FakeTools(
        {
            ("sysctl", "-n", "hw.memsize"): "17179869184\n",
            ("sysctl", "-n", "iogpu.wired_limit_mb"): "0\n",
            ("sysctl", "-n", "machdep.cpu.brand_string"): "Apple M2\n",
        }
    )
    (gpu,) = detect_gpus(tools, None, system="Darwin", machine="arm64")[0]
    assert gpu.name == "Apple M2 GPU" and gpu.vendor == "apple" and gpu.unified
    assert gpu.total_bytes == 16 << 30
    assert gpu.free_bytes == (16 << 30) * 2 // 3
    tools.answers[("sysctl", "-n", "iogpu.wired_limit_mb")] = "14000"
    (raised,) = detect_gpus(tools, None, system="Darwin", machine="arm64")[0]
    assert raised.free_bytes == 14000 * MiB


def test_cpu_from_proc_cpuinfo() -> None:
    model, isa = parse_cpuinfo(CPUINFO_X86)
    assert model == "AMD Ryzen 7 5800X 8-Core Processor"
    assert isa == ("SSE3", "SSSE3", "SSE4.1", "SSE4.2", "AVX", "AVX2", "FMA", "F16C", "BMI2")
    model, isa = parse_cpuinfo(CPUINFO_ARM)
    assert model is None
    assert isa == ("NEON", "DOTPROD", "FP16_VA", "MATMUL_INT8")


def test_cpu_on_macos_and_elsewhere() -> None:
    tools = FakeTools(
        {
            ("sysctl", "-n", "machdep.cpu.brand_string"): "Apple M2\n",
            ("sysctl", "hw.optional"): "hw.optional.arm.FEAT_DotProd: 1\n"
            "hw.optional.arm.FEAT_I8MM: 0\nhw.optional.neon: 1\n",
        }
    )
    cpu, notes = detect_cpu(tools, system="Darwin")
    assert cpu.model == "Apple M2" and cpu.instruction_sets == ("NEON", "DOTPROD")
    assert notes == []
    # Windows: no tool to ask; the engine's build flags stand in for the CPU's.
    cpu, notes = detect_cpu(
        FakeTools({}), system="Windows", engine_system_info="CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 |"
    )
    assert cpu.instruction_sets == ("SSE3", "AVX", "AVX2")
    assert "instruction sets are the ones the engine was built to use" in notes


def test_detect_hardware_and_its_json() -> None:
    engine = {"version": "0.3.36", "backend": "cpu", "gpu_offload": False, "system_info": ""}
    tools = FakeTools({NVIDIA_SMI_QUERY: NVIDIA_SMI_OUTPUT})
    hw = detect_hardware(
        engine, run=tools, system="Linux", machine="x86_64", cpuinfo_text=CPUINFO_X86
    )
    data = hw.to_dict()
    assert {"cpu", "ram", "gpus", "backend"} <= data.keys()
    assert data["backend"] == "cpu" and data["ram"]["total"] > 0
    assert data["cpu"]["instruction_sets"][:2] == ["SSE3", "SSSE3"]
    assert data["gpus"][0]["total_bytes"] == 12288 * MiB
    assert data["reinstall_command"].startswith("make gpu-cuda\n")
    text = "\n".join(hw.summary_lines())
    assert "GPU: NVIDIA GeForce RTX 3060 (12.9 GB, 12.1 GB free, driver 535.129.03)" in text
    assert "Engine: llama-cpp-python 0.3.36, backend cpu (CPU only)" in text
    # The planner sees the GPUs, and that this engine can't use them.
    machine = Machine.from_hardware(hw)
    assert machine.gpu_free == (11542 * MiB, 80465 * MiB) and not machine.offload


def test_unknown_engine_is_said_plainly() -> None:
    hw = detect_hardware(None, run=FakeTools({}), system="Linux", cpuinfo_text="")
    assert hw.backend == "unknown"
    assert "the engine's backend is unknown: it was not asked" in hw.notes
    assert "the CPU's instruction sets could not be read" in hw.notes


def _hw(backend: str, offload: bool, *gpus: GpuInfo) -> HardwareInfo:
    cpu, _ = detect_cpu(FakeTools({}), system="Linux", cpuinfo_text="")
    return HardwareInfo(cpu, 1, 1, gpus, backend, offload, "0.3.36")


NVIDIA = GpuInfo("RTX", "nvidia", 8 << 30, 7 << 30)
APPLE = GpuInfo("Apple M2 GPU", "apple", 16 << 30, 10 << 30, unified=True)
AMD = GpuInfo("Radeon", "amd", None, None)


@pytest.mark.parametrize(
    ("hw", "target", "cmake"),
    [
        (_hw("cpu", False, NVIDIA), "make gpu-cuda", "-DGGML_CUDA=on"),
        (_hw("cpu", False, APPLE), "make gpu-metal", "-DGGML_METAL=on"),
        (_hw("cpu", False, AMD), "make gpu-vulkan", "-DGGML_VULKAN=on"),
        (_hw("vulkan", True, NVIDIA), "make gpu-cuda", "-DGGML_CUDA=on"),
    ],
)
def test_reinstall_command(hw: HardwareInfo, target: str, cmake: str) -> None:
    make, pip = reinstall_command(hw).splitlines()
    assert make == target
    assert pip == (
        f'CMAKE_ARGS="{cmake}" {sys.executable} -m pip install --force-reinstall'
        " --no-cache-dir llama-cpp-python==0.3.36"
    )


def test_no_reinstall_when_nothing_to_gain() -> None:
    assert reinstall_command(_hw("cpu", False)) == ""
    assert reinstall_command(_hw("cuda", True, NVIDIA)) == ""
    assert reinstall_command(_hw("metal", True, APPLE)) == ""


def test_run_command_never_raises() -> None:
    assert run_command([sys.executable, "-c", "print('ok')"]) == "ok\n"
    assert run_command(["desktop-llm-no-such-tool-here"]) is None
    assert run_command([sys.executable, "-c", "raise SystemExit(3)"]) is None
    assert run_command([sys.executable, "-c", "import time; time.sleep(5)"], timeout_s=0.2) is None
