"""A local stand-in for the Hugging Face Hub, on 127.0.0.1, for tests.

It speaks the parts of the Hub's HTTP API that huggingface_hub's ``HfApi`` and our
downloader use (read off huggingface_hub 2.4.0's ``hf_api.py`` and ``utils/_http.py``):

- ``GET /api/models``: search, filter, author, sort, limit; pages linked by
  ``Link: <...>; rel="next"`` like the real Hub;
- ``GET /api/models/{repo}[/revision/{rev}]``, with ``?blobs=true`` adding each
  sibling's size and ``lfs.sha256``;
- ``GET /api/models/{repo}/tree/{rev}``;
- ``HEAD``/``GET /{repo}/resolve/{rev}/{file}`` with ``X-Repo-Commit``, ``ETag``,
  ``Content-Length``, ``Accept-Ranges`` and ``206`` + ``Content-Range``;
- errors as ``X-Error-Code: RepoNotFound | RevisionNotFound | EntryNotFound | GatedRepo``.

Faults for file downloads are switched on through :attr:`HubServer.faults`: drop the
connection after N bytes, stall, answer 500, ignore Range, corrupt bytes (same length),
or list files without their sha256 (as for a file not in LFS).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

_CHUNK = 256 * 1024
_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


@dataclass
class HubRepo:
    """One model repository: file name -> content (bytes or a path read once)."""

    repo_id: str
    files: dict[str, bytes | Path]
    commit: str = ""
    gated: bool = False
    downloads: int = 0
    likes: int = 0
    last_modified: str = "2025-01-01T00:00:00.000Z"
    tags: list[str] = field(default_factory=lambda: ["gguf", "text-generation"])
    gguf: dict[str, Any] | None = None
    """What the Hub's ``gguf`` field holds: total (parameters), architecture, context_length."""

    def __post_init__(self) -> None:
        if not self.commit:
            self.commit = hashlib.sha1(self.repo_id.encode()).hexdigest()
        self._data: dict[str, bytes] = {}
        self._sha: dict[str, str] = {}

    def data(self, name: str) -> bytes:
        if name not in self._data:
            content = self.files[name]
            self._data[name] = content.read_bytes() if isinstance(content, Path) else content
        return self._data[name]

    def sha256(self, name: str) -> str:
        if name not in self._sha:
            self._sha[name] = hashlib.sha256(self.data(name)).hexdigest()
        return self._sha[name]


@dataclass
class Faults:
    """Fault switches for file GETs. Counters say how many more times each fault fires."""

    drop_after: int | None = None
    """Close the connection after sending this many body bytes."""
    drops: int = 1
    stall_after: int | None = None
    """Stop sending (connection open) after this many body bytes, for stall_seconds."""
    stall_seconds: float = 5.0
    stalls: int = 1
    errors_500: int = 0
    """Answer the next N file GETs with 500."""
    ignore_range: bool = False
    corrupt: bool = False
    """Flip one byte in the middle of every file served (the length stays right)."""
    corrupt_at: float = 0.5
    """Where in the file the flipped byte is, as a fraction of its length."""
    throttle: float | None = None
    """Send file bodies at about this many bytes a second (a slow connection)."""
    no_sha256: bool = False
    """List files without ``lfs`` (so without a sha256), as the Hub does for files
    kept in git itself."""


@dataclass
class Hit:
    method: str
    path: str
    range: str | None
    authorization: str | None
    status: int = 0
    body_bytes: int = 0


class HubServer:
    """Start with :meth:`start` (or as a context manager); ``url`` is the HF_ENDPOINT."""

    def __init__(self, repos: list[HubRepo] | None = None, *, page_size: int = 50) -> None:
        self.repos: dict[str, HubRepo] = {r.repo_id: r for r in repos or []}
        self.faults = Faults()
        self.page_size = page_size
        self.chunk = _CHUNK
        """Bytes of a file body written at a time (a smaller one: finer throttling)."""
        self.valid_tokens: set[str] = {"hf_good"}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------

    def start(self) -> HubServer:
        handler = type("Handler", (_Handler,), {"hub": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, repo: HubRepo) -> HubRepo:
        self.repos[repo.repo_id] = repo
        return repo

    # ---- stats --------------------------------------------------------------------

    def file_hits(self) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if "/resolve/" in h.path and h.method == "GET"]

    def bytes_sent(self, file_name: str | None = None) -> int:
        return sum(
            h.body_bytes
            for h in self.file_hits()
            if file_name is None or h.path.endswith("/" + quote(file_name))
        )

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    def _take(self, counter: str) -> bool:
        """Use up one firing of a counted fault; False when none is left."""
        with self._lock:
            left = getattr(self.faults, counter)
            if left <= 0:
                return False
            setattr(self.faults, counter, left - 1)
            return True


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = parse_qs(split.query)
        hit = Hit(method, split.path, self.headers.get("Range"), self.headers.get("Authorization"))
        self.hub._record(hit)
        self._hit = hit
        try:
            if path == "/api/models":
                self._list_models(query)
            elif path.startswith("/api/models/"):
                self._model_api(path[len("/api/models/") :], query)
            elif "/resolve/" in path:
                self._resolve(method, path)
            else:
                self._error(404, "EntryNotFound", "no such endpoint")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ---- responses ----------------------------------------------------------------

    def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self._hit.status = status
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", headers.get("Content-Length", str(len(body))))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, data: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        self._send(200, {"Content-Type": "application/json", **(headers or {})}, body)

    def _error(self, status: int, code: str | None, message: str) -> None:
        headers = {"Content-Type": "application/json", "X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, headers, json.dumps({"error": message}).encode())

    # ---- /api/models --------------------------------------------------------------

    def _list_models(self, query: dict[str, list[str]]) -> None:
        repos = list(self.hub.repos.values())
        if "search" in query:
            words = query["search"][0].lower()
            repos = [r for r in repos if words in r.repo_id.lower()]
        if "author" in query:
            repos = [r for r in repos if r.repo_id.split("/")[0] == query["author"][0]]
        for tag in query.get("filter", []):
            repos = [r for r in repos if tag in r.tags]
        sort = query.get("sort", [""])[0]
        key = {"downloads": "downloads", "likes": "likes", "lastModified": "last_modified"}
        if sort in key:
            repos.sort(key=lambda r: getattr(r, key[sort]), reverse=True)
        limit = int(query.get("limit", ["1000"])[0])
        offset = int(query.get("cursor", ["0"])[0])
        size = min(limit, self.hub.page_size)
        page = repos[offset : offset + size]
        headers = {}
        if offset + size < min(len(repos), limit):
            flat = [(k, v) for k, values in query.items() if k != "cursor" for v in values]
            flat.append(("cursor", str(offset + size)))
            headers["Link"] = f'<{self.hub.url}/api/models?{urlencode(flat)}>; rel="next"'
        self._json([self._summary(r) for r in page], headers)

    @staticmethod
    def _summary(repo: HubRepo) -> dict[str, Any]:
        data: dict[str, Any] = {
            "_id": repo.commit[:24],
            "id": repo.repo_id,
            "modelId": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "downloads": repo.downloads,
            "likes": repo.likes,
            "lastModified": repo.last_modified,
            "createdAt": repo.last_modified,
            "private": False,
            "gated": "manual" if repo.gated else False,
            "tags": repo.tags,
            "library_name": "gguf",
            "pipeline_tag": "text-generation",
        }
        if repo.gguf is not None:
            data["gguf"] = repo.gguf
        return data

    def _repo_and_rest(self, rest: str) -> tuple[HubRepo | None, str]:
        parts = rest.split("/")
        repo = self.hub.repos.get("/".join(parts[:2]))
        return repo, "/".join(parts[2:])

    def _model_api(self, rest: str, query: dict[str, list[str]]) -> None:
        repo, tail = self._repo_and_rest(rest)
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found")
            return
        if tail.startswith("tree/"):
            rev, _, _sub = tail[len("tree/") :].partition("/")
            if rev not in ("main", repo.commit):
                self._error(404, "RevisionNotFound", "Invalid rev id")
                return
            entries = [self._tree_entry(repo, name) for name in repo.files]
            if self.hub.faults.no_sha256:
                for entry in entries:
                    entry.pop("lfs", None)
            self._json(entries)
            return
        if tail.startswith("revision/"):
            rev = tail[len("revision/") :]
            if rev not in ("main", repo.commit):
                self._error(404, "RevisionNotFound", "Invalid rev id")
                return
        elif tail:
            self._error(404, None, "no such endpoint")
            return
        blobs = query.get("blobs", ["false"])[0].lower() == "true"
        data = self._summary(repo)
        data["sha"] = repo.commit
        data["siblings"] = [self._sibling(repo, name, blobs) for name in repo.files]
        if self.hub.faults.no_sha256:
            for sibling in data["siblings"]:
                sibling.pop("lfs", None)
        self._json(data)

    @staticmethod
    def _sibling(repo: HubRepo, name: str, blobs: bool) -> dict[str, Any]:
        if not blobs:
            return {"rfilename": name}
        size = len(repo.data(name))
        return {
            "rfilename": name,
            "size": size,
            "blobId": hashlib.sha1(repo.data(name)).hexdigest(),
            "lfs": {"size": size, "sha256": repo.sha256(name), "pointerSize": 134},
        }

    @staticmethod
    def _tree_entry(repo: HubRepo, name: str) -> dict[str, Any]:
        size = len(repo.data(name))
        return {
            "type": "file",
            "oid": hashlib.sha1(repo.data(name)).hexdigest(),
            "size": size,
            "path": name,
            "lfs": {"oid": repo.sha256(name), "size": size, "pointerSize": 134},
        }

    # ---- /{repo}/resolve/{rev}/{file} ---------------------------------------------

    def _resolve(self, method: str, path: str) -> None:
        repo_part, _, rest = path.lstrip("/").partition("/resolve/")
        repo = self.hub.repos.get(repo_part)
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found")
            return
        rev, _, name = rest.partition("/")
        if rev not in ("main", repo.commit):
            self._error(404, "RevisionNotFound", "Invalid rev id")
            return
        if name not in repo.files:
            self._error(404, "EntryNotFound", "Entry not found")
            return
        if repo.gated:
            auth = self.headers.get("Authorization", "")
            if not auth:
                self._error(401, "GatedRepo", "Access to this model is restricted")
                return
            if auth.removeprefix("Bearer ") not in self.hub.valid_tokens:
                self._error(403, "GatedRepo", "You have not accepted the license")
                return
        if method == "GET" and self.hub._take("errors_500"):
            self._error(500, None, "Internal Error")
            return

        data = repo.data(name)
        total = len(data)
        headers = {
            "X-Repo-Commit": repo.commit,
            "ETag": f'"{repo.sha256(name)}"',
            "X-Linked-Etag": f'"{repo.sha256(name)}"',
            "X-Linked-Size": str(total),
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        start, end = 0, total - 1
        status = 200
        match = _RANGE.match(self.headers.get("Range", "") or "")
        if match and not self.hub.faults.ignore_range:
            start = int(match.group(1))
            end = min(int(match.group(2)), total - 1) if match.group(2) else total - 1
            if start >= total:
                headers["Content-Range"] = f"bytes */{total}"
                self._send(416, headers)
                return
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        headers["Content-Length"] = str(end - start + 1)
        self._hit.status = status
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if method == "HEAD":
            return
        self._stream(data, start, end + 1)

    def _stream(self, data: bytes, start: int, stop: int) -> None:
        faults = self.hub.faults
        sent = 0
        view = memoryview(data)  # slices of a memoryview are not copies
        step = self.hub.chunk
        for chunk_start in range(start, stop, step):
            chunk: bytes | memoryview = view[chunk_start : min(chunk_start + step, stop)]
            if faults.corrupt:
                middle = min(len(data) - 1, int(len(data) * faults.corrupt_at))
                if chunk_start <= middle < chunk_start + len(chunk):
                    i = middle - chunk_start
                    chunk = bytes(chunk[:i]) + bytes([chunk[i] ^ 0xFF]) + bytes(chunk[i + 1 :])
            for cut, counter in ((faults.drop_after, "drops"), (faults.stall_after, "stalls")):
                if cut is not None and sent <= cut < sent + len(chunk) and self.hub._take(counter):
                    head = chunk[: cut - sent]
                    self.wfile.write(head)
                    self.wfile.flush()
                    self._hit.body_bytes = sent + len(head)
                    if counter == "drops":
                        self._drop()
                        return
                    self.hub._stop.wait(faults.stall_seconds)
                    self._drop()
                    return
            self.wfile.write(chunk)
            sent += len(chunk)
            self._hit.body_bytes = sent
            if faults.throttle:
                self.hub._stop.wait(len(chunk) / faults.throttle)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
