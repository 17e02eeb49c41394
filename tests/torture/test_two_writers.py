"""Campaign: two processes write the same chat database at once (issue 17).

The window's side is the real ChatService (as app.py builds it) chatting with the tiny
model; the other process writes through its own ChatRepository as fast as it can, a
message and then a rewrite of it (as a streaming reply is saved), while a real
``desktop-llm chat --save`` runs beside them too. No "database is locked" (nor any
other error) may reach either side, and every message written is there (rows counted).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices, build_services
from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.paths import HOME_ENV, AppPaths
from desktop_llm.storage import ChatRepository, connect
from tests.torture.conftest import Campaign

WAIT_MS = 120_000
CLI = [sys.executable, "-m", "desktop_llm", "chat"]
CLI_FLAGS = ["--max-tokens", "16", "--ignore-eos", "--threads", "1"]

# The other process: N messages through ChatRepository, each written twice.
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from desktop_llm.storage import ChatRepository, connect
    db, n = Path(sys.argv[1]), int(sys.argv[2])
    chats = ChatRepository(connect(db))
    conversation = chats.create_conversation("other process")
    parent, failures = None, 0
    print(conversation.id, flush=True)
    for i in range(n):
        try:
            message = chats.add_message(conversation.id, parent, "user", f"other {i}")
            chats.update_message(message.id, content=f"other {i}, saved again")
            parent = message.id
        except Exception as exc:
            failures += 1
            print(f"failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    print(failures, flush=True)
    """
)


@pytest.fixture
def parts(app_paths: AppPaths, qapp: QCoreApplication) -> Iterator[AppServices]:
    quick = ChatSettings(max_tokens=8, ignore_eos=True, temperature=0.0, seed=5)
    save_settings(app_paths.settings_file, Settings(threads=1, default_chat=quick.to_dict()))
    built = build_services(app_paths)
    yield built
    built.service.shutdown()
    QCoreApplication.processEvents()
    built.close()


def test_two_writers(
    campaign: Campaign,
    parts: AppServices,
    app_paths: AppPaths,
    isolated_home: Path,
    tiny_llama: Path,
    qtbot: QtBot,
) -> None:
    n = campaign.scale(100, 1000)  # messages written by each side
    cli_runs = campaign.scale(2, 10)
    service = parts.service
    record = parts.library.import_file(tiny_llama)
    problems: list[str] = []
    service.bugOccurred.connect(problems.append)
    service.errorOccurred.connect(problems.append)
    conversations = [service.new_conversation(record.id)]
    env = {**os.environ, HOME_ENV: str(isolated_home)}
    other = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(app_paths.db), str(n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    cli = [
        subprocess.Popen(
            [*CLI, str(tiny_llama), f"cli {i}", "--save", *CLI_FLAGS],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(cli_runs)
    ]
    replies = 0
    for i in range(n // 2):  # a prompt and its reply: two messages
        if i and i % 5 == 0:  # the tiny model's context holds a few turns
            conversations.append(service.new_conversation(record.id))
        with qtbot.waitSignal(service.replyFinished, timeout=WAIT_MS) as finished:
            assert service.send(conversations[-1].id, f"window {i}", record.id)
        replies += finished.args[0].status == "ok"
    out, err = other.communicate(timeout=600)
    other_id, other_failures = (int(x) for x in out.split())
    cli_failures = []
    for proc in cli:
        _out, cli_err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            cli_failures.append(cli_err.strip())

    conn = connect(app_paths.db)
    try:
        chats = ChatRepository(conn)
        window_rows = sum(chats.message_count(c.id) for c in conversations)
        other_rows = chats.message_count(other_id)
        saved_again = conn.execute(
            "SELECT count(*) FROM messages WHERE conversation_id = ? AND content LIKE "
            "'%saved again'",
            (other_id,),
        ).fetchone()[0]
        cli_rows = conn.execute(
            "SELECT count(*) FROM messages WHERE role = 'user' AND content LIKE 'cli %'"
        ).fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    locked = [p for p in [*problems, err, *cli_failures] if "locked" in p or "busy" in p]
    figures = {
        "window_messages_written": 2 * (n // 2),
        "window_messages_found": window_rows,
        "window_replies_ok": replies,
        "other_process_messages_written": n,
        "other_process_messages_found": other_rows,
        "other_process_rewrites_found": saved_again,
        "other_process_failures": other_failures,
        "cli_runs": cli_runs,
        "cli_failures": len(cli_failures),
        "cli_prompts_found": cli_rows,
        "locked_errors_seen_by_user": len(locked),
        "errors_seen_by_user": len(problems),
        "integrity": integrity,
    }
    campaign.report(figures)
    assert locked == [], locked[:3]
    assert problems == [] and other_failures == 0 and cli_failures == [], (
        [*problems, err, *cli_failures]
    )[:3]
    assert window_rows == 2 * (n // 2) and replies == n // 2
    assert other_rows == n and saved_again == n
    assert cli_rows == cli_runs
    assert integrity == "ok"
