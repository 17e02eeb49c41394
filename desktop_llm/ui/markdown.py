"""A chat reply's Markdown as HTML for QTextBrowser, with highlighted, copyable code.

QTextBrowser understands a subset of HTML 4 and ignores most of CSS, so everything
here uses inline styles and plain tags (<pre>, <table>, <span style="color:...">).

Model output is untrusted: raw HTML in it is shown as text, never rendered, and the
only links that survive are http(s) ones. Each fenced code block gets a "copy:N" link
above it; the view copies `RenderedMarkdown.code_blocks[N]` when it is clicked.

String work (Qt only to translate the "Copy" link): it lives in ui/ because only the
UI needs it.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

if TYPE_CHECKING:  # imported on the first rendering (~20 ms): not to open the window
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import Lexer

translate = QCoreApplication.translate
logger = logging.getLogger(__name__)

COPY_SCHEME = "copy:"


@dataclass(frozen=True)
class RenderedMarkdown:
    """html: the reply as HTML. code_blocks: the raw code of each fenced block, in order;
    the link "copy:N" in html stands for code_blocks[N]."""

    html: str
    code_blocks: tuple[str, ...]


@dataclass(frozen=True)
class _Theme:
    pygments_style: str
    code_background: str
    code_foreground: str
    inline_code_background: str
    muted: str
    table_border: str


_LIGHT = _Theme("default", "#f6f8fa", "#1f2328", "#eef0f2", "#6e7781", "#c8ccd0")
_DARK = _Theme("monokai", "#272822", "#f8f8f2", "#3a3b3c", "#9da5ae", "#5a5f66")


# --------------------------------------------------------------------- code fences

# CommonMark fences: three or more backticks or tildes. We take any indentation
# (models indent code inside list items) and an unclosed fence runs to the end,
# because a reply can stop, or be stopped, in the middle of a block.
_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class _Code:
    code: str
    language: str


def _split_fences(text: str) -> list[str | _Code]:
    """Cut text into prose (str) and fenced code blocks, in order."""
    lines = text.split("\n")
    parts: list[str | _Code] = []
    prose: list[str] = []
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        fence = opening.group("fence") if opening else ""
        # "```print(1)```" on one line is inline code, not a fence.
        if not opening or (fence[0] == "`" and "`" in opening.group("info")):
            prose.append(lines[i])
            i += 1
            continue
        indent = len(opening.group("indent"))
        info = opening.group("info").strip()
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        code: list[str] = []
        i += 1
        while i < len(lines) and not closing.match(lines[i]):
            line = lines[i]
            # Take off the fence's own indentation, as CommonMark does.
            strip = len(line) - len(line.lstrip(" \t"))
            code.append(line[min(indent, strip) :])
            i += 1
        if i >= len(lines) and code and not code[-1].strip():
            code.pop()  # unclosed: the text's own final newline isn't part of the code
        i += 1  # the closing fence, if there is one
        if prose:
            parts.append("\n".join(prose))
            prose = []
        language = info.split()[0].strip("{}.") if info else ""
        parts.append(_Code("\n".join(code), language))
    if prose:
        parts.append("\n".join(prose))
    return parts


def settled_end(text: str) -> int:
    """How much of a reply still streaming is settled: the end of its last blank line
    outside a code fence (0 if none). What comes before renders the same whatever follows
    (paragraphs, closed code blocks), so a streaming view renders it once and re-renders
    only the rest as it grows."""
    end = 0
    position = 0
    closing: re.Pattern[str] | None = None
    for line in text.split("\n")[:-1]:  # the last line is still being written
        position += len(line) + 1
        if closing is not None:
            if closing.match(line):
                closing = None
            continue
        opening = _FENCE_OPEN.match(line)
        if opening and not (opening.group("fence")[0] == "`" and "`" in opening.group("info")):
            fence = opening.group("fence")
            closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        elif not line.strip():
            end = position
    return end


@functools.lru_cache(maxsize=64)
def _named_lexer(language: str) -> Lexer | None:
    """The lexer for a fence's language, once per language: Pygments' lookup scans the
    installed packages' plugin entry points each time (~6 ms with this app's
    dependencies), and a lexer keeps no state between highlights."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer: Lexer = get_lexer_by_name(language, stripnl=False)
    except ClassNotFound:
        return None
    return lexer


def _lexer_for(code: str, language: str) -> Lexer:
    from pygments.lexers import TextLexer, guess_lexer
    from pygments.util import ClassNotFound

    options = {"stripnl": False}
    if language:
        named = _named_lexer(language.lower())
        if named is not None:
            return named
    if code.strip():
        try:
            return guess_lexer(code, **options)
        except ClassNotFound:
            pass
    plain: Lexer = TextLexer(**options)  # an untyped constructor in types-Pygments
    return plain


@functools.cache
def _formatter(style: str) -> HtmlFormatter[str]:
    """One formatter per style: building one computes its whole stylesheet (~0.5 ms);
    formatting keeps no state in it."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(noclasses=True, nowrap=True, style=style)


def _code_html(index: int, block: _Code, theme: _Theme) -> str:
    from pygments import highlight

    formatter = _formatter(theme.pygments_style)
    body = highlight(block.code, _lexer_for(block.code, block.language), formatter)
    # Pygments ends the output with a newline; in a <pre> it would show as an empty line.
    if body.endswith("\n"):
        body = body[:-1]
    elif body.endswith("\n</span>"):
        body = body[: -len("\n</span>")] + "</span>"
    label = (
        f'<span style="color:{theme.muted};">{html.escape(block.language)}</span>&nbsp;&nbsp;'
        if block.language
        else ""
    )
    copy = html.escape(translate("Markdown", "Copy"))
    return (
        f'<p style="margin-top:8px; margin-bottom:0px;">{label}'
        f'<a href="{COPY_SCHEME}{index}">{copy}</a></p>'
        f'<pre style="background-color:{theme.code_background}; color:{theme.code_foreground};'
        f' margin-top:2px; margin-bottom:8px; white-space:pre-wrap;">{body}</pre>'
    )


# ------------------------------------------------------------------------ Markdown


def _markdown_html(text: str, theme: _Theme) -> str:
    # Python-Markdown is imported with the first rendering (ui/markdown_parser.py).
    from desktop_llm.ui.markdown_parser import markdown_html

    return markdown_html(text, theme)


def render_markdown(text: str, *, dark: bool = False) -> RenderedMarkdown:
    """Render a reply's Markdown to QTextBrowser HTML with highlighted code blocks."""
    theme = _DARK if dark else _LIGHT
    pieces: list[str] = []
    code_blocks: list[str] = []
    for part in _split_fences(text.replace("\r\n", "\n")):
        if isinstance(part, _Code):
            pieces.append(_code_html(len(code_blocks), part, theme))
            code_blocks.append(part.code)
        elif part.strip():
            pieces.append(_markdown_html(part, theme))
    return RenderedMarkdown(html="\n".join(pieces), code_blocks=tuple(code_blocks))


def plain_to_html(text: str) -> str:
    """Escaped text with line breaks and runs of spaces kept, for a reply still streaming."""
    escaped = html.escape(text.replace("\r\n", "\n"), quote=False)
    # HTML collapses runs of spaces; keep indentation visible.
    escaped = escaped.replace("\t", "    ").replace("  ", "&nbsp; ")
    return escaped.replace("\n", "<br>")
