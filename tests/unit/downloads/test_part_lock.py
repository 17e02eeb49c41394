"""One writer per .part across processes: the second says so and stops; a lock left by a
process killed with -9 blocks nothing (issue 17)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_llm.core.downloads.downloader import Downloader, DownloadRequest, discard_part
from desktop_llm.core.downloads.part_lock import DownloadBusy, PartLock
from desktop_llm.core.downloads.safe_paths import destination
from tests.support.hub_server import HubServer

REPO = "tester/Tiny-GGUF"
NAME = "tiny.Q8_0.gguf"

HOLD = """
import sys, time
from pathlib import Path
from desktop_llm.core.downloads.part_lock import PartLock
PartLock(Path(sys.argv[1])).acquire()
print("held", flush=True)
time.sleep(120)
"""


def request(hub: HubServer, models_dir: Path) -> DownloadRequest:
    repo = hub.repos[REPO]
    return DownloadRequest(
        url=f"{hub.url}/{REPO}/resolve/{repo.commit}/{NAME}",
        dest=destination(models_dir, REPO, NAME),
        size=len(repo.data(NAME)),
        sha256=repo.sha256(NAME),
    )


def hold(part: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(part)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_a_second_process_is_told_and_a_killed_one_blocks_nothing(
    hub: HubServer, downloader: Downloader, models_dir: Path
) -> None:
    req = request(hub, models_dir)
    part = req.dest.with_name(req.dest.name + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(hub.repos[REPO].data(NAME)[:1000])
    other = hold(part)
    try:
        with pytest.raises(DownloadBusy) as busy:
            downloader.download(req)
        message = busy.value.message
        assert f"{NAME} is already being downloaded by another process (pid {other.pid})" in message
        assert "This one stops" in message
        assert hub.file_hits() == []
        assert part.stat().st_size == 1000  # the other's partial file: untouched
        assert not discard_part(req.dest) and part.exists()  # a cancel here leaves it too
    finally:
        other.send_signal(signal.SIGKILL)
        other.wait(10)
    assert part.with_name(part.name + ".lock").exists()  # stale file, no lock
    assert downloader.download(req).read_bytes() == hub.repos[REPO].data(NAME)
    assert hub.bytes_sent(NAME) == len(hub.repos[REPO].data(NAME)) - 1000  # resumed
    assert not part.with_name(part.name + ".lock").exists()  # deleted by its holder


def test_one_lock_at_a_time_in_one_process_too(tmp_path: Path) -> None:
    part = tmp_path / "f.gguf.part"
    with PartLock(part), pytest.raises(DownloadBusy, match=f"pid {__import__('os').getpid()}"):
        PartLock(part).acquire()
    with PartLock(part):  # released: free again
        pass
