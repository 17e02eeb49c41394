"""Who writes a streaming reply: a process named by its pid and start time.

A pid alone can be reused by a later process; the start time (as psutil reads it from
the OS) tells the two apart.
"""

from __future__ import annotations

import functools
import os


@functools.cache
def this_process() -> tuple[int, float]:
    """This process's (pid, start time)."""
    import psutil  # here: ~15 ms of start-up that an idle window doesn't need

    pid = os.getpid()
    return pid, psutil.Process(pid).create_time()


def is_running(pid: int | None, started: float | None) -> bool:
    """Whether the process that wrote (pid, started) is still running."""
    if pid is None or started is None:
        return False
    import psutil

    try:
        return abs(psutil.Process(pid).create_time() - started) < 0.01
    except (psutil.Error, OSError):
        return False
