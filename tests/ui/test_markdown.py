"""Markdown to QTextBrowser HTML: structure, code blocks, and untrusted input."""

from __future__ import annotations

from desktop_llm.ui.markdown import plain_to_html, render_markdown


def test_headings_lists_and_tables() -> None:
    html = render_markdown(
        "# Title\n\nSome **bold** and `x < y`.\n\n- one\n- two\n\n1. first\n2. second\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n"
    ).html
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "x &lt; y</code>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n<li>second</li>\n</ol>" in html
    assert "<table" in html and "<th>a</th>" in html and "<td>2</td>" in html


def test_single_newlines_are_line_breaks() -> None:
    assert "<p>one<br>\ntwo</p>" in render_markdown("one\ntwo").html


def test_code_block_is_highlighted_with_copy_link() -> None:
    code = 'def f(x):\n    return x + 1  # "<b>"'
    rendered = render_markdown(f"Try:\n\n```python\n{code}\n```\n\nand\n\n~~~\nplain\n~~~\n")
    assert rendered.code_blocks == (code, "plain")
    html = rendered.html
    assert html.index("<p>Try:</p>") < html.index('href="copy:0"') < html.index("<pre")
    assert 'href="copy:1"' in html
    assert '<span style="color:' in html  # pygments' inline styles
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert html.count("<pre") == 2


def test_dark_theme_uses_a_dark_background() -> None:
    light = render_markdown("```python\nx = 1\n```").html
    dark = render_markdown("```python\nx = 1\n```", dark=True).html
    assert light != dark
    assert "background-color:#272822" in dark


def test_unterminated_fence_is_still_code() -> None:
    rendered = render_markdown("Here:\n\n```python\nfor i in range(3):\n    print(i)\n")
    assert rendered.code_blocks == ("for i in range(3):\n    print(i)",)
    assert 'href="copy:0"' in rendered.html
    assert "<pre" in rendered.html


def test_fence_inside_a_list_item() -> None:
    rendered = render_markdown("1. Run:\n   ```sh\n   ls -la\n   ```\n2. Done\n")
    assert rendered.code_blocks == ("ls -la",)
    assert '<ol start="2">' in rendered.html


def test_inline_triple_backticks_are_not_a_fence() -> None:
    rendered = render_markdown("Use ```print(1)``` here")
    assert rendered.code_blocks == ()


def test_raw_html_is_escaped() -> None:
    html = render_markdown(
        '<script>alert(1)</script>\n\n<img src="http://evil.example/x.png">\n\n'
        "<div onclick='x()'>hi</div>\n\ntext <b>bold</b>"
    ).html
    for tag in ("<script", "<img", "<div", "<b>"):
        assert tag not in html
    assert "&lt;script&gt;" in html
    assert "&lt;img" in html


def test_only_http_links_survive() -> None:
    html = render_markdown(
        "[bad](javascript:alert(1)) [data](data:text/html,x) [file](file:///etc/passwd) "
        "[copy](copy:0) [ok](https://example.com/a?b=1&c=2) ![pic](http://example.com/p.png)"
    ).html
    assert "javascript:" not in html
    assert "data:" not in html
    assert "file:" not in html
    assert "copy:" not in html
    assert "<img" not in html
    assert '<a href="https://example.com/a?b=1&amp;c=2">ok</a>' in html
    assert '<a href="http://example.com/p.png">pic</a>' in html


def test_plain_to_html_escapes() -> None:
    assert plain_to_html('<b>a & "b"</b>\nnext') == '&lt;b&gt;a &amp; "b"&lt;/b&gt;<br>next'
    assert plain_to_html("  x") == "&nbsp; x"


def test_settled_end_stops_at_the_last_blank_line_outside_code() -> None:
    from desktop_llm.ui.markdown import settled_end

    text = "Hello\n\nworld\n\n```py\nx = 1\n\ny = 2\n"
    assert text[: settled_end(text)] == "Hello\n\nworld\n\n"  # the open block isn't settled
    closed = text + "```\n\nafter"
    assert closed[: settled_end(closed)] == text + "```\n\n"
    assert settled_end("no blank line yet") == 0 and settled_end("") == 0
    assert settled_end("a\n\nb") == 3  # "b" is still being written
