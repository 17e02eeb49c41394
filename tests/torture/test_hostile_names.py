"""Hostile file names from the Hub (issue 17): path traversal, absolute paths, NUL, very
long names, names Windows reserves, and two files that differ only in case. Each is
listed by the real local Hub server (tests/support/hub_server.py), read by the real
huggingface_hub client (core/hub/client.py), planned (core/hub/install.py, which asks
core/downloads/safe_paths.py for the destination) and, when accepted, downloaded by the
real downloader. A refused name is a DownloadError (a UserError) before any byte is
written; an accepted one lands inside the models folder; nothing lands anywhere else
and no file overwrites another.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_llm.core.downloads.downloader import Downloader, DownloaderConfig
from desktop_llm.core.downloads.errors import DownloadError
from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.hub.client import HubClient
from desktop_llm.core.hub.install import plan
from desktop_llm.errors import UserError
from tests.support.gguf_builder import write_tiny_llama
from tests.support.hub_server import HubRepo, HubServer
from tests.torture.conftest import Campaign

REPO = "hostile/Names-GGUF"
PLENTY = Machine(ram_free=10**12)

REFUSED = [
    "../../evil.gguf",
    "../evil.gguf",
    "sub/../../evil.gguf",
    "sub/./evil.gguf",
    "/tmp/evil.gguf",
    "//server/share/evil.gguf",
    "~/evil.gguf",
    "C:/evil.gguf",
    "c:evil.gguf",
    "..\\..\\evil.gguf",
    "sub\\..\\evil.gguf",
    "evil\x00.gguf",
    "evil\x00/../../x.gguf",
    "evil\n.gguf",
    "evil\x1b[31m.gguf",
    "sub//evil.gguf",
    "a" * 300 + ".gguf",
    "c" * 250 + ".gguf",  # 255 bytes fit a disk, its .part.lock does not
    "sub/" + "b" * 256 + "/evil.gguf",
    "é" * 130 + ".gguf",  # 260 bytes in UTF-8
    "/".join(["d"] * 600) + ".gguf",  # over 1024 characters
    "CON.gguf",
    "nul.gguf",
    "com1.gguf",
    "sub./evil.gguf",
    "sub /evil.gguf",
    "stream:evil.gguf",
]
ACCEPTED = [
    "%2e%2e/literal-percent.gguf",  # a folder named %2e%2e, not ..
    "\uff0e\uff0e/fullwidth-dots.gguf",
    "ünïcödé-名前.gguf",
    "dots..in..name.gguf",
    "Q4_K_M/nested/deeper.gguf",
    "c" * 240 + ".gguf",  # 245 bytes: the longest whose .part.lock (255) fits a disk
]
CASE_PAIR = ("Tiny-Q8_0.gguf", "tiny-q8_0.gguf")


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    folder = tmp_path_factory.mktemp("names")
    one = write_tiny_llama(folder / "one.gguf", seed=1, n_layers=1).read_bytes()
    two = write_tiny_llama(folder / "two.gguf", seed=2, n_layers=1).read_bytes()
    return one, two


def everything_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_hostile_names(
    model_bytes: tuple[bytes, bytes], campaign: Campaign, tmp_path: Path
) -> None:
    one, two = model_bytes
    names = [*REFUSED, *ACCEPTED]
    files: dict[str, bytes | Path] = {name: one for name in names}
    files[CASE_PAIR[0]], files[CASE_PAIR[1]] = one, two
    root = tmp_path / "world"
    models = root / "home" / "models"
    models.mkdir(parents=True)
    outside_before = everything_under(root)
    downloader = Downloader(DownloaderConfig(retries=1, backoff=0.01))
    outcomes = {"refused": 0, "downloaded inside": 0, "case clash refused": 0}
    failures: list[str] = []
    rounds = campaign.scale(1, 5)
    with HubServer([HubRepo(REPO, files)]) as hub:
        client = HubClient(root / "cache", endpoint=hub.url, timeout=5)
        for _ in range(rounds):
            listing = client.repo(REPO)
            listed = {m.name for m in listing.files.models}
            choices = {c.name: c for c in client.choices(listing, 256, PLENTY)}
            for name in names:
                if name not in listed:
                    failures.append(f"{name!r}: not listed by the client")
                    continue
                try:
                    requests = plan(client, listing, choices[name], models)
                except DownloadError as exc:
                    outcomes["refused"] += 1
                    if name in ACCEPTED:
                        failures.append(f"{name!r} refused: {exc.message}")
                    elif "unsafe file name" not in exc.message:
                        failures.append(f"{name!r}: unclear message {exc.message!r}")
                    continue
                if name in REFUSED:
                    failures.append(f"{name!r} was accepted: {requests[0].dest}")
                    continue
                for request in requests:
                    path = downloader.download(request)
                    if not path.resolve().is_relative_to(models.resolve()):
                        failures.append(f"{name!r} landed outside: {path}")
                    elif path.read_bytes() != one:
                        failures.append(f"{name!r}: wrong content")
                    else:
                        outcomes["downloaded inside"] += 1
            # Two names that differ only in case: the first downloads, the second is
            # refused rather than overwriting it on a case-insensitive disk.
            first = plan(client, listing, choices[CASE_PAIR[0]], models)
            first_path = downloader.download(first[0])
            try:
                plan(client, listing, choices[CASE_PAIR[1]], models)
                failures.append("the second of two names differing in case was accepted")
            except DownloadError as exc:
                outcomes["case clash refused"] += 1
                if "only in case" not in exc.message:
                    failures.append(f"case clash: unclear message {exc.message!r}")
            if first_path.read_bytes() != one:
                failures.append("the first of the case pair was overwritten")
            # Gone from the disk, the other one may come.
            first_path.unlink()
            second = plan(client, listing, choices[CASE_PAIR[1]], models)
            if downloader.download(second[0]).read_bytes() != two:
                failures.append("the second of the case pair did not download")
            second[0].dest.unlink()
    new = everything_under(root) - outside_before
    escaped = sorted(str(p) for p in new if not p.is_relative_to(models) and "cache" not in p.parts)
    failures += [f"written outside the models folder: {p}" for p in escaped]
    if any("evil" in p.name for p in new):
        failures.append("a refused name was written somewhere")
    campaign.report(
        {
            "cases": rounds * (len(names) + 1),
            "names": len(names) + 2,
            "hostile": len(REFUSED),
            "odd_but_safe": len(ACCEPTED),
            "outcomes": outcomes,
            "written_outside": len(escaped),
            "failures": len(failures),
        }
    )
    assert not failures, failures


def test_refusals_are_user_errors() -> None:
    assert issubclass(DownloadError, UserError)
