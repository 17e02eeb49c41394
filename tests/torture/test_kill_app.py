"""Campaign: kill -9 of the app mid-reply (issue 17, "nothing lost").

The real program runs as a subprocess on one data folder that grows across the kills:
first ``desktop-llm chat MODEL PROMPT --save`` (several at once, so kills also land in
the middle of other processes' writes), then the window (``desktop-llm gui
--self-test``). Between kills the test reads the database: every message it has seen
must still be there, unchanged (a reply still being written may only grow), and a run
that had printed text had its prompt and its reply row committed. After the kills the
database passes ``PRAGMA integrity_check``, and the next start of the window marks every
reply left "streaming" as interrupted, its text kept. The engine workers of a killed
app must end on their own: none may be left running.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.paths import HOME_ENV, AppPaths
from tests.support.gguf_builder import write_tiny_llama
from tests.torture.conftest import Campaign

PROGRAM = [sys.executable, "-m", "desktop_llm"]
# A reply of 1,500 tokens from the tiny model takes 1.5-3 s: long enough to be killed in,
# and to be saved once or twice (every second) before the kill.
REPLY_TOKENS = 1500
CTX = 4096
KILL_WINDOW_S = 1.5  # kill this long (at most) after the first streamed text
EARLY_KILLS = 0.1  # the share of kills that land before the reply starts
ORPHAN_WAIT_S = 60.0
FINAL = ("ok", "cancelled", "error", "interrupted")


@pytest.fixture(scope="module")
def long_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random-weight llama, trained context 4,096 (room for long replies)."""
    return write_tiny_llama(tmp_path_factory.mktemp("models") / "tiny-long.gguf", ctx=CTX)


def _read(db: Path, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return [tuple(row) for row in conn.execute(sql, args).fetchall()]
    finally:
        conn.close()


@dataclass
class Ledger:
    """What the database held after each kill, and what went missing since."""

    db: Path
    seen: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # role, status, text
    checks: int = 0
    lost: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, full: bool = False) -> None:
        """Compare the database with what was seen before (``full``: every message's
        text; otherwise the new ones, the unfinished ones and the count of the rest)."""
        with self.lock:
            finished = [i for i, (_r, status, _t) in self.seen.items() if status in FINAL]
            newest = max(self.seen, default=0)
            if full:
                rows = _read(self.db, "SELECT id, role, status, content FROM messages")
            else:
                open_ids = [i for i in self.seen if i not in set(finished)]
                rows = _read(
                    self.db,
                    "SELECT id, role, status, content FROM messages WHERE id > ? OR id IN "
                    f"({','.join('?' * len(open_ids))})",
                    (newest, *open_ids),
                )
                still = _read(
                    self.db,
                    "SELECT count(*) FROM messages WHERE id <= ? AND status IN "
                    "('ok', 'cancelled', 'error', 'interrupted')",
                    (newest,),
                )[0][0]
                if int(still) < len(finished):
                    self.lost.append(f"{len(finished) - int(still)} finished messages gone")
            now = {int(r[0]): (str(r[1]), str(r[2]), str(r[3])) for r in rows}
            for message_id, (role, status, text) in self.seen.items():
                if message_id not in now:
                    if full or status not in FINAL:
                        self.lost.append(f"message {message_id} ({role}, {status}) is gone")
                    continue
                _role, new_status, new_text = now[message_id]
                if status in FINAL and new_text != text:
                    self.lost.append(f"message {message_id} ({status}) changed")
                elif not new_text.startswith(text):
                    self.lost.append(f"message {message_id}: saved text shrank")
                if status in FINAL and new_status != status:
                    self.lost.append(f"message {message_id}: {status} became {new_status}")
            self.seen.update(now)
            self.checks += len(now) if full else len(rows)

    def streaming(self) -> list[int]:
        with self.lock:
            return [i for i, (_r, status, _t) in self.seen.items() if status == "streaming"]


class Orphans:
    """The engine workers (and other children) of killed apps: they must end by
    themselves. Watched on a thread so the kills go on meanwhile."""

    def __init__(self) -> None:
        self._watch: list[tuple[psutil.Process, float]] = []
        self._lock = threading.Lock()
        self.seen = 0
        self.longest_s = 0.0
        # Checked every 0.2 s, so longest_s is how long an orphan outlived its app (to
        # within a poll), not how long until the campaign's end looked.
        self._done = threading.Event()
        threading.Thread(target=self._watch_loop, name="orphans", daemon=True).start()

    def _watch_loop(self) -> None:
        while not self._done.wait(0.2):
            self.poll()

    def add(self, processes: list[psutil.Process]) -> None:
        now = time.monotonic()
        with self._lock:
            self._watch += [(p, now) for p in processes]
            self.seen += len(processes)

    def poll(self) -> int:
        """Forget the ones that ended; return how many still run."""
        with self._lock:
            alive = []
            for process, since in self._watch:
                if _running(process):
                    alive.append((process, since))
                else:
                    self.longest_s = max(self.longest_s, time.monotonic() - since)
            self._watch = alive
            return len(alive)

    def wait(self, timeout_s: float) -> list[psutil.Process]:
        """Wait for all to end; return (and kill) those still running after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while self.poll() and time.monotonic() < deadline:
            time.sleep(0.1)
        self._done.set()
        with self._lock:
            left = [p for p, _since in self._watch]
        for process in left:
            with contextlib.suppress(psutil.Error):
                process.kill()
        return left


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _kill(proc: subprocess.Popen[bytes], orphans: Orphans) -> None:
    """kill -9 the app; its children are left to end on their own (watched)."""
    children = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    orphans.add(children)


def _wait_for_text(proc: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """Read the app's stdout until the first streamed text; False if it ended first."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _w, _x = select.select([proc.stdout], [], [], 0.05)
        if ready:
            return bool(os.read(proc.stdout.fileno(), 65536))
    raise AssertionError(f"no reply from the app within {timeout_s:.0f}s")


@dataclass
class Tally:
    kills: int = 0
    mid_reply: int = 0
    prompts_checked: int = 0
    prompts_missing: int = 0
    partial_saved: int = 0
    finished_before_kill: int = 0
    marked_at_next_start: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _cli_lane(
    lane: int,
    rounds: int,
    model: Path,
    env: dict[str, str],
    ledger: Ledger,
    orphans: Orphans,
    tally: Tally,
    rng: random.Random,
) -> None:
    db = ledger.db
    for i in range(rounds):
        prompt = f"lane {lane} kill {i}: tell me a very long story"
        early = rng.random() < EARLY_KILLS
        proc = subprocess.Popen(
            [
                *PROGRAM,
                "chat",
                str(model),
                prompt,
                "--save",
                "--max-tokens",
                str(REPLY_TOKENS),
                "--ignore-eos",
                "--ctx",
                str(CTX),
                "--threads",
                "1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            if early:
                time.sleep(rng.uniform(0.0, 1.5))
                printed = False
            else:
                printed = _wait_for_text(proc, 120)
                time.sleep(rng.uniform(0.0, KILL_WINDOW_S))
            if proc.poll() is not None:
                with tally.lock:
                    tally.finished_before_kill += 1
                continue
            _kill(proc, orphans)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            assert proc.stdout is not None
            proc.stdout.close()
        rows = _read(
            db,
            "SELECT u.id, r.status, length(r.content) FROM messages AS u "
            "LEFT JOIN messages AS r ON r.parent_id = u.id WHERE u.content = ?",
            (prompt,),
        )
        with tally.lock:
            tally.kills += 1
            tally.mid_reply += printed
            if printed:  # the prompt and the reply row were committed before any text
                tally.prompts_checked += 1
                if not rows or rows[0][1] is None:
                    tally.prompts_missing += 1
            if rows and rows[0][2]:
                tally.partial_saved += 1
        ledger.check(full=i % 25 == 24)


def _window_round(
    i: int, model: Path, env: dict[str, str], ledger: Ledger, orphans: Orphans, tally: Tally
) -> None:
    db = ledger.db
    prompt = f"window kill {i}: tell me a very long story"
    leftover = ledger.streaming()
    proc = subprocess.Popen(
        [*PROGRAM, "gui", "--self-test", "--model", str(model), "--prompt", prompt],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            rows = _read(
                db,
                "SELECT r.id FROM messages AS u JOIN messages AS r ON r.parent_id = u.id "
                "WHERE u.content = ?",
                (prompt,),
            )
            if rows:
                break
            assert proc.poll() is None, f"the window exited ({proc.returncode}) before replying"
            assert time.monotonic() < deadline, "the window never started the reply"
            time.sleep(0.05)
        # The reply row exists: the window is loading the model or streaming.
        time.sleep(random.uniform(0.2, KILL_WINDOW_S + 0.5))
        if proc.poll() is not None:
            tally.finished_before_kill += 1
            return
        _kill(proc, orphans)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    tally.kills += 1
    tally.mid_reply += 1
    tally.prompts_checked += 1
    rows = _read(
        db,
        "SELECT length(r.content) FROM messages AS u JOIN messages AS r "
        "ON r.parent_id = u.id WHERE u.content = ?",
        (prompt,),
    )
    if not rows:
        tally.prompts_missing += 1
    elif rows[0][0]:
        tally.partial_saved += 1
    ledger.check()
    # This start marked what the previous kills left "streaming".
    still = _read(
        db,
        f"SELECT count(*) FROM messages WHERE status = 'streaming' AND id IN "
        f"({','.join('?' * len(leftover))})",
        tuple(leftover),
    )[0][0]
    assert still == 0, f"{still} replies left streaming were not marked at the next start"
    tally.marked_at_next_start += len(leftover)


def _integrity(db: Path) -> str:
    return str(_read(db, "PRAGMA integrity_check")[0][0])


def test_kill_app(campaign: Campaign, long_model: Path, isolated_home: Path) -> None:
    cli_kills = campaign.scale(10, 1000)
    window_kills = campaign.scale(3, 100)
    lanes = 3  # apps running (and killed) at once on the one data folder
    paths = AppPaths.under(isolated_home).ensure()
    long_reply = ChatSettings(max_tokens=REPLY_TOKENS, ignore_eos=True, n_ctx=CTX)
    save_settings(paths.settings_file, Settings(threads=1, default_chat=long_reply.to_dict()))
    env = {**os.environ, HOME_ENV: str(isolated_home), "QT_QPA_PLATFORM": "offscreen"}
    ledger, orphans = Ledger(paths.db), Orphans()
    # The first start creates the database and registers the model.
    subprocess.run([*PROGRAM, "import", str(long_model)], env=env, check=True, capture_output=True)

    cli, started = Tally(), time.monotonic()
    rngs = [random.Random(1000 + lane) for lane in range(lanes)]
    per_lane = [cli_kills // lanes + (lane < cli_kills % lanes) for lane in range(lanes)]
    errors: list[BaseException] = []

    def lane_main(lane: int) -> None:
        try:
            _cli_lane(lane, per_lane[lane], long_model, env, ledger, orphans, cli, rngs[lane])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=lane_main, args=(lane,)) for lane in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    cli_s = time.monotonic() - started
    ledger.check(full=True)
    integrity = [_integrity(paths.db)]
    cli_leftover = len(ledger.streaming())

    window, started = Tally(), time.monotonic()
    for i in range(window_kills):
        _window_round(i, long_model, env, ledger, orphans, window)
    window_s = time.monotonic() - started

    # The next start after the last kill: the window marks the leftovers and chats again.
    leftover = ledger.streaming()
    done = subprocess.run(
        [*PROGRAM, "gui", "--self-test", "--model", str(long_model), "--prompt", "after"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    ledger.check(full=True)
    integrity.append(_integrity(paths.db))
    marked = _read(
        paths.db,
        f"SELECT status, count(*) FROM messages WHERE id IN ({','.join('?' * len(leftover))}) "
        "GROUP BY status",
        tuple(leftover),
    )
    statuses = {str(s): int(n) for s, n in marked}
    left_processes = orphans.wait(ORPHAN_WAIT_S)
    figures = {
        "cli_kills": cli.kills,
        "cli_kills_mid_reply": cli.mid_reply,
        "cli_apps_at_once": lanes,
        "cli_seconds": round(cli_s, 1),
        "cli_seconds_per_kill": round(cli_s / max(cli.kills, 1) * lanes, 2),
        "window_kills": window.kills,
        "window_seconds": round(window_s, 1),
        "finished_before_kill": cli.finished_before_kill + window.finished_before_kill,
        "messages_checked": len(ledger.seen),
        "message_checks": ledger.checks,
        "messages_lost": len(ledger.lost),
        "prompts_checked": cli.prompts_checked + window.prompts_checked,
        "prompts_missing": cli.prompts_missing + window.prompts_missing,
        "cut_replies_with_saved_text": cli.partial_saved + window.partial_saved,
        "cut_replies_left_streaming_by_cli": cli_leftover,
        "cut_replies_marked_interrupted_at_next_window_start": window.marked_at_next_start
        + statuses.get("interrupted", 0),
        "cut_replies_still_streaming": statuses.get("streaming", 0),
        "integrity_failures": sum(result != "ok" for result in integrity),
        "engine_workers_orphaned": orphans.seen,
        "orphan_longest_life_s": round(orphans.longest_s, 2),
        "processes_left_running": len(left_processes),
    }
    campaign.report(figures)
    assert ledger.lost == [], ledger.lost[:10]
    assert figures["prompts_missing"] == 0
    assert figures["integrity_failures"] == 0, integrity
    assert figures["cut_replies_still_streaming"] == 0
    assert cli.kills + window.kills >= cli_kills + window_kills - figures["finished_before_kill"]
    assert left_processes == [], json.dumps([p.pid for p in left_processes])
