"""Text that goes in comes out (issue 17): 1 MB prompts, right-to-left and combining
characters, NUL bytes, and whatever bytes a model writes (invalid UTF-8 included) are
stored in real SQLite (storage/chats_repo.py) and shown by a real ChatView (offscreen)
as typed; a 1 MB prompt longer than the context is a clear UserError from the real
worker, not a crash.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.engine.templates import TemplateChoice
from desktop_llm.errors import UserError
from desktop_llm.storage import ChatRepository, connect
from desktop_llm.ui.chat_view import ChatView
from tests.support.gguf_builder import write_tiny_llama
from tests.torture.conftest import Campaign

COMPLETION = TemplateChoice(name="completion", source="fallback")

SAMPLES = {
    "arabic": "مرحبا بالعالم، كيف حالك؟",
    "hebrew_mixed": "שלום world 123 עולם",
    "bidi_controls": "abc\u202edcba\u202c \u2067rtl\u2069 \u200f!",
    "combining": "e\u0301 a\u0308 Z\u0324\u0354\u0367\u0311\u0313 \u0915\u094d\u0937",
    "zalgo": "h" + "\u0300\u0301\u0302\u0303\u0304" * 40 + "i",
    "emoji_zwj": "👩‍👩‍👧‍👦 🏳️‍🌈 👍🏽",
    "nul": "before\x00after\x00\x00end",
    "controls": "tab\there\x01\x02\x1f\x7f",
    "cjk": "漢字かなカナ한국어",
    "astral": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0001f600 \U0010fffd",
    "replacement": "bad \ufffd byte",
    "markup": "<b>not bold</b> &amp; <script>alert(1)</script>",
}


def megabyte(seed: int = 0) -> str:
    """About 1 MB of mixed text: words, every sample above, newlines."""
    rng = random.Random(seed)
    pieces = [*SAMPLES.values(), "the quick brown fox", "\n", "1234567890"]
    out: list[str] = []
    size = 0
    while size < 1_000_000:
        piece = rng.choice(pieces)
        out.append(piece)
        size += len(piece.encode("utf-8"))
    return " ".join(out)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineHost]:
    model = write_tiny_llama(tmp_path_factory.mktemp("roundtrip") / "tiny.gguf")
    engine = EngineHost(tmp_path_factory.mktemp("roundtrip-logs"))
    engine.load(LoadParams(str(model), n_ctx=256, n_threads=1))
    yield engine
    engine.unload()


def test_text_roundtrip(host: EngineHost, qtbot: QtBot, campaign: Campaign, tmp_path: Path) -> None:
    db = connect(tmp_path / "chats.sqlite3")
    chats = ChatRepository(db)
    view = ChatView()
    qtbot.addWidget(view)
    failures: list[str] = []
    counts = {"stored_exact": 0, "shown_exact": 0, "model_replies": 0, "replacement_chars": 0}

    texts = dict(SAMPLES)
    texts["megabyte"] = megabyte()
    conversation = chats.create_conversation("roundtrip 😀 \u202eltr")
    parent = None
    for name, text in texts.items():
        stored = chats.add_message(conversation.id, parent, "user", text)
        parent = stored.id
        back = chats.get_message(stored.id)
        if back.content != text:
            failures.append(f"{name}: SQLite gave back {len(back.content)} of {len(text)} chars")
        else:
            counts["stored_exact"] += 1
        bubble = view.add_message(back)
        shown = bubble.body.toPlainText()
        if shown != text or bubble.text != text:
            failures.append(f"{name}: shown as {shown[:60]!r}")
        else:
            counts["shown_exact"] += 1

    # Replies from a real model: random weights write byte tokens in any order, so
    # invalid UTF-8 comes out of llama.cpp; the worker's decoder turns it into U+FFFD.
    rounds = campaign.scale(6, 40)
    for seed in range(rounds):
        chunks: list[str] = []
        result = host.chat(
            [{"role": "user", "content": SAMPLES["arabic"] + SAMPLES["nul"]}],
            SamplingParams(temperature=1.5, top_k=0, top_p=1.0, max_tokens=48, seed=seed),
            COMPLETION,
            chunks.append,
        )
        counts["model_replies"] += 1
        counts["replacement_chars"] += result.text.count("\ufffd")
        if "".join(chunks) != result.text:
            failures.append(f"seed {seed}: the chunks differ from the text")
        try:
            result.text.encode("utf-8")
        except UnicodeEncodeError as exc:
            failures.append(f"seed {seed}: not valid text: {exc}")
            continue
        reply = chats.add_message(conversation.id, parent, "assistant", result.text)
        back = chats.get_message(reply.id)
        if back.content != result.text:
            failures.append(f"seed {seed}: the reply changed in SQLite")
        bubble = view.add_message(back)
        if bubble.text != result.text:
            failures.append(f"seed {seed}: the bubble holds other text")

    # A 1 MB prompt is far longer than the context: a clear message, and the worker lives.
    pid = host.pid
    try:
        host.chat([{"role": "user", "content": texts["megabyte"]}], SamplingParams(), COMPLETION)
        failures.append("a 1 MB prompt in a 256-token context was accepted")
    except UserError as exc:
        counts["too_long_refused"] = 1
        if "more than the context length" not in exc.message:
            failures.append(f"1 MB prompt: unclear message {exc.message!r}")
    if host.pid != pid or host.loaded is None:
        failures.append("the worker died on a 1 MB prompt")
    host.chat([{"role": "user", "content": "hello"}], SamplingParams(max_tokens=2), COMPLETION)
    db.close()
    campaign.report(
        {
            "cases": len(texts) + rounds + 1,
            "texts": len(texts),
            "largest_prompt_bytes": len(texts["megabyte"].encode("utf-8")),
            **counts,
            "failures": len(failures),
        }
    )
    assert not failures, failures
