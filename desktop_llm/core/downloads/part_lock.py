"""One writer per ``.part`` file across processes: an OS lock on ``<file>.part.lock``.

The window's queue refuses a second download of a file it already has; this lock keeps
the window and ``desktop-llm pull`` (or two pulls) apart, which no queue can see. The
lock is the operating system's (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on
Windows), so it dies with its process: a download killed with -9 leaves the lock file
behind, never the lock. The second writer does not wait: it stops at once with
:class:`DownloadBusy`, which says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

from desktop_llm.core.downloads.errors import DownloadError

logger = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"


class DownloadBusy(DownloadError):
    """Another process is writing this ``.part`` right now."""


def lock_path(part: Path) -> Path:
    return part.with_name(part.name + LOCK_SUFFIX)


class PartLock:
    """Held while this process writes ``part``; ``with PartLock(part):``.

    Raises DownloadBusy on entry when another process holds it. The lock file holds
    the holder's process id, for the message.
    """

    def __init__(self, part: Path, name: str | None = None) -> None:
        self.path = lock_path(part)
        self._name = name or part.name.removesuffix(".part")
        self._fd: int | None = None

    def __enter__(self) -> PartLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            if not _try_lock(fd):
                holder = _read_pid(fd)
                os.close(fd)
                if holder:
                    raise DownloadBusy.of(
                        "{file} is already being downloaded by another process (pid {pid}): "
                        "the window or `desktop-llm pull`. This one stops without touching "
                        "its partial file; wait for that download to finish (or stop it), "
                        "then try again",
                        file=self._name,
                        pid=holder,
                    )
                raise DownloadBusy.of(
                    "{file} is already being downloaded by another process: the window or "
                    "`desktop-llm pull`. This one stops without touching its partial file; "
                    "wait for that download to finish (or stop it), then try again",
                    file=self._name,
                )
            # The holder before us may have finished and deleted the lock file while we
            # opened it: our lock is then on a file nobody else will open. Take a new one.
            try:
                same = os.path.samestat(os.fstat(fd), self.path.stat())
            except FileNotFoundError:
                same = False
            if same:
                break
            _unlock(fd)
            os.close(fd)
        self._fd = fd
        with contextlib.suppress(OSError):
            os.ftruncate(fd, _PID_AT)
            os.lseek(fd, _PID_AT, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # Deleted while still locked (POSIX), so nobody can lock this file after us;
        # see the samestat check above. Windows refuses to delete an open file: there
        # it is deleted after closing, when no one else has it open.
        if sys.platform != "win32":
            with contextlib.suppress(OSError):
                self.path.unlink()
        _unlock(fd)
        os.close(fd)
        if sys.platform == "win32":
            with contextlib.suppress(OSError):
                self.path.unlink()


if sys.platform == "win32":
    import msvcrt

    # msvcrt locks byte ranges, and a locked range can't be read by others: lock
    # byte 0 and keep the pid after it.
    _PID_AT = 1

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    def _read_pid(fd: int) -> int | None:
        os.lseek(fd, _PID_AT, os.SEEK_SET)
        return _pid(os.read(fd, 32))

else:
    import fcntl

    _PID_AT = 0

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def _read_pid(fd: int) -> int | None:
        os.lseek(fd, 0, os.SEEK_SET)
        return _pid(os.read(fd, 32))


def _pid(data: bytes) -> int | None:
    try:
        return int(data.strip() or b"0") or None
    except ValueError:
        return None
