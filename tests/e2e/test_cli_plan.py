"""``desktop-llm plan``, ``hardware`` and ``info``'s hardware, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import run
from tests.support.gguf_builder import write_tiny_llama

PLAN_KEYS = {"gpu_layers", "total_layers", "ctx", "weights_bytes", "kv_bytes", "fits"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "cli-home"


def plan_json(home: Path, *args: str) -> dict[str, object]:
    result = run(home, "plan", *args, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_plan_on_this_machine(home: Path, smollm2: Path) -> None:
    data = plan_json(home, str(smollm2))
    assert data.keys() >= PLAN_KEYS | {"description", "ram_bytes", "vram_bytes"}
    assert data["total_layers"] == 30 and data["ctx"] == 4096 and data["fits"] is True
    assert data["kv_bytes"] == 4096 * 30 * 3 * 128 * 2
    text = run(home, "plan", str(smollm2))
    assert text.returncode == 0
    assert text.stdout.startswith("SmolLM2-135M-Instruct, context 4,096 tokens: ")


def test_plan_for_a_described_machine(home: Path, smollm2: Path) -> None:
    card = plan_json(home, str(smollm2), "--vram", "8GB")
    assert (card["gpu_layers"], card["description"]) == (30, "all 30 layers on the GPU")
    cut = plan_json(home, str(smollm2), "--vram", "0", "--ram", "1GB", "--ctx", "8192")
    assert cut["ctx"] == 4096 and cut["fits"] is True
    assert cut["description"] == (
        "CPU only: no GPU found; context cut from 8,192 to 4,096 tokens to fit"
    )
    tiny = run(home, "plan", str(smollm2), "--ram", "300MB", "--vram", "0")
    assert tiny.returncode == 0
    assert "will not fit: needs 371.8 MB of RAM, 300.0 MB free" in tiny.stdout


@pytest.mark.parametrize("size", ["8XB", "lots", "1.5.2GB", "GB"])
def test_bad_size_is_one_line(home: Path, smollm2: Path, size: str) -> None:
    result = run(home, "plan", str(smollm2), "--vram", size)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"desktop-llm: --vram: not a size: {size!r} (write e.g. 8GB, 8G or 512MB)"
    ]


def test_hardware_and_info(home: Path) -> None:
    result = run(home, "hardware", "--json")
    assert result.returncode == 0, result.stderr
    hw = json.loads(result.stdout)
    assert hw.keys() >= {"cpu", "ram", "gpus", "backend", "notes", "reinstall_command"}
    assert hw["cpu"]["physical_cores"] >= 1 and hw["ram"]["total"] > hw["ram"]["free"] > 0
    assert hw["backend"] in {"cpu", "cuda", "metal", "vulkan", "gpu"}
    text = run(home, "hardware")
    assert text.returncode == 0 and text.stdout.startswith("CPU: ")
    info = run(home, "info", "--json")
    assert info.returncode == 0, info.stderr
    data = json.loads(info.stdout)
    assert data["hardware"].keys() >= {"cpu", "ram", "gpus", "backend"}
    assert data["hardware"]["backend"] == data["engine"]["backend"]


def test_plan_counts_every_part_of_a_split_model(home: Path, tmp_path: Path) -> None:
    whole = write_tiny_llama(tmp_path / "whole.gguf", n_layers=4)
    (tmp_path / "split").mkdir()
    first = write_tiny_llama(tmp_path / "split" / "tiny.gguf", n_layers=4, split_max_tensors=12)
    one = plan_json(home, str(whole), "--ctx", "256")
    split = plan_json(home, str(first), "--ctx", "256")
    assert one["weights_bytes"] <= split["weights_bytes"]
    assert split["weights_bytes"] <= sum(p.stat().st_size for p in first.parent.iterdir())
    # A part missing: the first file's own tensors are all the planner can know.
    next(first.parent.glob("tiny-00004-of-*.gguf")).unlink()
    partial = plan_json(home, str(first), "--ctx", "256")
    assert partial["weights_bytes"] < one["weights_bytes"]
