"""What this computer has: cores and memory (GPU detection comes with the hardware issue)."""

from __future__ import annotations

import logging
import os

import psutil

logger = logging.getLogger(__name__)


def physical_cores() -> int:
    """Physical cores, the right default thread count for llama.cpp.

    llama-cpp-python defaults to ``cpu_count() // 2``, which is one thread on a
    two-core machine and wastes half of it.
    """
    try:
        cores = psutil.cpu_count(logical=False)
    except Exception:  # psutil can fail in odd containers; the logical count is a fine floor
        logger.debug("psutil could not count physical cores", exc_info=True)
        cores = None
    return max(1, cores or os.cpu_count() or 1)


def free_ram_bytes() -> int:
    return int(psutil.virtual_memory().available)


def total_ram_bytes() -> int:
    return int(psutil.virtual_memory().total)
