"""Campaign: the engine worker dies mid-reply (issue 17, "nothing lost").

The worker of a chat (the real ChatService, as app.py builds it) and of a compare pane
(the real CompareService, two panes at once) is killed with SIGKILL, SIGSEGV and SIGABRT
while it streams. Each time: the app process stays up and reports no bug, the partial
reply is stored as "interrupted" with the text that had arrived, and the next prompt
works (it loads a fresh worker and streams; the last one of each kind runs to its end).
"""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices, build_services
from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.paths import AppPaths
from desktop_llm.storage import CompareRepository, Message
from tests.support.gguf_builder import write_tiny_llama
from tests.torture.conftest import Campaign

CTX = 4096
SIGNALS = (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT)
WAIT_MS = 120_000
FRESH_EVERY = 5  # rounds in one chat or comparison before a new one


@pytest.fixture(scope="module")
def long_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama(tmp_path_factory.mktemp("models") / "tiny-long.gguf", ctx=CTX)


@pytest.fixture
def parts(app_paths: AppPaths, qapp: QCoreApplication) -> AppServices:
    reply = ChatSettings(max_tokens=1500, ignore_eos=True, n_ctx=CTX)
    save_settings(app_paths.settings_file, Settings(threads=1, default_chat=reply.to_dict()))
    built = build_services(app_paths)
    yield built  # type: ignore[misc]
    built.service.shutdown()
    QCoreApplication.processEvents()
    built.close()


def _kill_soon(qtbot: QtBot, pid: int | None, sig: signal.Signals, rng: random.Random) -> None:
    assert pid is not None, "no worker to kill"
    qtbot.wait(rng.randint(0, 300))  # a random moment in the stream
    os.kill(pid, sig)


def test_kill_worker(
    campaign: Campaign, parts: AppServices, long_model: Path, qtbot: QtBot
) -> None:
    rounds = campaign.scale(2, 100)
    rng = random.Random(17)
    service, compare = parts.service, parts.compare
    record = parts.library.import_file(long_model)
    bugs: list[str] = []
    errors: list[str] = []
    for reporter in (service, compare):
        reporter.bugOccurred.connect(bugs.append)
        reporter.errorOccurred.connect(errors.append)
    counts = {
        "chat_kills": 0,
        "chat_interrupted_saved": 0,
        "chat_interrupted_with_text": 0,
        "compare_kills": 0,
        "compare_interrupted_saved": 0,
        "compare_interrupted_with_text": 0,
        "compare_other_pane_ok": 0,
        "next_prompt_ok": 0,
    }
    problems: list[str] = []

    # -- chat -------------------------------------------------------------------------
    conversation = service.new_conversation(record.id)
    for sig in SIGNALS:
        for i in range(rounds):
            if i and i % FRESH_EVERY == 0:
                # The cut replies stay in the history: a long campaign in one chat would
                # fill the context, and a reply with no room left ends before the kill.
                conversation = service.new_conversation(record.id)
            with qtbot.waitSignal(service.replyChunk, timeout=WAIT_MS):
                assert service.send(conversation.id, f"{sig.name} {i}: go on", record.id)
            counts["next_prompt_ok"] += 1  # a fresh worker loaded and streamed
            with qtbot.waitSignal(service.replyFinished, timeout=WAIT_MS) as finished:
                _kill_soon(qtbot, service._engine.host.pid, sig, rng)
            reply: Message = finished.args[0]
            stored = service.messages(conversation.id)[-1]
            counts["chat_kills"] += 1
            if stored.id == reply.id and stored.status == "interrupted":
                counts["chat_interrupted_saved"] += 1
            else:
                problems.append(f"chat {sig.name}: stored {stored.status}")
            if stored.content.strip():
                counts["chat_interrupted_with_text"] += 1
            if sig.name not in (stored.error or ""):
                problems.append(f"chat {sig.name}: error says {stored.error!r}")
    short = ChatSettings(max_tokens=32, ignore_eos=True, n_ctx=CTX)
    service.update_conversation(conversation.id, settings=short)
    with qtbot.waitSignal(service.replyFinished, timeout=WAIT_MS) as finished:
        assert service.send(conversation.id, "and now in one line", record.id)
    last: Message = finished.args[0]
    if last.status == "ok" and last.content:
        counts["next_prompt_ok"] += 1
    else:
        problems.append(f"chat after the crashes: {last.status} {last.error}")

    # -- compare: pane 0's worker dies, pane 1 goes on ------------------------------------
    # Pane 0 is killed mid-reply (a long one, so it is still writing when the kill comes);
    # pane 1 finishes a short one.
    killed = ChatSettings(max_tokens=1500, ignore_eos=True, n_ctx=CTX).to_dict()
    finishing = ChatSettings(max_tokens=200, ignore_eos=True, n_ctx=CTX).to_dict()
    repo = CompareRepository(parts.conn)
    comparison = None
    for sig in SIGNALS:
        for i in range(rounds):
            if comparison is None or i % FRESH_EVERY == 0:  # follow-ups fill the context
                if comparison is not None:
                    compare.close()
                assert compare.start([(record.id, killed, ""), (record.id, finishing, "")])
                comparison = compare._comparison
                assert comparison is not None
            with qtbot.waitSignal(
                compare.paneChunk,
                timeout=WAIT_MS,
                check_params_cb=lambda slot, _text, _n: slot == 0,
            ):
                assert compare.send(f"{sig.name} {i}: go on")
            counts["next_prompt_ok"] += 1
            _kill_soon(qtbot, comparison.hosts[0].pid, sig, rng)
            qtbot.waitUntil(lambda: not compare.busy, timeout=WAIT_MS)
            counts["compare_kills"] += 1
            stored = repo.get(compare.saved()[0][0])
            crashed, other = (run.messages[-1] for run in stored.runs)
            if crashed.status == "interrupted":
                counts["compare_interrupted_saved"] += 1
            else:
                problems.append(f"compare {sig.name}: pane stored {crashed.status}")
            if crashed.content.strip():
                counts["compare_interrupted_with_text"] += 1
            if other.status == "ok" and other.content:
                counts["compare_other_pane_ok"] += 1
            else:
                problems.append(f"compare {sig.name}: other pane {other.status} {other.error}")
    compare.close()

    figures = {
        **counts,
        "signals": [s.name for s in SIGNALS],
        "bugs_reported": len(bugs),
        "errors_reported": len(errors),
        "problems": len(problems),
    }
    campaign.report(figures)
    assert problems == [], problems[:10]
    assert bugs == [] and errors == [], (bugs + errors)[:3]
    kills = rounds * len(SIGNALS)
    assert counts["chat_interrupted_with_text"] == kills
    assert counts["compare_interrupted_with_text"] == kills
