"""Unit-test fixtures for downloads and the Hub: a local hub with tiny GGUF repos, and a
downloader with short timeouts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_llm.core.downloads.downloader import Downloader, DownloaderConfig
from tests.support.gguf_builder import write_tiny_llama
from tests.support.hub_server import HubRepo, HubServer

TINY_REPO = "tester/Tiny-GGUF"
GATED_REPO = "meta/Gated-GGUF"


@pytest.fixture(scope="session")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("hubfiles")
    small = write_tiny_llama(folder / "a.gguf", n_layers=1, seed=1).read_bytes()
    large = write_tiny_llama(folder / "b.gguf", n_layers=3, seed=2).read_bytes()
    return {"tiny.Q4_K_M.gguf": small, "tiny.Q8_0.gguf": large}


@pytest.fixture
def hub(tiny_files: dict[str, bytes]) -> Iterator[HubServer]:
    repos = [
        HubRepo(TINY_REPO, {**tiny_files, "README.md": b"# tiny\n"}, downloads=50, likes=1),
        HubRepo(GATED_REPO, dict(tiny_files), gated=True, downloads=10, likes=9),
        HubRepo(
            "other/Small-GGUF",
            {"small.Q4_0.gguf": tiny_files["tiny.Q4_K_M.gguf"]},
            downloads=30,
            likes=5,
            gguf={"total": 135_000_000, "architecture": "llama", "context_length": 8192},
        ),
    ]
    with HubServer(repos, page_size=2) as server:
        yield server


@pytest.fixture
def downloader() -> Downloader:
    return Downloader(DownloaderConfig(stall_timeout=0.5, retries=3, backoff=0.01, disk_margin=0))


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"
