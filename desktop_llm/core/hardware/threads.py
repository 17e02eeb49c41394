"""How many CPU threads a model gets when the user leaves it on "auto".

llama.cpp's threads wait for each other at every step, so one thread that shares its core
with another busy program slows them all: on a 2-core machine with one busy background
process, 2 threads gave 27 tok/s where 1 thread gave 76 (issue 16). "Auto" therefore
counts the cores that are busy right now and leaves them alone: physical cores minus the
busy ones, at least one.
"""

from __future__ import annotations

import logging
import math

from desktop_llm.core.hardware.detect import physical_cores

logger = logging.getLogger(__name__)

BUSY_PERCENT = 60.0
"""A logical CPU busier than this (over the sample) runs something else that won't yield."""

SAMPLE_S = 0.15
"""How long the CPUs are watched: long enough for /proc/stat's 10 ms ticks to mean
something, short beside a model load."""


def busy_cpus(sample_s: float = SAMPLE_S) -> int:
    """Logical CPUs busier than BUSY_PERCENT over ``sample_s`` (0 if psutil can't tell)."""
    import psutil  # in each function: start-up doesn't need it (~15 ms)

    try:
        per_cpu = psutil.cpu_percent(interval=sample_s, percpu=True)
    except Exception:  # odd containers: then nothing is known to be busy
        logger.debug("psutil could not sample CPU use", exc_info=True)
        return 0
    return sum(1 for percent in per_cpu if percent > BUSY_PERCENT)


def auto_threads(sample_s: float = SAMPLE_S) -> int:
    """Physical cores minus those busy with other work, at least one.

    Busy logical CPUs are turned into physical cores by the machine's ratio (two
    hyper-threads of one busy core count as one busy core)."""
    cores = physical_cores()
    busy = busy_cpus(sample_s)
    if busy == 0:
        return cores
    import psutil

    logical = psutil.cpu_count(logical=True) or cores
    busy_cores = math.ceil(busy * cores / max(logical, cores))
    threads = max(1, cores - busy_cores)
    logger.info("auto threads: %d of %d cores (%d CPUs busy)", threads, cores, busy)
    return threads
