"""Chat depth (issue 18): search across 100,000 messages, and importing a 5,000-
conversation ChatGPT export, on a real database file.

Search: 1,000 chats of 100 messages (20-80 words each from an 8,000-word vocabulary
with Zipf-like frequencies, some words with accents), queried with common and rare
words, short and long prefixes, a phrase, an accent-folded word, an exclusion, a word
no chat has and text full of FTS5 operators; each query once to warm up, then timed
5 times; p50 and max over all timed runs (target < 50 ms).

Import: ChatGPT's conversations.json shape (tests/support/chat_exports.py), 5,000
conversations of 5 question/answer pairs (50,000 messages), from the file to the
committed transaction: read, parse, insert, index (target < 10 s).

Wall-clock times are the figures; CPU times ride along in the details, since a loaded
machine stretches the first and not the second. Standalone: ``python
bench/chat_depth_speed.py``.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, median

N_CHATS = 1_000
PER_CHAT = 100
N_CONVERSATIONS = 5_000
TURNS = 5
SEARCH_TARGET_MS = 50.0
IMPORT_TARGET_S = 10.0
ACCENTED = ["canción", "corazón", "está", "niño", "mañana", "café", "élève", "über"]


def _vocabulary(rng: random.Random, size: int = 8_000) -> list[str]:
    syllables = [c + v for c in "bcdfglmnprstvz" for v in "aeiou"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    ordered = sorted(words, key=lambda w: (len(w), w))
    rng.shuffle(ordered)
    return ordered


def _chats(rng: random.Random, vocabulary: list[str]) -> Sequence[object]:
    from desktop_llm.storage.chat_transfer_repo import NewChat, NewMessage

    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]
    chats = []
    for c in range(N_CHATS):
        messages = []
        parent: str | None = None
        for m in range(PER_CHAT):
            words = rng.choices(vocabulary, weights, k=rng.randint(20, 80))
            if rng.random() < 0.05:
                words.insert(rng.randrange(len(words)), rng.choice(ACCENTED))
            role = "user" if m % 2 == 0 else "assistant"
            messages.append(NewMessage(str(m), parent, role, " ".join(words), 1.7e9 + m))
            parent = str(m)
        title = " ".join(rng.choices(vocabulary[:500], k=3))
        chats.append(NewChat(f"bench:{c}", title, 1.7e9, 1.7e9, messages, None))
    return chats


def search_rows(repeats: int = 5) -> list[Row]:
    from desktop_llm.storage import connect
    from desktop_llm.storage.chat_transfer_repo import ChatTransferRepository
    from desktop_llm.storage.search_repo import SearchRepository

    rng = random.Random(18)
    vocabulary = _vocabulary(rng)
    with tempfile.TemporaryDirectory() as folder:
        conn = connect(Path(folder) / "chats.sqlite3")
        started = time.perf_counter()
        ChatTransferRepository(conn).insert_chats(_chats(rng, vocabulary))  # type: ignore[arg-type]
        build_s = time.perf_counter() - started
        total = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        search = SearchRepository(conn)
        common, mid, rare = vocabulary[0], vocabulary[200], vocabulary[6_000]
        queries = {
            "most common word": common,
            "common word": vocabulary[4],
            "mid word": mid,
            "rare word": rare,
            "2-letter prefix": common[:2],
            "3-letter prefix": mid[:3],
            "phrase": f'"{common} {vocabulary[1]}"',
            "two words": f"{vocabulary[3]} {mid}",
            "accent folded": "cancion",
            "exclusion": f"{mid} -{common}",
            "no match": "xylophonequartz",
            "operators": '"NEAR( AND -* OR',
        }
        times: dict[str, list[float]] = {}
        cpu: list[float] = []
        hits: dict[str, int] = {}
        for name, query in queries.items():
            hits[name] = len(search.search(query))  # warm-up
        for _ in range(repeats):
            for name, query in queries.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                search.search(query)
                times.setdefault(name, []).append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
        conn.close()
    runs = [t for per_query in times.values() for t in per_query]
    p50, worst = median(runs), max(runs)
    slowest = max(times, key=lambda name: max(times[name]))
    detail = {
        "messages": total,
        "build_s": round(build_s, 1),
        "queries": {name: queries[name] for name in queries},
        "hits": hits,
        "ms_per_query": {name: [round(t, 2) for t in ts] for name, ts in times.items()},
        "slowest_query": slowest,
        "cpu_ms_p50": round(median(cpu), 2),
        "cpu_ms_max": round(max(cpu), 2),
    }
    return [
        Row(
            f"Search across {total:,} messages: p50 (ms)",
            p50,
            "ms",
            target=f"< {SEARCH_TARGET_MS:.0f} ms",
            met=p50 < SEARCH_TARGET_MS,
            detail=detail,
        ),
        Row(
            f"Search across {total:,} messages: max (ms)",
            worst,
            "ms",
            target=f"< {SEARCH_TARGET_MS:.0f} ms",
            met=worst < SEARCH_TARGET_MS,
            detail={"slowest_query": slowest},
        ),
    ]


def import_rows() -> list[Row]:
    from desktop_llm.core.chat.transfer.importer import import_file
    from desktop_llm.storage import connect
    from desktop_llm.storage.chat_transfer_repo import ChatTransferRepository
    from tests.support.chat_exports import chatgpt_conversation

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "conversations.json"
        data = [chatgpt_conversation(n, turns=TURNS, words=30) for n in range(N_CONVERSATIONS)]
        source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        del data
        size_mb = source.stat().st_size / 1e6
        conn = connect(Path(folder) / "chats.sqlite3")
        started, cpu = time.perf_counter(), time.process_time()
        report = import_file(source, ChatTransferRepository(conn))
        seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        conn.close()
    return [
        Row(
            f"Import a {N_CONVERSATIONS:,}-conversation ChatGPT export (s)",
            seconds,
            "s",
            target=f"< {IMPORT_TARGET_S:.0f} s",
            met=seconds < IMPORT_TARGET_S,
            detail={
                "file_mb": round(size_mb, 1),
                "cpu_s": round(cpu_s, 2),
                "chats": report.chats,
                "messages": report.messages,
            },
        )
    ]


def run() -> list[Row]:
    return search_rows() + import_rows()


if __name__ == "__main__":
    for row in run():
        print(f"{row.name}: {row.value:.2f} {row.unit} (target {row.target}, met: {row.met})")
        print(f"    {row.detail}")
