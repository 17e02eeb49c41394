"""llama-cpp-python's own OpenAI-compatible server (``python -m llama_cpp.server``) in a
subprocess on a free loopback port: a real third-party server for the remote tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    """``model`` served as ``alias``; ``api_key`` (if given) required."""

    def __init__(
        self,
        model: Path,
        log: Path,
        *,
        alias: str = "smollm2",
        api_key: str = "",
        start_timeout: float = 90,
    ) -> None:
        self.port = free_port()
        self.alias = alias
        self.api_key = api_key
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        args = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--model_alias",
            alias,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            "2048",
        ]
        if api_key:
            args += ["--api_key", api_key]
        self._log = log.open("w")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + start_timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/models", headers=headers, timeout=2).is_success:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.close()
                raise AssertionError(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.25)

    def kill(self) -> None:
        """SIGKILL: the server dies mid-whatever, as a crashed or unplugged box does."""
        self.process.kill()
        self.process.wait()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
