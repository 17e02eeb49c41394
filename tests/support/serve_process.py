"""``desktop-llm serve`` in a subprocess on a free loopback port, for end-to-end tests:
waits for its URL line, keeps its request log lines, stops it with Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from desktop_llm.paths import HOME_ENV

ROOT = Path(__file__).resolve().parents[2]
_URL = re.compile(r"API server: (http://\S+/v1)")


class ServeProcess:
    def __init__(self, home: Path, *args: str, start_timeout: float = 60) -> None:
        env = dict(os.environ)
        env[HOME_ENV] = str(home)
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("PYTHONWARNINGS", None)
        self.home = home
        self.process = subprocess.Popen(
            [sys.executable, "-m", "desktop_llm", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.stderr = ""
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + start_timeout
        self.base_url = ""
        while not self.base_url:
            line = self.next_line(deadline - time.monotonic())
            match = _URL.search(line)
            if match:
                self.base_url = match.group(1)
        self.root_url = self.base_url.removesuffix("/v1")
        self.port = int(self.root_url.rsplit(":", 1)[1])
        key_file = home / "config" / "server_api_key"
        self.key = key_file.read_text().strip() if key_file.exists() else ""

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)
        self.lines.put("")

    def next_line(self, timeout: float) -> str:
        try:
            line = self.lines.get(timeout=max(0.0, timeout))
        except queue.Empty:
            raise AssertionError(f"serve printed nothing new; output: {self.output}") from None
        if line == "" and self.process.poll() is not None:
            err = self.process.stderr.read() if self.process.stderr else ""
            raise AssertionError(f"serve exited {self.process.returncode}: {err}")
        return line

    def wait_for_log(self, pattern: str, timeout: float = 30) -> str:
        """The next request log line matching ``pattern`` (a regex)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.next_line(deadline - time.monotonic())
            if re.search(pattern, line):
                return line

    def workers(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C; the exit code."""
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self.stderr = self.process.stderr.read() if self.process.stderr else ""
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            children = self.workers()
            self.interrupt()
            for child in children:
                if child.is_running():
                    child.kill()
