"""``desktop-llm bench`` through the real engine worker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import run

BENCH_KEYS = {
    "model",
    "threads",
    "ctx",
    "load_s",
    "prompt_tps",
    "gen_tps",
    "ttft_s",
    "peak_mem_bytes",
}


@pytest.mark.model
def test_bench_json_has_the_stable_keys_and_sane_values(tmp_path: Path, smollm2: Path) -> None:
    out = run(
        tmp_path / "home",
        "bench",
        str(smollm2),
        "--repeat",
        "2",
        "--prompt-tokens",
        "64",
        "--gen-tokens",
        "16",
        "--ctx",
        "256",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report) >= BENCH_KEYS
    assert report["ctx"] == 256
    assert report["repeat"] == 2 and len(report["runs"]) == 2
    assert report["load_s"] > 0 and report["ttft_s"] > 0
    assert report["prompt_tps"] > 0 and report["gen_tps"] > 0
    # the worker holds the model's weights (98 MB file) at least partly in memory
    assert 20_000_000 < report["peak_mem_bytes"] < 4_000_000_000
    assert set(report["spread"]) == {"load_s", "prompt_tps", "gen_tps", "ttft_s", "peak_mem_bytes"}


@pytest.mark.model
def test_bench_text_output(tmp_path: Path, smollm2: Path) -> None:
    out = run(
        tmp_path / "home",
        "bench",
        str(smollm2),
        "--repeat",
        "1",
        "--prompt-tokens",
        "32",
        "--gen-tokens",
        "8",
        "--ctx",
        "128",
    )
    assert out.returncode == 0, out.stderr
    for label in ("load", "prompt", "generation", "first token", "peak memory"):
        assert label in out.stdout


def test_bench_refuses_tokens_beyond_the_context(tmp_path: Path, smollm2: Path) -> None:
    out = run(tmp_path / "home", "bench", str(smollm2), "--ctx", "128", "--prompt-tokens", "512")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "context length" in out.stderr and "Traceback" not in out.stderr
