"""`desktop-llm search | files | pull` as a user runs them, against the local hub."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_llm.core.models.library import STARTER_NAME
from desktop_llm.paths import HOME_ENV
from tests.support.gguf_builder import write_tiny_llama
from tests.support.hub_server import HubRepo, HubServer

ROOT = Path(__file__).resolve().parents[2]
REPO = "tester/Tiny-GGUF"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("hub")
    return {
        "tiny.Q4_K_M.gguf": write_tiny_llama(folder / "a.gguf", n_layers=1).read_bytes(),
        "tiny.Q8_0.gguf": write_tiny_llama(folder / "b.gguf", n_layers=4, seed=3).read_bytes(),
    }


@pytest.fixture
def hub(files: dict[str, bytes]) -> Iterator[HubServer]:
    repos = [
        HubRepo(REPO, dict(files), downloads=5),
        HubRepo("meta/Gated-GGUF", dict(files), gated=True),
        # one part of two: nothing to offer, and the listing says why
        HubRepo("tester/Half-GGUF", {"half.Q8_0-00001-of-00002.gguf": files["tiny.Q8_0.gguf"]}),
    ]
    with HubServer(repos) as server:
        yield server


def env(home: Path, hub: HubServer) -> dict[str, str]:
    e = dict(os.environ)
    e.update({HOME_ENV: str(home), "HF_ENDPOINT": hub.url, "PYTHONUNBUFFERED": "1"})
    e.pop("HF_TOKEN", None)
    return e


def cli(home: Path, hub: HubServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_llm", *args],
        capture_output=True,
        text=True,
        env=env(home, hub),
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_search_files_pull(isolated_home: Path, hub: HubServer) -> None:
    found = cli(isolated_home, hub, "search", "tiny", "--json")
    assert found.returncode == 0, found.stderr
    assert [r["id"] for r in json.loads(found.stdout)] == [REPO]

    listed = cli(isolated_home, hub, "files", REPO, "--ctx", "256", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["file"] for r in rows] == ["tiny.Q4_K_M.gguf", "tiny.Q8_0.gguf"]
    assert {"file", "quant", "size", "fit", "gpu_layers", "recommended"} <= rows[0].keys()
    assert [r["recommended"] for r in rows] == [False, True]

    pulled = cli(isolated_home, hub, "pull", REPO, "Q4_K_M")
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.strip() == "tiny"
    models = json.loads(cli(isolated_home, hub, "models", "--json").stdout)
    mine = [m for m in models if m["name"] == "tiny"]
    assert mine and mine[0]["owned"]
    assert mine[0]["path"].endswith(f"models/{REPO}/tiny.Q4_K_M.gguf")


def test_pull_killed_then_resumed(isolated_home: Path, hub: HubServer) -> None:
    name = "tiny.Q8_0.gguf"
    size = len(hub.repos[REPO].data(name))
    # Headers first (cached), so the stall hits the download, not the header's Range read.
    assert cli(isolated_home, hub, "files", REPO).returncode == 0
    header_bytes = hub.bytes_sent(name)
    hub.faults.stall_after, hub.faults.stall_seconds = size // 2, 60
    part = isolated_home / "data" / "models" / REPO / f"{name}.part"
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop_llm", "pull", REPO, name],
        env=env(isolated_home, hub),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size >= size // 2):
            assert time.monotonic() < deadline, "the download never reached half"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert part.exists()
    resumed = cli(isolated_home, hub, "pull", REPO, name)
    assert resumed.returncode == 0, resumed.stderr
    assert hub.bytes_sent(name) - header_bytes <= 1.1 * size
    assert not part.exists()


def test_clear_errors(isolated_home: Path, hub: HubServer) -> None:
    gated = cli(isolated_home, hub, "pull", "meta/Gated-GGUF")
    assert gated.returncode == 2
    assert "accept its license" in gated.stderr and "Traceback" not in gated.stderr
    unknown = cli(isolated_home, hub, "files", "nobody/nothing")
    assert unknown.returncode == 2
    assert "no model repository 'nobody/nothing'" in unknown.stderr
    hub.stop()
    offline = cli(isolated_home, hub, "search", "tiny")
    assert offline.returncode == 2
    assert offline.stderr.startswith("desktop-llm: no connection to Hugging Face")
    assert cli(isolated_home, hub, "models").returncode == 0  # installed models still work


def test_files_names_an_incomplete_split_model(isolated_home: Path, hub: HubServer) -> None:
    listed = cli(isolated_home, hub, "files", "tester/Half-GGUF")
    assert listed.returncode == 0, listed.stderr
    assert "only incomplete split models: half.Q8_0 (1 of 2 parts)" in listed.stdout


def test_search_limit_must_be_positive(isolated_home: Path, hub: HubServer) -> None:
    out = cli(isolated_home, hub, "search", "tiny", "--limit", "-1")
    assert out.returncode == 2 and "expected 1 or more" in out.stderr
    assert "Traceback" not in out.stderr


def test_pulling_a_file_already_installed_another_way_downloads_nothing(
    isolated_home: Path, smollm2: Path
) -> None:
    # The starter model is the Hub's SmolLM2 file: pulling it must not fetch 98 MB again.
    repo = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
    with HubServer([HubRepo(repo, {smollm2.name: smollm2})]) as hub:
        pulled = cli(isolated_home, hub, "pull", repo, smollm2.name)
        assert pulled.returncode == 0, pulled.stderr
        assert pulled.stdout.strip() == STARTER_NAME
        assert f"already installed as '{STARTER_NAME}'" in pulled.stderr
        assert hub.bytes_sent(smollm2.name) < 8 << 20  # the header's Range reads only
    assert not list((isolated_home / "data" / "models").rglob("*.gguf"))


def test_two_pulls_of_one_file_are_kept_apart(isolated_home: Path, hub: HubServer) -> None:
    # The second writer of a .part stops at once and says why; the first one, killed
    # with -9, leaves its lock file but not its lock, and a third pull resumes.
    name = "tiny.Q8_0.gguf"
    size = len(hub.repos[REPO].data(name))
    assert cli(isolated_home, hub, "files", REPO).returncode == 0  # headers cached first
    hub.faults.stall_after, hub.faults.stall_seconds = size // 2, 60
    part = isolated_home / "data" / "models" / REPO / f"{name}.part"
    first = subprocess.Popen(
        [sys.executable, "-m", "desktop_llm", "pull", REPO, name],
        env=env(isolated_home, hub),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size >= size // 2):
            assert time.monotonic() < deadline, "the download never reached half"
            time.sleep(0.05)
        second = cli(isolated_home, hub, "pull", REPO, name)
        assert second.returncode == 2, second.stderr
        assert (
            f"{name} is already being downloaded by another process (pid {first.pid})"
            in second.stderr
        )
        assert "Traceback" not in second.stderr
        assert part.stat().st_size >= size // 2  # the first one's bytes are untouched
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    third = cli(isolated_home, hub, "pull", REPO, name)
    assert third.returncode == 0, third.stderr
    assert (isolated_home / "data" / "models" / REPO / name).read_bytes() == hub.repos[REPO].data(
        name
    )


def test_pull_says_when_there_is_no_checksum(isolated_home: Path, hub: HubServer) -> None:
    hub.faults.no_sha256 = True
    pulled = cli(isolated_home, hub, "pull", REPO, "Q4_K_M")
    assert pulled.returncode == 0, pulled.stderr
    assert "tiny.Q4_K_M.gguf: not verified: the server gave no checksum" in pulled.stderr
    assert pulled.stdout.strip() == "tiny"
