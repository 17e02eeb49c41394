"""The resumable downloader and the queue, against the local hub's fault switches."""

from __future__ import annotations

import errno
import hashlib
import os
import pathlib
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from desktop_llm.core.downloads.downloader import (
    DownloadControl,
    Downloader,
    DownloaderConfig,
    DownloadRequest,
    Progress,
)
from desktop_llm.core.downloads.errors import DownloadCancelled, DownloadError
from desktop_llm.core.downloads.hashing import sha256_file
from desktop_llm.core.downloads.manager import CANCELLED, DONE, PAUSED, DownloadManager
from desktop_llm.core.downloads.safe_paths import destination, safe_relative_path
from desktop_llm.core.downloads.writeback import FlushFailed, Writeback
from tests.support.hub_server import HubServer

REPO = "tester/Tiny-GGUF"
NAME = "tiny.Q8_0.gguf"


def request(hub: HubServer, models_dir: Path, name: str = NAME) -> DownloadRequest:
    repo = hub.repos[REPO]
    return DownloadRequest(
        url=f"{hub.url}/{REPO}/resolve/{repo.commit}/{name}",
        dest=destination(models_dir, REPO, name),
        size=len(repo.data(name)),
        sha256=repo.sha256(name),
    )


def part_of(req: DownloadRequest) -> Path:
    return req.dest.with_name(req.dest.name + ".part")


def test_download_verifies_and_reports_progress(
    hub: HubServer, downloader: Downloader, models_dir: Path
) -> None:
    req = request(hub, models_dir)
    seen: list[Progress] = []
    path = downloader.download(req, progress=seen.append)
    assert path == models_dir / "tester" / "Tiny-GGUF" / NAME
    assert hashlib.sha256(path.read_bytes()).hexdigest() == req.sha256
    assert not part_of(req).exists()
    assert seen[-1].done == seen[-1].total == req.size and seen[-1].eta == 0
    # Already there: nothing is fetched again.
    before = len(hub.file_hits())
    assert downloader.download(req) == path
    assert len(hub.file_hits()) == before


def test_resume_after_dropped_connection(
    hub: HubServer, downloader: Downloader, models_dir: Path
) -> None:
    req = request(hub, models_dir)
    assert req.size
    hub.faults.drop_after = req.size // 2
    path = downloader.download(req)
    assert path.read_bytes() == hub.repos[REPO].data(NAME)
    hits = hub.file_hits()
    assert [h.range for h in hits] == [None, f"bytes={req.size // 2}-"]
    assert hub.bytes_sent(NAME) <= 1.1 * req.size


def test_stall_is_retried(hub: HubServer, downloader: Downloader, models_dir: Path) -> None:
    req = request(hub, models_dir)
    assert req.size
    hub.faults.stall_after, hub.faults.stall_seconds = 1000, 3.0
    downloader.download(req)
    assert req.dest.read_bytes() == hub.repos[REPO].data(NAME)
    assert len(hub.file_hits()) == 2


def test_server_errors_retry_then_fail_clearly(
    hub: HubServer, downloader: Downloader, models_dir: Path
) -> None:
    req = request(hub, models_dir)
    hub.faults.errors_500 = 2
    downloader.download(req)
    assert req.dest.exists()
    req.dest.unlink()
    hub.faults.errors_500 = 100
    with pytest.raises(DownloadError, match=r"HTTP 500 \(gave up after 3 retries"):
        downloader.download(req)
    assert not req.dest.exists()


def test_server_ignoring_range_restarts_cleanly(
    hub: HubServer, downloader: Downloader, models_dir: Path
) -> None:
    req = request(hub, models_dir)
    part = part_of(req)
    part.parent.mkdir(parents=True)
    part.write_bytes(hub.repos[REPO].data(NAME)[:5000])
    hub.faults.ignore_range = True
    downloader.download(req)
    assert req.dest.read_bytes() == hub.repos[REPO].data(NAME)


def test_partial_file_from_an_earlier_run_is_resumed(
    hub: HubServer, downloader: Downloader, models_dir: Path
) -> None:
    req = request(hub, models_dir)
    assert req.size
    part = part_of(req)
    part.parent.mkdir(parents=True)
    part.write_bytes(hub.repos[REPO].data(NAME)[: req.size - 100])
    downloader.download(req)
    assert hub.bytes_sent(NAME) == 100
    assert req.dest.read_bytes() == hub.repos[REPO].data(NAME)


def test_corrupt_bytes_are_caught(hub: HubServer, downloader: Downloader, models_dir: Path) -> None:
    req = request(hub, models_dir)
    hub.faults.corrupt = True
    with pytest.raises(
        DownloadError, match=r"is corrupt: its sha256 is .* partial file was deleted"
    ):
        downloader.download(req)
    assert not req.dest.exists() and not part_of(req).exists()


def test_not_enough_disk_is_refused_before_starting(hub: HubServer, models_dir: Path) -> None:
    greedy = Downloader(DownloaderConfig(disk_margin=10**18))
    with pytest.raises(DownloadError, match="not enough disk space in"):
        greedy.download(request(hub, models_dir))
    assert hub.file_hits() == []


def test_disk_full_while_writing_keeps_the_part(
    hub: HubServer, downloader: Downloader, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = pathlib.Path.open

    class Full:
        def __init__(self, f: Any) -> None:
            self._f = f

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self._f.close()

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str) -> Any:
            return getattr(self._f, name)

    def fake_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        f = real_open(self, mode, *args, **kwargs)
        return Full(f) if self.name.endswith(".part") and "b" in mode and "r" not in mode else f

    monkeypatch.setattr(pathlib.Path, "open", fake_open)
    req = request(hub, models_dir)
    with pytest.raises(DownloadError, match=r"the disk is full: .* run again to resume"):
        downloader.download(req)
    assert not req.dest.exists()


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../evil.gguf",
        "a/../../b.gguf",
        "/etc/passwd",
        "C:evil.gguf",
        "c:/x.gguf",
        "a\\b.gguf",
        "a//b.gguf",
        "./a.gguf",
        "x\x00.gguf",
        "~/x.gguf",
        "a:b.gguf",
    ],
)
def test_unsafe_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="unsafe file name"):
        destination(tmp_path, "owner/repo", name)


def test_safe_names_stay_inside(tmp_path: Path) -> None:
    assert safe_relative_path("Q4_K_M/m-00001-of-00002.gguf").parts == (
        "Q4_K_M",
        "m-00001-of-00002.gguf",
    )
    with pytest.raises(DownloadError):
        destination(tmp_path, "../repo", "a.gguf")


def test_cancel_deletes_pause_keeps(
    hub: HubServer, downloader: Downloader, models_dir: Path
) -> None:
    req = request(hub, models_dir)
    for action, keeps in (("pause", True), ("cancel", False)):
        control = DownloadControl()
        hub.faults.stall_after, hub.faults.stall_seconds, hub.faults.stalls = 1000, 2.0, 1

        def stop(p: Progress, control: DownloadControl = control, action: str = action) -> None:
            getattr(control, action)()

        with pytest.raises(DownloadCancelled):
            downloader.download(req, progress=stop, control=control)
        assert part_of(req).exists() is keeps


def test_manager_runs_two_at_a_time_and_pauses(
    hub: HubServer, downloader: Downloader, models_dir: Path
) -> None:
    changes: list[str] = []
    lock = threading.Lock()

    def on_change(item: Any) -> None:
        with lock:
            changes.append(f"{item.id}:{item.state}")

    manager = DownloadManager(downloader, on_change=on_change)
    hub.faults.stall_after, hub.faults.stall_seconds, hub.faults.stalls = 1000, 0.3, 10
    a = manager.add("a", [request(hub, models_dir)], on_done=lambda paths: paths[0].name)
    b = manager.add("b", [request(hub, models_dir, "tiny.Q4_K_M.gguf")])
    c = manager.add("c", [request(hub, models_dir / "other")])
    assert c.state == "queued"
    manager.pause(c.id)
    assert manager.wait(a.id, 30).state == DONE and a.result == NAME
    assert manager.wait(b.id, 30).state == DONE
    assert manager.wait(c.id, 30).state == PAUSED
    manager.resume(c.id)
    assert manager.wait(c.id, 30).state == DONE
    assert "1:running" in changes and "3:paused" in changes
    d = manager.add("d", [request(hub, models_dir / "d")])
    manager.cancel(d.id)
    assert manager.wait(d.id, 30).state == CANCELLED


def test_manager_refuses_a_second_download_of_the_same_file(
    hub: HubServer, downloader: Downloader, models_dir: Path
) -> None:
    # Two writers of one .part: the second to finish wrote into the file the first had
    # already verified and renamed into the library (found in a GUI pass: a corrupt
    # installed model). One download per file.
    manager = DownloadManager(downloader)
    hub.faults.stall_after, hub.faults.stall_seconds, hub.faults.stalls = 1000, 0.5, 1
    first = manager.add("first", [request(hub, models_dir)])
    with pytest.raises(DownloadError, match="already in the downloads list"):
        manager.add("again", [request(hub, models_dir)])
    manager.pause(first.id)
    with pytest.raises(DownloadError, match="already in the downloads list"):
        manager.add("again", [request(hub, models_dir)])  # a paused one holds its .part
    manager.cancel(first.id)
    manager.wait(first.id, 30)
    second = manager.add("second", [request(hub, models_dir)])  # now it may
    done = manager.wait(second.id, 30)
    assert done.state == DONE
    assert sha256_file(done.requests[0].dest) == done.requests[0].sha256


@pytest.mark.skipif(os.name == "nt", reason="no background flush on Windows")
def test_background_flush_errors_are_raised_by_close(tmp_path: Path) -> None:
    # Linux tells a writeback error to one fsync only: the background flush must keep
    # it for close(), or the final fsync would pass and a damaged file be kept.
    read_end, write_end = os.pipe()  # fsync on a pipe fails (EINVAL)
    try:
        writeback = Writeback(write_end, every=1)
        with writeback:
            writeback.wrote(1)
            deadline = time.monotonic() + 10
            while writeback._error is None and time.monotonic() < deadline:
                time.sleep(0.01)
            with pytest.raises(FlushFailed) as raised:
                writeback.close()
        assert raised.value.error.errno == errno.EINVAL
        # Leaving the block after an error in it still reports the flush's error.
        again = Writeback(write_end, every=1)
        with pytest.raises(FlushFailed), again:
            again.wrote(1)
            while again._error is None:
                time.sleep(0.01)
            raise ConnectionResetError("the connection dropped")
    finally:
        os.close(read_end)
        os.close(write_end)
    # A good file: flushed in the background and closed quietly, also after an error
    # in the block (the with statement must not hide it).
    with (tmp_path / "f").open("wb") as f, Writeback(f.fileno(), every=4) as good:
        f.write(b"12345678")
        f.flush()
        good.wrote(8)
        good.close()
    with pytest.raises(ZeroDivisionError), (tmp_path / "g").open("wb") as f, Writeback(f.fileno()):
        _ = 1 / 0


def test_a_failed_flush_deletes_the_part(
    hub: HubServer, downloader: Downloader, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The disk lost what it was given (EIO at fsync): the .part can't be trusted, so
    # neither it nor the model is kept, and the message says to start again.
    import desktop_llm.core.downloads.writeback as writeback

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(writeback.os, "fsync", failing_fsync)
    req = request(hub, models_dir)
    with pytest.raises(DownloadError, match=r"writing to the disk failed .* was deleted"):
        downloader.download(req)
    assert not req.dest.exists()
    assert not req.dest.with_name(req.dest.name + ".part").exists()
