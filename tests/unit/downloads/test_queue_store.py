"""The downloads list in SQLite: after a quit, a crash or kill -9 it comes back, resumed
or paused as asked, and continues from the .part file (issue 17)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_llm.core.downloads.downloader import Downloader, DownloadRequest
from desktop_llm.core.downloads.manager import (
    CANCELLED,
    DONE,
    FAILED,
    PAUSED,
    QUEUED,
    DownloadManager,
    OnDone,
    Origin,
)
from desktop_llm.core.downloads.safe_paths import destination
from desktop_llm.storage import DownloadRepository, connect
from tests.support.hub_server import HubServer

REPO = "tester/Tiny-GGUF"
NAME = "tiny.Q8_0.gguf"
ROOT = Path(__file__).resolve().parents[3]
ORIGIN = Origin(REPO, "main", NAME)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DownloadRepository]:
    conn = connect(tmp_path / "chats.sqlite3")
    yield DownloadRepository(conn)
    conn.close()


def request(
    hub: HubServer, models_dir: Path, headers: dict[str, str] | None = None
) -> DownloadRequest:
    repo = hub.repos[REPO]
    return DownloadRequest(
        url=f"{hub.url}/{REPO}/resolve/{repo.commit}/{NAME}",
        dest=destination(models_dir, REPO, NAME),
        size=len(repo.data(NAME)),
        sha256=repo.sha256(NAME),
        headers=headers or {},
    )


def restore(
    manager: DownloadManager, resume: bool, done: list[list[Path]] | None = None
) -> list[int]:
    def on_done_for(origin: Origin, requests: list[DownloadRequest]) -> OnDone:
        assert origin == ORIGIN
        return lambda paths: (done if done is not None else []).append(paths)

    items = manager.restore(resume=resume, on_done_for=on_done_for, headers_for=lambda url: {})
    return [i.id for i in items]


def wait_for_part(req: DownloadRequest, at_least: int) -> Path:
    part = req.dest.with_name(req.dest.name + ".part")
    deadline = time.monotonic() + 20
    while not (part.exists() and part.stat().st_size >= at_least):
        assert time.monotonic() < deadline, "the download never got going"
        time.sleep(0.02)
    return part


def test_a_quit_leaves_it_to_resume_at_the_next_start(
    hub: HubServer, downloader: Downloader, models_dir: Path, store: DownloadRepository
) -> None:
    req = request(hub, models_dir)
    assert req.size
    hub.faults.stall_after, hub.faults.stall_seconds = req.size // 2, 10
    first = DownloadManager(downloader, store=store)
    item = first.add("tiny", [req], origin=ORIGIN)
    part = wait_for_part(req, req.size // 2)
    first.close()  # the app quits
    assert first.wait(item.id, 10).state == PAUSED
    assert [(r.id, r.state) for r in store.list()] == [(item.id, "running")]

    # Next start, "resume downloads when the app starts" off: back, paused, with its bytes.
    paused = DownloadManager(downloader, store=store)
    assert restore(paused, resume=False) == [item.id]
    again = paused.items()[0]
    assert again.state == PAUSED and again.progress is not None
    assert again.progress.done == part.stat().st_size
    assert again.title == "tiny" and again.origin == ORIGIN

    # And with it on: it goes on from the .part and is registered by on_done.
    kept = part.stat().st_size
    done: list[list[Path]] = []
    resumed = DownloadManager(downloader, store=store)
    assert restore(resumed, resume=True, done=done) == [item.id]
    assert resumed.wait(item.id, 30).state == DONE
    assert done == [[req.dest]]
    assert req.dest.read_bytes() == hub.repos[REPO].data(NAME)
    assert hub.file_hits()[-1].range == f"bytes={kept}-"
    assert store.list() == []  # done: it left the queue


def test_paused_stays_paused_failed_stays_failed_cancelled_leaves(
    hub: HubServer, downloader: Downloader, models_dir: Path, store: DownloadRepository
) -> None:
    manager = DownloadManager(downloader, store=store)
    hub.faults.stall_after, hub.faults.stall_seconds, hub.faults.stalls = 1000, 10, 10
    paused = manager.add("paused", [request(hub, models_dir / "a")], origin=ORIGIN)
    manager.pause(paused.id)
    assert manager.wait(paused.id, 10).state == PAUSED
    hub.faults.stalls = 0
    hub.faults.errors_500 = 100
    failed = manager.add("failed", [request(hub, models_dir / "b")], origin=ORIGIN)
    assert manager.wait(failed.id, 30).state == FAILED
    cancelled = manager.add("cancelled", [request(hub, models_dir / "c")], origin=ORIGIN)
    manager.cancel(cancelled.id)
    assert manager.wait(cancelled.id, 10).state == CANCELLED
    manager.close()
    assert {r.title: r.state for r in store.list()} == {"paused": PAUSED, "failed": FAILED}

    later = DownloadManager(downloader, store=store)
    restore(later, resume=True)
    states = {i.title: (i.state, i.error) for i in later.items()}
    assert states["paused"] == (PAUSED, None)  # the user paused it: not resumed by itself
    assert states["failed"][0] == FAILED and "HTTP 500" in (states["failed"][1] or "")
    hub.faults.errors_500 = 0
    later.resume(failed.id)
    assert later.wait(failed.id, 30).state == DONE
    assert [r.title for r in store.list()] == ["paused"]


def test_the_token_is_never_stored(
    hub: HubServer,
    downloader: Downloader,
    models_dir: Path,
    store: DownloadRepository,
    tmp_path: Path,
) -> None:
    manager = DownloadManager(downloader, store=store)
    manager.add("x", [request(hub, models_dir, {"Authorization": "Bearer hf_secret"})])
    manager.close()
    assert "hf_secret" not in json.dumps([r.files for r in store.list()])
    later = DownloadManager(downloader, store=store)
    items = later.restore(
        resume=False,
        on_done_for=lambda origin, requests: None,
        headers_for=lambda url: {"Authorization": "Bearer hf_new"},
    )
    assert items[0].requests[0].headers == {"Authorization": "Bearer hf_new"}


def test_kill_9_then_restart_resumes(
    hub: HubServer, downloader: Downloader, models_dir: Path, tmp_path: Path
) -> None:
    req = request(hub, models_dir)
    assert req.size
    db = tmp_path / "crash.sqlite3"
    hub.faults.stall_after, hub.faults.stall_seconds = req.size // 2, 30
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.download_child",
            str(db),
            req.url,
            str(req.dest),
            str(req.size),
            str(req.sha256),
            REPO,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().startswith("started")
        part = wait_for_part(req, req.size // 2)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert part.with_name(part.name + ".lock").exists()  # the file stays, not its lock
    conn = connect(db)
    try:
        store = DownloadRepository(conn)
        assert [r.state for r in store.list()] == ["running"]
        manager = DownloadManager(downloader, store=store)
        (item_id,) = restore(manager, resume=True)
        assert manager.wait(item_id, 30).state == DONE
        assert req.dest.read_bytes() == hub.repos[REPO].data(NAME)
        assert hub.bytes_sent(NAME) <= 1.1 * req.size
        assert store.list() == []
    finally:
        conn.close()


def test_restored_ids_are_not_reused(
    hub: HubServer, downloader: Downloader, models_dir: Path, store: DownloadRepository
) -> None:
    manager = DownloadManager(downloader, store=store)
    manager.pause(manager.add("one", [request(hub, models_dir / "1")]).id)
    manager.close()
    later = DownloadManager(downloader, store=store)
    (old,) = later.restore(resume=False, on_done_for=lambda o, r: None, headers_for=lambda u: {})
    new = later.add("two", [request(hub, models_dir / "2")])
    assert new.id > old.id and new.state in (QUEUED, "running")
    later.cancel(new.id)
    later.wait(new.id, 10)
