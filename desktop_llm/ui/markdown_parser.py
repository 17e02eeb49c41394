"""Python-Markdown's parser for ui/markdown.py, made on the first rendering: importing
Markdown costs ~10 ms that the window's start doesn't need to pay (issue 16).

Raw HTML stays text and only http(s) links survive (see ui/markdown.py).
"""

from __future__ import annotations

import logging
import re
import threading
import xml.etree.ElementTree as etree
from typing import TYPE_CHECKING, Any

import markdown
from markdown.treeprocessors import Treeprocessor
from PySide6.QtCore import QCoreApplication

if TYPE_CHECKING:
    from desktop_llm.ui.markdown import _Theme

translate = QCoreApplication.translate
logger = logging.getLogger(__name__)

_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)


class _Sanitize(Treeprocessor):
    """Drop links that aren't http(s), turn images into links, style code and tables."""

    def __init__(self, md: markdown.Markdown, theme: _Theme) -> None:
        super().__init__(md)
        self.theme = theme

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag == "a":
                href = re.sub(r"[\x00-\x20]", "", element.get("href", ""))
                if not _SAFE_URL.match(href):
                    element.tag = "span"
                    element.attrib.clear()
            elif element.tag == "img":
                # QTextBrowser would fetch the image (a remote server learns the reply
                # was read; a local path reads the disk). Show a link instead.
                src = re.sub(r"[\x00-\x20]", "", element.get("src", ""))
                alt = element.get("alt") or src or translate("Markdown", "image")
                element.attrib.clear()
                if _SAFE_URL.match(src):
                    element.tag = "a"
                    element.set("href", src)
                else:
                    element.tag = "span"
                element.text = alt
            elif element.tag == "code":
                element.set("style", f"background-color:{self.theme.inline_code_background};")
            elif element.tag == "table":
                element.set("border", "1")
                element.set("cellspacing", "0")
                element.set("cellpadding", "4")
                element.set(
                    "style", f"border-collapse:collapse; border-color:{self.theme.table_border};"
                )


_parsers = threading.local()


def markdown_html(text: str, theme: _Theme) -> str:
    """``text`` (prose, no code fence) as HTML, through this thread's parser."""
    # Markdown objects keep state between calls and aren't thread-safe: one per thread
    # and theme, reset before each use (building one costs ~0.6 ms, a reply's worth).
    cache: dict[_Theme, markdown.Markdown] = _parsers.__dict__.setdefault("by_theme", {})
    md = cache.get(theme)
    if md is None:
        md = cache[theme] = _new_parser(theme)
    md.reset()
    return md.convert(text)


def _new_parser(theme: _Theme) -> markdown.Markdown:
    # lazy_ol=False keeps "2." as the start of a list that a code block split in two;
    # Markdown takes it, types-Markdown doesn't know it.
    options: dict[str, Any] = {"lazy_ol": False}
    md = markdown.Markdown(
        extensions=["fenced_code", "tables", "sane_lists", "nl2br"],
        output_format="html",
        **options,
    )
    # Raw HTML stays text: without these the parser passes <script>, <img> and the
    # like through verbatim (Python-Markdown has no safe mode since 3.0).
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # After inline parsing (20), which creates the links and images.
    md.treeprocessors.register(_Sanitize(md, theme), "desktop_llm_sanitize", 5)
    return md
