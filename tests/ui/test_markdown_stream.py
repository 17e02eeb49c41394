"""A reply's Markdown drawn while it streams (ui/markdown_stream.py): the same text and
blocks as the finished reply's rendering, at a cost bounded by the unsettled tail."""

from __future__ import annotations

import random

from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from desktop_llm.ui.markdown import render_markdown
from desktop_llm.ui.markdown_stream import (
    KEEP_CHARS,
    LINE_BREAK,
    NEXT_ITEM,
    SOFT_SETTLE_CHARS,
    MarkdownStream,
    soft_settle,
)

WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "and",
    "**bold**",
    "words",
    "`code`",
    "here",
]


def _words(count: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(count))


def _blocks(document: QTextDocument) -> list[tuple[bool, float, str]]:
    """(in a list?, margin above, text) of each block: how the reply reads, paragraph by
    paragraph."""
    out = []
    block = document.begin()
    while block.isValid():
        out.append((block.textList() is not None, block.blockFormat().topMargin(), block.text()))
        block = block.next()
    return out


def _stream(text: str, step: int) -> tuple[QTextDocument, MarkdownStream, int]:
    """Draw ``text`` as it would stream, ``step`` characters at a time; returns the
    document, the stream and the longest tail any pass drew again."""
    document = QTextDocument()
    stream = MarkdownStream(document)
    longest = 0
    for end in range(step, len(text) + step, step):
        stream.draw(text[:end], dark=False)
        longest = max(longest, min(end, len(text)) - stream.settled)
    return document, stream, longest


def _rendered(text: str) -> QTextDocument:
    document = QTextDocument()
    document.setHtml(render_markdown(text).html)
    return document


def test_a_long_paragraph_is_cut_inside_and_reads_as_one(qtbot: QtBot) -> None:
    """Issue 16: a reply written as one long paragraph isn't rendered again whole on
    each pass; the pieces join into the one paragraph the finished reply shows."""
    text = _words(1500, seed=1)  # ~8,000 characters, no line break
    document, stream, longest = _stream(text, 97)
    assert longest <= SOFT_SETTLE_CHARS + 97
    assert stream.settled > len(text) - SOFT_SETTLE_CHARS
    assert _blocks(document) == _blocks(_rendered(text))


def test_long_lines_are_cut_between_lines_with_a_line_break(qtbot: QtBot) -> None:
    lines = "\n".join(_words(12, seed=i) for i in range(150))
    document, _, longest = _stream(lines, 101)
    assert longest <= SOFT_SETTLE_CHARS + 101
    assert document.toPlainText() == _rendered(lines).toPlainText()
    assert document.blockCount() == 1  # lines of one paragraph, as Markdown's <br>


def test_blocks_after_a_settled_part_start_their_own_paragraph(qtbot: QtBot) -> None:
    """The part after a blank line is a paragraph of its own (Qt merges an inserted
    paragraph into the block at the cursor): not glued to the list item above."""
    text = "Intro.\n\n- one\n- two\n\n# Title\n\nLast words"
    for step in (1, 5, len(text)):
        document, _, _longest = _stream(text, step)
        assert _blocks(document) == _blocks(_rendered(text)), step
    assert _blocks(_rendered(text))[-1][::2] == (False, "Last words")


def test_a_long_mixed_reply_draws_as_the_finished_one(qtbot: QtBot) -> None:
    text = (
        "Intro para.\n\n"
        + "\n".join(f"- item {i} " + _words(8, seed=i) for i in range(40))
        + "\n\n"
        + "\n".join(_words(12, seed=100 + i) for i in range(60))
        + "\n\n```python\n"
        + "x = 1\n" * 120
        + "```\n\nEnd "
        + _words(600, seed=7)
    )
    document, stream, _longest = _stream(text, 89)
    assert document.toPlainText() == _rendered(text).toPlainText()
    assert _blocks(document) == _blocks(_rendered(text))
    assert stream.draw(text, dark=False) == render_markdown(text).code_blocks


def test_soft_settle_leaves_short_tails_and_code_alone() -> None:
    assert soft_settle("short", 0) is None
    long_line = _words(400, seed=3)
    code = "```python\n" + "x = 1\n" * 400
    assert soft_settle(code, 0) is None  # an open code block is never cut
    cut = soft_settle(long_line, 0)
    assert cut is not None
    end, joiner = cut
    assert joiner == " " and long_line[end - 1] == " " and long_line[end] != " "
    assert end <= len(long_line) - KEEP_CHARS
    # what is drawn for good leaves no code span or bold run open
    assert long_line[:end].count("`") % 2 == 0 and long_line[:end].count("**") % 2 == 0


def test_soft_settle_cuts_only_before_a_line_that_goes_on_the_paragraph() -> None:
    plain = "\n".join("plain words in a line " * 3 for _ in range(30))
    end, joiner = soft_settle(plain, 0) or (0, "")
    assert joiner in (" ", LINE_BREAK) and end > 0
    # No cut before a heading (drawn on its own, it starts a block of its own), nor in a
    # list or a quote (cut, the next item would read as a paragraph's line).
    headings = "\n".join(f"# heading {i} " + "word " * 10 for i in range(60))
    assert soft_settle(headings, 0) is None
    assert soft_settle("> " + "quoted words " * 100, 0) is None
    # In a list, only between two of its items.
    listed = "\n".join(f"- item {i} " + "word " * 10 for i in range(60))
    end, joiner = soft_settle(listed, 0) or (0, "")
    assert joiner == NEXT_ITEM and listed[end - 1 : end + 2] == "\n- "


def test_a_long_list_is_cut_between_items_and_keeps_its_numbers(qtbot: QtBot) -> None:
    for marker in ("{i}.", "-"):
        items = [f"{marker.format(i=i)} item {i} " + _words(10, seed=i) for i in range(1, 60)]
        text = "Steps:\n\n" + "\n".join(items) + "\n\nDone."
        document, _, longest = _stream(text, 50)
        assert longest <= SOFT_SETTLE_CHARS + 50
        numbers = []
        block = document.begin()
        while block.isValid():
            if block.textList() is not None:
                numbers.append(block.textList().itemNumber(block))
            block = block.next()
        assert numbers == list(range(59))  # one list: Qt numbers its items from 0
        assert _blocks(document) == _blocks(_rendered(text))


def test_tables_are_not_cut_and_a_pipe_in_a_paragraph_is_no_table() -> None:
    rows = "\n".join(f"| {i} | " + "word " * 10 + "|" for i in range(60))
    assert soft_settle("| a | b |\n|---|---|\n" + rows, 0) is None
    piped = "\n".join("a | b in a sentence, " + _words(10, seed=i) for i in range(60))
    assert soft_settle(piped, 0) is not None
