"""Campaign: the disk fills up while a chat is written (issue 17, "nothing lost").

The data folder lives on a small tmpfs (mounted here, so the test needs root; it skips
otherwise). The chat is the real ChatService as app.py builds it, with a real worker.
A filler file takes the last free byte, then messages are sent until the database
refuses one: the user gets a message that says the disk is full (errorOccurred, never
bugOccurred, the crash dialog's signal), the app goes on, everything stored before is
intact (``PRAGMA integrity_check``, the earlier messages read back), and once the
filler is gone the next message gets its reply.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices, build_services
from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.paths import HOME_ENV, AppPaths
from tests.torture.conftest import Campaign

DISK = "8m"
WAIT_MS = 120_000
TRIES = 30  # messages sent into a full disk before SQLite must have refused one


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK},mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def parts(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch, qapp: QCoreApplication
) -> Iterator[AppServices]:
    monkeypatch.setenv(HOME_ENV, str(small_disk))
    paths = AppPaths.under(small_disk).ensure()
    quick = ChatSettings(max_tokens=48, ignore_eos=True, temperature=0.0, seed=3)
    save_settings(paths.settings_file, Settings(threads=1, default_chat=quick.to_dict()))
    built = build_services(paths)
    yield built
    built.service.shutdown()
    QCoreApplication.processEvents()
    built.close()


def _fill(folder: Path) -> Path:
    """Take every free byte of the filesystem holding ``folder``."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (64 * 1024, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
        try:
            os.write(fd, b"\0")
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def test_full_disk_chat(
    campaign: Campaign, parts: AppServices, small_disk: Path, tiny_llama: Path, qtbot: QtBot
) -> None:
    rounds = campaign.scale(2, 20)
    service = parts.service
    record = parts.library.import_file(tiny_llama)
    bugs: list[str] = []
    errors: list[str] = []
    service.bugOccurred.connect(bugs.append)
    service.errorOccurred.connect(errors.append)
    conversations = [service.new_conversation(record.id)]
    db = AppPaths.under(small_disk).db
    figures = {
        "rounds": rounds,
        "messages_refused": 0,
        "refusals_saying_disk_full": 0,
        "messages_sent_into_full_disk": 0,
        "messages_checked": 0,
        "messages_lost": 0,
        "integrity_failures": 0,
        "replies_after_space_freed": 0,
        "bug_reports": 0,
    }

    def send(text: str) -> None:
        with qtbot.waitSignal(service.busyChanged, timeout=WAIT_MS):
            assert service.send(conversations[-1].id, text, record.id)
        qtbot.waitUntil(lambda: not service.busy, timeout=WAIT_MS)

    send("hello before the disk fills")
    for i in range(rounds):
        before = {m.id: m.content for c in conversations for m in service.messages(c.id)}
        filler = _fill(small_disk)
        errors.clear()
        for attempt in range(TRIES):
            figures["messages_sent_into_full_disk"] += 1
            send(f"round {i} try {attempt}: on a full disk")
            if any("disk is full" in e for e in errors):
                break
        figures["messages_refused"] += any("disk is full" in e for e in errors)
        figures["refusals_saying_disk_full"] += sum("disk is full" in e for e in errors)
        # What was stored before is all there, unchanged.
        after = {m.id: m.content for m in service.messages_by_id(list(before))}
        figures["messages_checked"] += len(before)
        figures["messages_lost"] += sum(after.get(k) != v for k, v in before.items())
        conn = sqlite3.connect(db)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
        figures["integrity_failures"] += not ok
        filler.unlink()
        errors.clear()
        # A new chat each round: the tiny model's context holds only a few turns.
        conversations.append(service.new_conversation(record.id))
        send(f"round {i}: space again")
        reply = service.messages(conversations[-1].id)[-1]
        if reply.role == "assistant" and reply.status == "ok" and reply.content and not errors:
            figures["replies_after_space_freed"] += 1
    figures["bug_reports"] = len(bugs)
    campaign.report(figures)
    assert bugs == [], bugs[:1]
    assert figures["messages_refused"] == rounds
    assert figures["messages_lost"] == 0
    assert figures["integrity_failures"] == 0
    assert figures["replies_after_space_freed"] == rounds
