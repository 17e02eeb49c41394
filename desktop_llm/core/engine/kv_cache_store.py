"""Worker side: each chat's KV cache kept on disk, so a chat answers at once when the
user comes back to it (after switching chats or models, or restarting the app).

Imported only in the worker process (it imports llama_cpp). The worker holds one
chat's state in llama.cpp's KV cache at a time; the chat request names its chat with
a ``cache_key``. When a request comes with another key, or the worker is told to
stop, the state it holds is written with ``llama_state_seq_save_file`` (llama.cpp
writes the file itself: no copy through Python bytes), next to a small JSON sidecar
that says which model file and load settings made it, which key it belongs to, and
how many tokens it holds with their hash. Restoring checks all of that, loads the
state with ``llama_state_seq_load_file`` and hands its tokens to ``Llama``
(``input_ids``/``n_tokens``), whose own prefix check (``Llama.generate`` compares the
new prompt token by token) then keeps the longest matching prefix and processes only
the rest. A state from another model, other settings, another template or an edited
earlier message therefore never serves a token it doesn't match.

A file that fails any check (damaged, truncated, from another model) is removed with
a line in the log; llama.cpp reads only a file whose size and CRC-32 are those the
sidecar recorded, since its reader aborts the process on some damaged files. The
folder is kept under a size limit, least recently used first (a restore touches its
files).

A switch between two long chats waits only for llama.cpp's write and read. What
follows a save is a background thread's work (``_Chores``), done while the next
reply is computed: freeing the chat's previous file (renamed aside, not replaced:
replacing a 69 MB file frees its pages and blocks during the rename, 33-58 ms here),
the new file's checksum (25 ms for 69 MB), then the folder's size limit. This worker
reads back its own files without the checksum, and another worker refuses a state
whose sidecar has no checksum yet (the app stopped first): the state is only lost.
Unloading waits for the chores.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import json
import logging
import os
import queue
import threading
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp

from desktop_llm.core.engine.protocol import LoadParams

logger = logging.getLogger(__name__)

STATE_SUFFIX = ".kvstate"
SIDECAR_SUFFIX = ".json"
ASIDE_SUFFIX = ".aside.tmp"
"""A chat's previous state, renamed aside for the background thread to remove (ends in
.tmp: the folder's size and Clear count it, the size limit does not)."""
FORMAT = 1


@dataclass(frozen=True)
class Restored:
    """What a restore put back: the tokens now in the KV cache (0: none)."""

    n_tokens: int


def model_identity(params: LoadParams, n_ctx: int) -> str:
    """What makes a saved state usable: the model file (path, size, modification
    time), the settings that change the KV cache's shape or meaning (context size, KV
    types, flash attention, which changes the V layout) and the engine's version."""
    path = Path(params.model_path)
    try:
        info = path.stat()
        file_part = f"{path.resolve()}|{info.st_size}|{info.st_mtime_ns}"
    except OSError:
        file_part = str(path)
    return "|".join(
        [
            f"format={FORMAT}",
            f"engine={getattr(llama_cpp, '__version__', '?')}",
            file_part,
            f"n_ctx={n_ctx}",
            f"type_k={params.type_k}",
            f"type_v={params.type_v}",
            f"flash_attn={params.flash_attn}",
        ]
    )


def tokens_hash(tokens: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, tokens)).encode("ascii")).hexdigest()


class KvCacheStore:
    """The saved states of one loaded model, in ``folder``, at most ``limit_bytes``."""

    def __init__(self, folder: Path, limit_bytes: int, identity: str) -> None:
        self.folder = folder
        self.limit_bytes = limit_bytes
        self.identity = identity
        self.current_key: str | None = None
        """The chat whose state the KV cache holds now (None: no chat's)."""
        # States this worker wrote, by (size, modification time): read back without the
        # checksum pass (a switch between two chats writes one and reads the other).
        self._written: dict[Path, tuple[int, int]] = {}
        # Held while a state and its sidecar change, by a save or a checksum's sidecar.
        self._lock = threading.Lock()
        self._chores = _Chores()
        self._chores.add(lambda: _remove_aside(folder))  # left by a worker that was killed

    def close(self) -> None:
        """Finish the background work (unloading: the sidecars get their checksums)."""
        self._chores.close()

    # -- names -------------------------------------------------------------------------
    def _stem(self, key: str) -> str:
        return hashlib.sha256(f"{self.identity}\n{key}".encode()).hexdigest()[:32]

    def state_path(self, key: str) -> Path:
        return self.folder / (self._stem(key) + STATE_SUFFIX)

    def sidecar_path(self, key: str) -> Path:
        return self.folder / (self._stem(key) + SIDECAR_SUFFIX)

    # -- the worker's calls ------------------------------------------------------------
    def switch_to(self, llm: Any, key: str | None) -> Restored:
        """Make the KV cache hold ``key``'s chat: save the chat it holds now (if another)
        and restore ``key``'s saved state, if one fits. With ``key`` None nothing is
        saved or restored (the KV cache stays as it is; ``Llama``'s own prefix check
        still applies)."""
        if key is None or key == self.current_key:
            return Restored(0)
        self.leave(llm)
        self.current_key = key
        return self.restore(llm, key)

    def leave(self, llm: Any) -> None:
        """Save the chat the KV cache holds (if any) and forget which chat it was."""
        key, self.current_key = self.current_key, None
        if key is not None:
            self.save(llm, key)

    def save(self, llm: Any, key: str) -> bool:
        """Write the KV cache's state and its tokens for ``key``. False if there was
        nothing to save or the write failed (logged; never raised: a full disk must
        not fail a reply)."""
        n_tokens = int(llm.n_tokens)
        if n_tokens <= 0:
            return False
        tokens = [int(t) for t in llm.input_ids[:n_tokens]]
        # The cache must hold exactly these tokens: drop cells past n_tokens (a cut
        # reply may have left some).
        llm._ctx.kv_cache_seq_rm(-1, n_tokens, -1)
        state, sidecar = self.state_path(key), self.sidecar_path(key)
        tmp = state.with_name(state.name + ".tmp")
        aside: Path | None = None
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            array = (llama_cpp.llama_token * n_tokens)(*tokens)
            written = llama_cpp.llama_state_seq_save_file(
                llm.ctx, str(tmp).encode("utf-8"), 0, array, n_tokens
            )
            if written <= 0:
                raise OSError("llama.cpp wrote no state")
            digest = tokens_hash(tokens)
            with self._lock:
                sidecar.unlink(missing_ok=True)  # no sidecar names a half-replaced state
                aside = _set_aside(state)
                tmp.rename(state)
                info = state.stat()
                stamp = (info.st_size, info.st_mtime_ns)
                self._written[state] = stamp
                meta: dict[str, Any] = {
                    "format": FORMAT,
                    "identity": self.identity,
                    "key": key,
                    "n_tokens": n_tokens,
                    "tokens_sha256": digest,
                    "state_bytes": info.st_size,
                    "state_crc32": None,  # the background thread writes it
                }
                _write_sidecar(sidecar, meta)
        except OSError as exc:
            logger.warning("could not save the chat's KV state in %s: %s", self.folder, exc)
            tmp.unlink(missing_ok=True)
            return False
        finally:
            if aside is not None:  # the chat's previous state, saved or not
                self._chores.add(functools.partial(aside.unlink, missing_ok=True))
        logger.info("saved KV state of %d tokens (%d bytes) for a chat", n_tokens, stamp[0])
        self._chores.add(functools.partial(self._checksum, state, sidecar, stamp, meta))
        self._chores.add(functools.partial(self._limit, state))
        return True

    def _limit(self, keep: Path) -> None:
        with self._lock:  # (background) not between a save's renames
            self.enforce_limit(keep=keep)

    def _checksum(
        self, state: Path, sidecar: Path, stamp: tuple[int, int], meta: dict[str, Any]
    ) -> None:
        """(Background) Put the saved state's CRC-32 in its sidecar, unless the state
        has been replaced or removed since."""
        try:
            crc = file_crc32(state)
        except OSError:
            return
        with self._lock:
            try:
                info = state.stat()
            except OSError:
                return
            if (info.st_size, info.st_mtime_ns) == stamp and sidecar.exists():
                _write_sidecar(sidecar, {**meta, "state_crc32": crc})

    def restore(self, llm: Any, key: str) -> Restored:
        """Load ``key``'s saved state into the KV cache, or leave the cache empty when
        there is none or it fails a check (a failing file is removed)."""
        state, sidecar = self.state_path(key), self.sidecar_path(key)
        if not sidecar.exists() and not state.exists():
            return Restored(0)
        _clear(llm)
        meta = _read_sidecar(sidecar)
        reason = _mismatch(
            meta, self.identity, key, state, int(llm.n_ctx()), self._written.get(state)
        )
        if reason is not None:
            self._discard(state, sidecar, reason)
            return Restored(0)
        assert meta is not None
        capacity = int(llm.n_ctx())
        tokens_out = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        loaded = llama_cpp.llama_state_seq_load_file(
            llm.ctx, str(state).encode("utf-8"), 0, tokens_out, capacity, ctypes.byref(count)
        )
        n_tokens = int(count.value)
        tokens = [int(t) for t in tokens_out[:n_tokens]]
        if (
            loaded <= 0
            or n_tokens != meta["n_tokens"]
            or tokens_hash(tokens) != meta["tokens_sha256"]
        ):
            _clear(llm)
            self._discard(state, sidecar, "llama.cpp could not read it")
            return Restored(0)
        llm.input_ids[:n_tokens] = tokens
        llm.n_tokens = n_tokens
        # The logits of the last token are not in the state: Llama.generate must
        # evaluate at least one token before sampling.
        llm._requires_eval = True
        for path in (state, sidecar):
            with contextlib.suppress(OSError):
                os.utime(path)  # least recently used goes first
        logger.info("restored KV state of %d tokens for a chat", n_tokens)
        return Restored(n_tokens)

    # -- the folder --------------------------------------------------------------------
    def enforce_limit(self, keep: Path | None = None) -> None:
        """Remove the least recently used states until the folder fits the limit
        (``keep``, the state just written, goes last)."""
        entries = folder_entries(self.folder)
        total = sum(size for _, size, _ in entries)
        states = sorted(
            (e for e in entries if e[0].suffix == STATE_SUFFIX),
            key=lambda e: (e[0] == keep, e[2]),
        )
        for path, size, _ in states:
            if total <= self.limit_bytes:
                break
            side = path.with_suffix(SIDECAR_SUFFIX)
            side_size = side.stat().st_size if side.exists() else 0
            path.unlink(missing_ok=True)
            side.unlink(missing_ok=True)
            total -= size + side_size
            logger.info("removed a saved KV state (%d bytes): the cache folder is full", size)

    def _discard(self, state: Path, sidecar: Path, reason: str) -> None:
        logger.warning("ignoring the saved KV state %s: %s; removed", state.name, reason)
        state.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)


class _Chores:
    """One background thread doing file work in order, started on the first job."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def add(self, job: Callable[[], None]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kv-cache-files", daemon=True)
            self._thread.start()
        self._jobs.put(job)

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                job()
            except Exception:
                logger.exception("KV cache file work failed")
            finally:
                self._jobs.task_done()


def _set_aside(state: Path) -> Path | None:
    """Rename a chat's previous state aside, for the background thread to remove (None:
    there was none). Replacing it would free its pages and blocks in the rename."""
    aside = state.with_name(f"{state.name}.{uuid.uuid4().hex[:8]}{ASIDE_SUFFIX}")
    try:
        state.rename(aside)
    except FileNotFoundError:
        return None
    return aside


def _write_sidecar(sidecar: Path, meta: dict[str, Any]) -> None:
    side_tmp = sidecar.with_name(sidecar.name + ".tmp")
    side_tmp.write_text(json.dumps(meta), encoding="utf-8")
    side_tmp.replace(sidecar)


def _remove_aside(folder: Path) -> None:
    with contextlib.suppress(OSError):
        for path in folder.glob("*" + ASIDE_SUFFIX):
            path.unlink(missing_ok=True)


def folder_entries(folder: Path) -> list[tuple[Path, int, float]]:
    """(path, size, modification time) of every state and sidecar in ``folder``."""
    found: list[tuple[Path, int, float]] = []
    try:
        children = list(folder.iterdir())
    except OSError:
        return found
    for path in children:
        if path.suffix not in (STATE_SUFFIX, SIDECAR_SUFFIX):
            continue
        try:
            info = path.stat()
        except OSError:
            continue
        found.append((path, info.st_size, info.st_mtime))
    return found


def _clear(llm: Any) -> None:
    llm._ctx.kv_cache_seq_rm(-1, 0, -1)
    llm.n_tokens = 0
    llm._requires_eval = True


def _read_sidecar(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _mismatch(
    meta: dict[str, Any] | None,
    identity: str,
    key: str,
    state: Path,
    n_ctx: int,
    written: tuple[int, int] | None,
) -> str | None:
    """Why the saved state can't be used, or None."""
    if meta is None:
        return "its description is missing or damaged"
    if meta.get("format") != FORMAT or meta.get("identity") != identity:
        return "it was made by another model file or other load settings"
    if meta.get("key") != key:
        return "it belongs to another chat"
    n_tokens = meta.get("n_tokens")
    if not isinstance(n_tokens, int) or not 0 < n_tokens <= n_ctx:
        return "its token count is wrong"
    if not isinstance(meta.get("tokens_sha256"), str):
        return "its token hash is missing"
    if meta.get("state_crc32") is None and written is None:
        return "its checksum was never written (the app stopped first)"
    try:
        info = state.stat()
    except OSError:
        return "the state file is missing"
    if info.st_size != meta.get("state_bytes"):
        return "the state file is truncated"
    if written == (info.st_size, info.st_mtime_ns):
        return None  # written by this worker and untouched since
    # llama.cpp aborts the process on some damaged files instead of failing the call:
    # it reads only files whose checksum is the one written with them.
    try:
        if file_crc32(state) != meta.get("state_crc32"):
            return "the state file is damaged"
    except OSError:
        return "the state file can't be read"
    return None


def file_crc32(path: Path) -> int:
    """CRC-32 of a file (about 0.7 GB/s here: a 3,000-token SmolLM2 state in 0.1 s)."""
    crc = 0
    buffer = bytearray(8 << 20)
    view = memoryview(buffer)
    with path.open("rb") as handle:
        while n := handle.readinto(buffer):
            crc = zlib.crc32(view[:n], crc)
    return crc
