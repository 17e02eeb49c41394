"""Messages shown to people never carry Python reprs or raw errno text (issue 16)."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import httpx2
import pytest

from desktop_llm.errors import plain_reason


def test_os_errors_read_as_words(tmp_path: Path) -> None:
    with pytest.raises(OSError) as missing:
        (tmp_path / "nope.txt").read_text()
    assert plain_reason(missing.value) == "no such file or folder"
    with pytest.raises(OSError) as folder:
        tmp_path.read_text()
    assert plain_reason(folder.value) == "it is a folder, not a file"
    assert plain_reason(OSError(errno.ENOSPC, "No space left on device")) == "the disk is full"


def test_a_dead_port_through_httpx_reads_as_words() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(httpx2.ConnectError) as refused:
        httpx2.get(f"http://127.0.0.1:{port}/", timeout=5)
    reason = plain_reason(refused.value)
    assert reason == "nothing answers there (connection refused)"


def test_name_lookup_failures_and_leftover_reprs_are_cleaned() -> None:
    gaierror = socket.gaierror(-2, "Name or service not known")
    assert "[Errno" not in plain_reason(gaierror) and "looked up" in plain_reason(gaierror)
    text = plain_reason(ValueError("bad magic b'hell' after [Errno -2] the end"))
    assert text == "bad magic hell after the end"
