"""A reply's Markdown drawn while it streams, at a cost that doesn't grow with the reply.

The text is cut into a settled part, drawn once for good, and a tail drawn again on each
pass. A blank line outside a code fence settles what comes before it
(:func:`~desktop_llm.ui.markdown.settled_end`). A paragraph can run on for thousands of
characters without one (a small model's run-on text, a long answer written as one
paragraph): its tail is cut at a line break or a space once it grows past
SOFT_SETTLE_CHARS (:func:`soft_settle`), and the pieces are drawn into the same block,
so each pass renders at most about that much Markdown (issue 16: the window stalled
while a fast model streamed one long paragraph). The finished reply is drawn again whole
(MessageBubble.update_from), so an emphasis or link cut in two by a soft cut shows as
written only while the reply streams.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from itertools import chain

from PySide6.QtGui import QTextBlockFormat, QTextCharFormat, QTextCursor, QTextDocument

from desktop_llm.ui.markdown import RenderedMarkdown, render_markdown, settled_end

logger = logging.getLogger(__name__)

SOFT_SETTLE_CHARS = 600
"""An unsettled tail longer than this is cut inside its paragraph (soft_settle)."""

KEEP_CHARS = 150
"""What a soft cut leaves in the tail: the newest text, whose Markdown may still change."""

LINE_BREAK = "\u2028"
"""What Qt makes of the <br> a line break in a paragraph renders to (Markdown's nl2br)."""

# What starts a block of its own at the start of a line: a list item, a heading, a quote,
# a fence, a rule or a setext underline (and a table row has a "|").
_BLOCK_START = re.compile(r"(?:[-*+](?:\s|$)|\d+[.)](?:\s|$)|#|>|`{3}|~{3}|[-=*_\s]+$)")
NEXT_ITEM = "\n"
"""The joiner of a cut between two items of a list: the next item's block (not text)."""

_ITEM = re.compile(r"^(?:([-*+])|\d+([.)]))\s+\S")
"""A list's item, not nested (its marker: "-", "*", "+", or "." or ")" after a number)."""
_NESTING = re.compile(r"^[ \t]*(?:[-*+]\s|\d+[.)]\s|>)")
"""A list's item or a quote: the lines after it belong to it until a blank line."""


_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
"""A table's second line, under its header: "|---|:--:|"."""


def _plain(line: str) -> bool:
    """A line that goes on a paragraph, also rendered on its own: not indented (code),
    no block of its own. (A "|" makes a table only on a block's first line, above a
    separator: see _starts_table.)"""
    return bool(line) and not line[0].isspace() and not _BLOCK_START.match(line)


def _starts_table(line: str, below: str | None) -> bool:
    """Whether ``line``, first of a block, may head a table (``below`` None: its next
    line is yet to come)."""
    return "|" in line and (below is None or bool(_SEPARATOR.match(below)))


def soft_settle(text: str, start: int) -> tuple[int, str] | None:
    """Where to cut ``text[start:]``, the unsettled tail of a reply still streaming, once
    it is longer than SOFT_SETTLE_CHARS: ``(end, joiner)``, ``text[start:end]`` to draw for
    good and what joins it to the rest in the same paragraph (a line break, or a space),
    or None (no fence-free paragraph to cut). A cut leaves the last KEEP_CHARS in the tail
    and is only made between two lines, or inside one, that render the same on either side
    of it: a paragraph's plain text. Cuts that leave a code span or a bold
    run open are avoided where another will do."""
    if len(text) - start <= SOFT_SETTLE_CHARS:
        return None
    tail = text[start : len(text) - KEEP_CHARS]
    lines = tail.split("\n")
    if any(_FENCE.match(line) for line in lines):
        return None  # a code block: drawn whole until a blank line settles it
    if len(lines) > 1 and _starts_table(lines[0], lines[1]):
        return None  # a table: every line of the block is a row
    # In a list or a quote, every later line belongs to it: cut between two items, or in
    # a paragraph that hangs on the last one for longer than SOFT_SETTLE_CHARS (a cut
    # there shows an item that follows it as text, until a blank line or the end).
    nesting = [index for index, line in enumerate(lines) if _NESTING.match(line)]
    cuts = _items(lines) if nesting else _cuts(tail, lines)
    if nesting:
        after = sum(len(line) + 1 for line in lines[: nesting[-1] + 1])
        if len(tail) - after >= SOFT_SETTLE_CHARS:
            hanging = _cuts(tail[after:], lines[nesting[-1] + 1 :])
            cuts = chain(((after + cut, joiner) for cut, joiner in hanging), cuts)
    fallback = None
    for count, (cut, joiner) in enumerate(cuts):
        piece = tail[:cut]
        if piece.count("`") % 2 == 0 and piece.count("**") % 2 == 0:
            return start + cut, joiner
        fallback = fallback or (start + cut, joiner)
        if count >= MAX_TRIES:
            break
    return fallback


MAX_TRIES = 64
"""Cuts soft_settle looks at for one that leaves no code span or bold run open."""


def _cuts(tail: str, lines: list[str]) -> Iterator[tuple[int, str]]:
    """The places ``tail`` may be cut, latest first (see soft_settle)."""
    # Inside the last line: at a space, where what follows reads as plain text.
    last = lines[-1]
    first = len(tail) - len(last)
    if _line_ok(lines, len(lines) - 1) and (len(lines) == 1 or _line_ok(lines, len(lines) - 2)):
        indent = len(last) - len(last.lstrip(" \t"))
        for match in reversed(list(re.finditer(r" +(?=\S)", last))):
            rest = last[match.end() :]
            if match.start() > indent and _plain(rest) and not _starts_table(rest, None):
                yield first + match.end(), " "
    # Between two lines: the later one continues the paragraph on its own (from its
    # first character: indented on its own, it would read as code).
    position = first
    for index in range(len(lines) - 1, 0, -1):
        after = lines[index].lstrip(" \t")
        below = lines[index + 1] if index + 1 < len(lines) else None
        if _line_ok(lines, index - 1) and _plain(after) and not _starts_table(after, below):
            yield position + len(lines[index]) - len(after), LINE_BREAK
        position -= len(lines[index - 1]) + 1


def _items(lines: list[str]) -> Iterator[tuple[int, str]]:
    """Between two items of the same list, latest first: where the later one starts."""
    position = sum(len(line) + 1 for line in lines) - 1
    for index in range(len(lines) - 1, 0, -1):
        position -= len(lines[index]) + 1
        before, after = _ITEM.match(lines[index - 1]), _ITEM.match(lines[index])
        if before and after and before.groups() == after.groups():
            yield position + 1, NEXT_ITEM


def _line_ok(lines: list[str], index: int) -> bool:
    """Whether ``lines[index]`` is a paragraph's line: a cut after it draws the same.
    Indented by four, the tail's first line is code."""
    line = lines[index]
    stripped = line.lstrip(" \t")
    if index == 0 and len(line) - len(stripped) >= 4:
        return False
    return _plain(stripped)


_FENCE = re.compile(r"^[ \t]*(?:`{3,}|~{3,})")


class MarkdownStream:
    """Draws a growing reply into ``document``: :meth:`draw` with the text so far.

    The document holds the settled pieces, then (from ``tail_at``) the tail drawn last
    time; each pass takes the tail away, adds what settled since, and draws the new tail.
    """

    def __init__(self, document: QTextDocument) -> None:
        self.document = document
        self.reset()

    def reset(self) -> None:
        """Start again (the caller clears the document)."""
        self.settled = 0  # how much of the text is drawn for good
        self.settled_code: tuple[str, ...] = ()  # the code blocks in that part
        self.tail_at = 0  # where in the document the tail begins
        self.joiner = ""  # what joins the tail to the last settled piece ("": a new block)

    def draw(self, text: str, *, dark: bool) -> tuple[str, ...]:
        """Draw ``text`` (the reply so far); returns its code blocks, in order."""
        cursor = QTextCursor(self.document)
        cursor.beginEditBlock()  # one layout pass for the whole change, not one per edit
        try:
            return self._draw(cursor, text, dark)
        finally:
            cursor.endEditBlock()

    def _draw(self, cursor: QTextCursor, text: str, dark: bool) -> tuple[str, ...]:
        cursor.setPosition(min(self.tail_at, self.document.characterCount() - 1))
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        hard = settled_end(text)
        if hard > self.settled:
            self._settle(cursor, text, hard, "", dark)
        soft = soft_settle(text, self.settled)
        if soft is not None:
            self._settle(cursor, text, *soft, dark)
        rest = render_markdown(text[self.settled :], dark=dark)
        self._insert(cursor, rest, self.joiner)
        return (*self.settled_code, *rest.code_blocks)

    def _settle(self, cursor: QTextCursor, text: str, end: int, joiner: str, dark: bool) -> None:
        source = text[self.settled : end]
        # A cut at a space: the joiner is that space (Markdown keeps a trailing one).
        piece = render_markdown(source.rstrip(" ") if joiner == " " else source, dark=dark)
        self._insert(cursor, piece, self.joiner)
        self.settled_code = (*self.settled_code, *piece.code_blocks)
        self.settled, self.joiner = end, joiner
        self.tail_at = cursor.position()

    def _insert(self, cursor: QTextCursor, rendered: RenderedMarkdown, joiner: str) -> None:
        if not rendered.html:
            return
        html = _with_copy_offset(rendered, len(self.settled_code))
        if cursor.position() > 0 and joiner == NEXT_ITEM:
            _insert_items(cursor, html)
            return
        if cursor.position() > 0:
            if joiner:
                cursor.insertText(joiner)  # the same paragraph goes on
            elif not html.startswith(("<ul", "<ol", "<table")):
                # Qt merges a fragment's first paragraph into the block at the cursor
                # (lists and tables start their own): start a new one for it, with that
                # paragraph's margins (the merge keeps the block's own).
                cursor.insertBlock(_first_block_format(html), QTextCharFormat())
        cursor.insertHtml(html)


def _first_block_format(html: str) -> QTextBlockFormat:
    scratch = QTextDocument()
    scratch.setHtml(html)
    return scratch.begin().blockFormat()


def _insert_items(cursor: QTextCursor, html: str) -> None:
    """Insert ``html``, a list's next items, into the list at the cursor: Qt would make
    them a list of their own, numbered from 1 again."""
    previous = cursor.currentList()
    cursor.insertBlock()  # the next item's block, in the list
    start = cursor.block()
    cursor.insertHtml(html)
    if previous is None:
        return
    indent = previous.format().indent()
    block = start.next()
    while block.isValid():
        other = block.textList()
        if other is not None and other != previous and other.format().indent() == indent:
            previous.add(block)
        block = block.next()


def _with_copy_offset(rendered: RenderedMarkdown, offset: int) -> str:
    """The HTML with its "copy:N" links counted from ``offset`` (a piece of a longer text)."""
    if not offset or not rendered.code_blocks:
        return rendered.html
    return re.sub(
        r'href="copy:(\d+)"', lambda m: f'href="copy:{int(m.group(1)) + offset}"', rendered.html
    )
